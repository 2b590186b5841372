import Foundation
import HTTPTypes
import SnackBaseCore
import SnackBaseService
import Testing
import SnackBaseStore

@Suite("Collections and records")
struct RecordTests {
    static let postFields = """
        [{"name":"title","type":"text","required":true},{"name":"status","type":"text","default":"draft"},
         {"name":"priority","type":"number"},{"name":"published","type":"boolean","default":false},
         {"name":"due","type":"datetime"},{"name":"contact","type":"email"},{"name":"link","type":"url"},
         {"name":"meta","type":"json"},{"name":"slug","type":"text","unique":true}]
        """

    @Test("create, read, list, update, replace and delete a record")
    func crud() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("posts", fields: Self.postFields, root: root)
            let acme = try await app.register("acme")
            let created = try await app.request(.post, "/api/v1/records/posts", json: """
                {"title":"Hello","priority":3,"due":"2026-01-05T11:00:00+01:00","meta":{"a":[1,2]},"slug":"hello"}
                """, token: acme.token)
            #expect(created.status == 201, "\(created.text)")
            let id = try #require(created.string("id"))
            #expect(id.hasPrefix("rec_"))
            #expect(created.string("account_id") == acme.accountID)
            #expect(created.string("created_by") == acme.userID)
            #expect(created.string("status") == "draft")
            #expect(created.bool("published") == false)
            #expect(created.string("due") == "2026-01-05T10:00:00.000Z")
            #expect((created["meta"] as? [String: Any])?["a"] as? [Int] == [1, 2])
            #expect(created.int("priority") == 3)

            let alias = try await app.request(.get, "/api/v1/posts/\(id)", token: acme.token)
            #expect(alias.status == 200 && alias.string("title") == "Hello")

            let patched = try await app.request(.patch, "/api/v1/records/posts/\(id)", json: #"{"status":"published","account_id":"\#(acme.accountID)"}"#, token: acme.token)
            #expect(patched.status == 200 && patched.string("status") == "published" && patched.string("title") == "Hello")
            let replaced = try await app.request(.put, "/api/v1/records/posts/\(id)", json: #"{"title":"Replaced"}"#, token: acme.token)
            #expect(replaced.status == 200 && replaced.string("title") == "Replaced" && replaced.string("status") == "draft")
            #expect(replaced["priority"] is NSNull)
            #expect(replaced.string("created_at") == created.string("created_at"))

            _ = try await app.request(.post, "/api/v1/posts", json: #"{"title":"Second","priority":1}"#, token: acme.token)
            let list = try await app.request(.get, "/api/v1/records/posts?sort=title&fields=title", token: acme.token)
            #expect(list.status == 200 && list.int("total") == 2 && list.int("limit") == 30)
            #expect(list.items.map { $0["title"] as? String } == ["Replaced", "Second"])
            #expect(list.items.allSatisfy { Set($0.keys) == ["id", "title"] })

            let filtered = try await app.request(.get, "/api/v1/records/posts?filter=" + "priority >= 1 and title != 'x'".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!, token: acme.token)
            #expect(filtered.int("total") == 1)
            let shortcut = try await app.request(.get, "/api/v1/records/posts?title=Second", token: acme.token)
            #expect(shortcut.int("total") == 1 && shortcut.items.first?["title"] as? String == "Second")

            #expect(try await app.request(.delete, "/api/v1/records/posts/\(id)", token: acme.token).status == 204)
            #expect(try await app.request(.get, "/api/v1/records/posts/\(id)", token: acme.token).status == 404)
        }
    }

    struct Invalid: Sendable, CustomTestStringConvertible {
        let name: String
        let body: String
        let field: String
        var testDescription: String { name }
    }

    static let invalid: [Invalid] = [
        .init(name: "required missing", body: #"{"priority":1}"#, field: "title"),
        .init(name: "required null", body: #"{"title":null}"#, field: "title"),
        .init(name: "text gets number", body: #"{"title":5}"#, field: "title"),
        .init(name: "number gets text", body: #"{"title":"a","priority":"high"}"#, field: "priority"),
        .init(name: "boolean gets number", body: #"{"title":"a","published":1}"#, field: "published"),
        .init(name: "bad datetime", body: #"{"title":"a","due":"tomorrow"}"#, field: "due"),
        .init(name: "bad email", body: #"{"title":"a","contact":"nope"}"#, field: "contact"),
        .init(name: "bad url", body: #"{"title":"a","link":"javascript:alert(1)"}"#, field: "link"),
        .init(name: "unknown field", body: #"{"title":"a","nope":1}"#, field: "nope"),
        .init(name: "NUL in text", body: #"{"title":"a\u0000b"}"#, field: "title"),
    ]

    @Test("field validation is a 422 naming the field", arguments: invalid)
    func validation(_ scenario: Invalid) async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("posts", fields: Self.postFields, root: root)
            let acme = try await app.register("acme")
            let response = try await app.request(.post, "/api/v1/records/posts", json: scenario.body, token: acme.token)
            #expect(response.status == 422, "\(response.text)")
            let fields = (response.array("details") as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
            #expect(fields.contains(scenario.field), "\(response.text)")
            let list = try await app.request(.get, "/api/v1/records/posts", token: acme.token)
            #expect(list.int("total") == 0)
        }
    }

    @Test("a body that is not exactly one JSON value is a 400 saying what and where, and nothing is written", arguments: [
        (#"{"title":"a","title":"b"}"#, "duplicate key \"title\" at byte 13"),
        (#"{"title":"a",}"#, "expected a key in quotes at byte 13"),
        (#"{"title":"a"} {"#, "unexpected text after the JSON value at byte 14"),
        (#"{"title":"\uDE00"}"#, "unpaired surrogate escape at byte 10"),
    ])
    func malformedBody(_ body: String, _ problem: String) async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("posts", fields: Self.postFields, root: root)
            let acme = try await app.register("acme")
            let response = try await app.request(.post, "/api/v1/records/posts", json: body, token: acme.token)
            #expect(response.status == 400 && response.string("message") == "Malformed JSON body", "\(response.text)")
            let detail = (response.array("details") as? [[String: Any]])?.first
            #expect(detail?["message"] as? String == problem && detail?["field"] as? String == "body", "\(response.text)")
            #expect(detail?["position"] as? Int == Int(problem.split(separator: " ").last!), "\(response.text)")
            #expect(try await app.request(.get, "/api/v1/records/posts", token: acme.token).int("total") == 0)
        }
    }

    @Test("unique fields are unique per account; references stay in the account")
    func uniqueAndReferences() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("posts", fields: Self.postFields, root: root)
            try await app.createCollection("comments", fields: #"[{"name":"post","type":"reference","options":{"collection":"posts"}},{"name":"body","type":"text"}]"#, root: root)
            let acme = try await app.register("acme")
            let globex = try await app.register("globex")
            let post = try await app.request(.post, "/api/v1/posts", json: #"{"title":"A","slug":"a"}"#, token: acme.token)
            #expect(try await app.request(.post, "/api/v1/posts", json: #"{"title":"B","slug":"a"}"#, token: acme.token).status == 409)
            #expect(try await app.request(.post, "/api/v1/posts", json: #"{"title":"B","slug":"a"}"#, token: globex.token).status == 201)
            let postID = try #require(post.string("id"))
            #expect(try await app.request(.post, "/api/v1/comments", json: #"{"post":"\#(postID)"}"#, token: acme.token).status == 201)
            let foreign = try await app.request(.post, "/api/v1/comments", json: #"{"post":"\#(postID)"}"#, token: globex.token)
            #expect(foreign.status == 422)
            #expect(try await app.request(.post, "/api/v1/comments", json: #"{"post":"rec_missing"}"#, token: acme.token).status == 422)
        }
    }

    @Test("collections: validation, reserved route names, adding and dropping fields")
    func collections() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            let acme = try await app.register("acme")
            #expect(try await app.request(.post, "/api/v1/collections", json: #"{"name":"posts","schema":{"fields":[]}}"#, token: acme.token).status == 403)
            #expect(try await app.request(.post, "/api/v1/collections", json: #"{"name":"Bad-Name","schema":{"fields":[]}}"#, token: root).status == 422)
            #expect(try await app.request(.post, "/api/v1/collections", json: #"{"name":"x","schema":{"fields":[{"name":"id","type":"text"}]}}"#, token: root).status == 422)
            #expect(try await app.request(.post, "/api/v1/collections", json: #"{"name":"x","schema":{"fields":[{"name":"a","type":"reference","options":{"collection":"nope"}}]}}"#, token: root).status == 422)
            try await app.createCollection("users", fields: #"[{"name":"name","type":"text"}]"#, root: root)
            #expect(try await app.request(.post, "/api/v1/collections", json: #"{"name":"users","schema":{"fields":[]}}"#, token: root).status == 409)
            // A collection named like a built-in route is reachable under /records only.
            let made = try await app.request(.post, "/api/v1/records/users", json: #"{"name":"Alice"}"#, token: acme.token)
            #expect(made.status == 201)
            #expect(try await app.request(.get, "/api/v1/collections/users", token: acme.token).status == 200)

            let added = try await app.request(.patch, "/api/v1/collections/users", json: #"{"schema":{"fields":[{"name":"name","type":"text"},{"name":"age","type":"number"}]}}"#, token: root)
            #expect(added.status == 200)
            #expect(try await app.request(.patch, "/api/v1/records/users/\(made.string("id") ?? "")", json: #"{"age":30}"#, token: acme.token).int("age") == 30)
            let dropWithout = try await app.request(.patch, "/api/v1/collections/users", json: #"{"schema":{"fields":[{"name":"age","type":"number"}]}}"#, token: root)
            #expect(dropWithout.status == 400)
            let retype = try await app.request(.patch, "/api/v1/collections/users", json: #"{"schema":{"fields":[{"name":"name","type":"number"},{"name":"age","type":"number"}]}}"#, token: root)
            #expect(retype.status == 422)
            #expect(try await app.request(.patch, "/api/v1/collections/users?confirm=true", json: #"{"schema":{"fields":[{"name":"age","type":"number"}]}}"#, token: root).status == 200)
            let after = try await app.request(.get, "/api/v1/records/users/\(made.string("id") ?? "")", token: acme.token)
            #expect(after["name"] == nil && after.int("age") == 30)
            #expect(try await app.request(.delete, "/api/v1/collections/users", token: root).status == 400)
            #expect(try await app.request(.delete, "/api/v1/collections/users?confirm=true", token: root).status == 204)
            #expect(try await app.request(.get, "/api/v1/records/users", token: acme.token).status == 404)
        }
    }

    @Test("total is right for every order: the index-served default and the counted-in-one-pass others")
    func totals() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("posts", fields: Self.postFields, root: root)
            let acme = try await app.register("acme")
            for title in ["c", "a", "b"] {
                #expect(try await app.request(.post, "/api/v1/posts", json: #"{"title":"\#(title)","priority":1}"#, token: acme.token).status == 201)
            }
            for sort in ["-created_at", "title", "-priority,title", "id"] {
                let first = try await app.request(.get, "/api/v1/posts?sort=\(sort)&limit=1", token: acme.token)
                #expect(first.int("total") == 3 && first.items.count == 1, "\(sort)")
                let beyond = try await app.request(.get, "/api/v1/posts?sort=\(sort)&skip=5", token: acme.token)
                #expect(beyond.int("total") == 3 && beyond.items.isEmpty, "\(sort)")
                let none = try await app.request(.get, "/api/v1/posts?sort=\(sort)&title=zzz", token: acme.token)
                #expect(none.int("total") == 0 && none.items.isEmpty, "\(sort)")
            }
            let sorted = try await app.request(.get, "/api/v1/posts?sort=title", token: acme.token)
            #expect(sorted.items.map { $0["title"] as? String } == ["a", "b", "c"])
        }
    }

    @Test("list parameters: bad limit, sort, fields and filter are 400s; filter errors carry a position")
    func listParameters() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("posts", fields: Self.postFields, root: root)
            let acme = try await app.register("acme")
            for query in ["limit=0", "limit=101", "skip=-1", "sort=nope", "fields=nope", "priority=high", "filter=title%20%3D%3D"] {
                #expect(try await app.request(.get, "/api/v1/posts?\(query)", token: acme.token).status == 400, "\(query)")
            }
            let bad = try await app.request(.get, "/api/v1/posts?filter=" + "title == 5".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!, token: acme.token)
            #expect(bad.status == 400)
            let detail = (bad.array("details") as? [[String: Any]])?.first
            #expect(detail?["position"] as? Int != nil)
        }
    }
}

@Suite struct CollectionNameClashTests {
    @Test("a collection whose table name is already an index or (PostgreSQL) a truncated table name is a 409")
    func tableNameTaken() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            let fields = #"[{"name":"title","type":"text"}]"#
            try await app.createCollection("posts", fields: fields, root: root)
            // `col_posts_by_account_created` is the name of an index of `posts`.
            let clash = try await app.request(.post, "/api/v1/collections",
                                              json: #"{"name":"posts_by_account_created","schema":{"fields":\#(fields)}}"#, token: root)
            #expect(clash.status == 409, "\(clash.text)")
            #expect(try await app.request(.get, "/api/v1/collections/posts_by_account_created", token: root).status == 404)

            // Two names of 63 characters that differ only in the last: PostgreSQL keeps 63 bytes of
            // `col_<name>`, so there they would be one table; SQLite keeps both.
            let long = String(repeating: "a", count: 62)
            try await app.createCollection(long + "x", fields: fields, root: root)
            let second = try await app.request(.post, "/api/v1/collections", json: #"{"name":"\#(long)y","schema":{"fields":\#(fields)}}"#, token: root)
            switch app.services.database.kind {
            case .sqlite: #expect(second.status == 201, "\(second.text)")
            case .postgres: #expect(second.status == 409, "\(second.text)")
            }
            // Nothing of the refused collections was left behind, and the first still works.
            let acme = try await app.register("acme")
            let created = try await app.request(.post, "/api/v1/records/\(long)x", json: #"{"title":"kept"}"#, token: acme.token)
            #expect(created.status == 201, "\(created.text)")
        }
    }
}

@Suite struct CollectionChangeTests {
    @Test("existing records take a new field's default; a field required while records lack a value is refused, changing nothing")
    func requiredAndDefaults() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("notes", fields: #"[{"name":"title","type":"text"}]"#, root: root)
            let acme = try await app.register("acme")
            let titled = try await app.request(.post, "/api/v1/records/notes", json: #"{"title":"kept"}"#, token: acme.token)
            let untitled = try await app.request(.post, "/api/v1/records/notes", json: #"{}"#, token: acme.token)
            let titledID = try #require(titled.string("id")), untitledID = try #require(untitled.string("id"))
            func fields(_ json: String, confirm: Bool = false) async throws -> TestResponse {
                try await app.request(.patch, "/api/v1/collections/notes" + (confirm ? "?confirm=true" : ""),
                                      json: #"{"schema":{"fields":\#(json)}}"#, token: root)
            }

            // A new required field without a default: both records would have no value.
            let refused = try await fields(#"[{"name":"title","type":"text"},{"name":"status","type":"text","required":true}]"#)
            #expect(refused.status == 422, "\(refused.text)")
            #expect(refused.text.contains("schema.fields.1.required"), "\(refused.text)")
            #expect(try await app.request(.get, "/api/v1/collections/notes", token: root).array("schema", "fields")?.count == 1)

            // With defaults, every existing record gets them (bound values, one for each type).
            let added = try await fields(#"""
                [{"name":"title","type":"text"},{"name":"status","type":"text","required":true,"default":"draft"},
                 {"name":"views","type":"number","default":5},{"name":"done","type":"boolean","default":false},{"name":"note","type":"text"}]
                """#)
            #expect(added.status == 200, "\(added.text)")
            for id in [titledID, untitledID] {
                let record = try await app.request(.get, "/api/v1/records/notes/\(id)", token: acme.token)
                #expect(record.string("status") == "draft" && record.int("views") == 5 && record.bool("done") == false, "\(record.text)")
            }

            // Making an existing field required: refused while a record has no title; with a default, only the
            // records without one take it.
            let base = #"{"name":"status","type":"text","required":true,"default":"draft"},{"name":"views","type":"number","default":5},{"name":"done","type":"boolean","default":false},{"name":"note","type":"text"}"#
            let noTitle = try await fields(#"[{"name":"title","type":"text","required":true},\#(base)]"#)
            #expect(noTitle.status == 422, "\(noTitle.text)")
            #expect(try await app.request(.get, "/api/v1/records/notes/\(untitledID)", token: acme.token)["title"] is NSNull)
            let titles = try await fields(#"[{"name":"title","type":"text","required":true,"default":"untitled"},\#(base)]"#)
            #expect(titles.status == 200, "\(titles.text)")
            #expect(try await app.request(.get, "/api/v1/records/notes/\(untitledID)", token: acme.token).string("title") == "untitled")
            #expect(try await app.request(.get, "/api/v1/records/notes/\(titledID)", token: acme.token).string("title") == "kept")

            // A unique field whose default every record would share: 409, and the field was not added.
            let shared = try await fields(#"[{"name":"title","type":"text","required":true},\#(base),{"name":"code","type":"text","unique":true,"default":"x"}]"#)
            #expect(shared.status == 409, "\(shared.text)")
            #expect(try await app.request(.get, "/api/v1/records/notes/\(titledID)", token: acme.token)["code"] == nil)
        }
    }

    @Test("field options that cannot apply, contradict each other or are misspelt are 422 with the option's path")
    func optionProblems() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            let cases: [(field: String, path: String)] = [
                (#"{"name":"a","type":"text","options":{"max_length":0}}"#, "schema.fields.0.options.max_length"),
                (#"{"name":"a","type":"number","options":{"min":5,"max":1}}"#, "schema.fields.0.options.min"),
                (#"{"name":"a","type":"number","options":{"values":["x"]}}"#, "schema.fields.0.options.values"),
                (#"{"name":"a","type":"text","options":{"collection":"notes"}}"#, "schema.fields.0.options.collection"),
                (#"{"name":"a","type":"text","options":{"values":[]}}"#, "schema.fields.0.options.values"),
                (#"{"name":"a","type":"text","options":{"values":["long"],"max_length":2}}"#, "schema.fields.0.options.values"),
                (#"{"name":"a","type":"text","options":{"max_lenght":3}}"#, "schema.fields.0.options.max_lenght"),
            ]
            for (index, item) in cases.enumerated() {
                let response = try await app.request(.post, "/api/v1/collections", json: #"{"name":"c\#(index)","schema":{"fields":[\#(item.field)]}}"#, token: root)
                #expect(response.status == 422, "\(item.field): \(response.text)")
                #expect(response.text.contains(#""field":"\#(item.path)""#), "\(item.field): \(response.text)")
            }
            let fine = try await app.request(.post, "/api/v1/collections", json: #"{"name":"ok","schema":{"fields":[{"name":"a","type":"text","options":{"max_length":3,"values":["abc"]}},{"name":"n","type":"number","options":{"min":1,"max":1}}]}}"#, token: root)
            #expect(fine.status == 201, "\(fine.text)")
            let stored = try await app.request(.get, "/api/v1/collections/ok", token: root)
            #expect(stored.text.contains(#""max_length":3"#), "\(stored.text)")
        }
    }

    @Test("a collection that another collection's reference field names cannot be deleted")
    func referencedCollection() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("posts", fields: #"[{"name":"parent","type":"reference","options":{"collection":"posts"}}]"#, root: root)
            try await app.createCollection("comments", fields: #"[{"name":"post","type":"reference","options":{"collection":"posts"}}]"#, root: root)
            let refused = try await app.request(.delete, "/api/v1/collections/posts?confirm=true", token: root)
            #expect(refused.status == 409, "\(refused.text)")
            #expect(refused.text.contains("comments.post"), "\(refused.text)")
            #expect(try await app.request(.get, "/api/v1/collections/posts", token: root).status == 200)

            let dropped = try await app.request(.patch, "/api/v1/collections/comments?confirm=true", json: #"{"schema":{"fields":[]}}"#, token: root)
            #expect(dropped.status == 200, "\(dropped.text)")
            // Its own reference field (a self-reference) does not hold it.
            #expect(try await app.request(.delete, "/api/v1/collections/posts?confirm=true", token: root).status == 204)
        }
    }
}

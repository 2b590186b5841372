import Foundation
import HTTPTypes
import SnackBaseCore
import Testing

/// The seed's scenarios, each as a table of who does what and what they get.
@Suite("Authorization: roles, permissions, rules, field-level security")
struct AuthorizationTests {
    struct Step: Sendable, CustomStringConvertible {
        let who: String
        let method: HTTPRequest.Method
        let path: String
        let body: String?
        let status: Int
        let message: String?
        var description: String { "\(who) \(method) \(path) → \(status)" }
        init(_ who: String, _ method: HTTPRequest.Method, _ path: String, _ status: Int, _ message: String? = nil) {
            self.init(who, method, path, nil as String?, status, message)
        }
        init(_ who: String, _ method: HTTPRequest.Method, _ path: String, _ body: String?, _ status: Int, _ message: String? = nil) {
            self.who = who
            self.method = method
            self.path = path
            self.body = body
            self.status = status
            self.message = message
        }
    }

    /// Runs steps with tokens by name; `{name}` in a path is replaced by a remembered record id.
    static func play(_ steps: [Step], app: TestApp, tokens: [String: String], ids: [String: String] = [:]) async throws -> [String: String] {
        var ids = ids
        for step in steps {
            var path = step.path
            for (name, id) in ids { path = path.replacingOccurrences(of: "{\(name)}", with: id) }
            let response = try await app.request(step.method, path, json: step.body, token: tokens[step.who])
            #expect(response.status == step.status, "\(step): \(response.text)")
            if let message = step.message { #expect(response.string("message") == message, "\(step)") }
            if step.method == .post, response.status == 201, let id = response.string("id"), let title = step.body.flatMap(Self.title) {
                ids[title] = id
            }
        }
        return ids
    }

    static func title(_ body: String) -> String? {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["title"] as? String
    }

    static let posts = #"[{"name":"title","type":"text"},{"name":"status","type":"text","default":"draft"},{"name":"body","type":"text"}]"#

    @Test("the default roles: editor cannot delete posts, viewer is read-only, admin does everything")
    func defaultRoles() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("posts", fields: Self.posts, root: root)
            let acme = try await app.register("acme")
            let editor = try await app.user("editor@acme.test", roles: ["editor"], in: acme)
            let viewer = try await app.user("viewer@acme.test", roles: ["viewer"], in: acme)
            let tokens = ["admin": acme.token, "editor": editor.token, "viewer": viewer.token]
            _ = try await Self.play([
                Step("editor", .post, "/api/v1/posts", #"{"title":"p1"}"#, 201),
                Step("editor", .patch, "/api/v1/posts/{p1}", #"{"status":"published"}"#, 200),
                Step("editor", .delete, "/api/v1/posts/{p1}", 403, "You cannot delete posts"),
                Step("viewer", .get, "/api/v1/posts/{p1}", 200),
                Step("viewer", .get, "/api/v1/posts", 200),
                Step("viewer", .post, "/api/v1/posts", #"{"title":"p2"}"#, 403, "You cannot create posts"),
                Step("viewer", .patch, "/api/v1/posts/{p1}", #"{"title":"x"}"#, 403, "You cannot update posts"),
                Step("viewer", .delete, "/api/v1/posts/{p1}", 403, "You cannot delete posts"),
                Step("admin", .delete, "/api/v1/posts/{p1}", 204),
            ], app: app, tokens: tokens)
        }
    }

    @Test("Scenario 1: authors update their own posts, and delete them only when not published")
    func authorScenario() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("posts", fields: Self.posts, root: root)
            let acme = try await app.register("acme")
            try await app.role("""
                {"name":"author","permissions":[{"collection":"posts","create":true,"read":true,"update":true,"delete":true,
                 "rules":{"update":"@owns_record()","delete":"@owns_record() and not status == 'published'"}}]}
                """, in: acme)
            let alice = try await app.user("alice@acme.test", roles: ["author"], in: acme)
            let bob = try await app.user("bob@acme.test", roles: ["author"], in: acme)
            let tokens = ["alice": alice.token, "bob": bob.token]
            _ = try await Self.play([
                Step("alice", .post, "/api/v1/posts", #"{"title":"a1"}"#, 201),
                Step("alice", .post, "/api/v1/posts", #"{"title":"a2","status":"published"}"#, 201),
                Step("bob", .patch, "/api/v1/posts/{a1}", #"{"body":"mine now"}"#, 403, "You cannot update this record"),
                Step("bob", .delete, "/api/v1/posts/{a1}", 403, "You cannot delete this record"),
                Step("alice", .patch, "/api/v1/posts/{a1}", #"{"body":"edited"}"#, 200),
                Step("alice", .delete, "/api/v1/posts/{a2}", 403, "You cannot delete this record"),
                Step("alice", .delete, "/api/v1/posts/{a1}", 204),
            ], app: app, tokens: tokens)
        }
    }

    @Test("the seed's Permission Rules Example: owners update drafts and pending posts; admins any")
    func permissionRulesExample() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("posts", fields: Self.posts, root: root)
            let acme = try await app.register("acme")
            try await app.role("""
                {"name":"writer","permissions":[{"collection":"posts","create":true,"read":true,"update":true,
                 "rules":{"update":"(@owns_record() and status in ['draft', 'pending']) or @has_role('admin')"}}]}
                """, in: acme)
            let writer = try await app.user("w@acme.test", roles: ["writer"], in: acme)
            let both = try await app.user("wa@acme.test", roles: ["writer", "admin"], in: acme)
            let tokens = ["writer": writer.token, "both": both.token]
            _ = try await Self.play([
                Step("writer", .post, "/api/v1/posts", #"{"title":"d","status":"draft"}"#, 201),
                Step("writer", .post, "/api/v1/posts", #"{"title":"p","status":"pending"}"#, 201),
                Step("writer", .post, "/api/v1/posts", #"{"title":"x","status":"published"}"#, 201),
                Step("writer", .patch, "/api/v1/posts/{d}", #"{"body":"1"}"#, 200),
                Step("writer", .patch, "/api/v1/posts/{p}", #"{"body":"1"}"#, 200),
                Step("writer", .patch, "/api/v1/posts/{x}", #"{"body":"1"}"#, 403, "You cannot update this record"),
                Step("both", .patch, "/api/v1/posts/{x}", #"{"body":"2"}"#, 200),
            ], app: app, tokens: tokens)
        }
    }

    @Test("Scenario 2: the moderator document, created in one request")
    func moderator() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("comments", fields: #"[{"name":"body","type":"text"},{"name":"author_ip","type":"text"}]"#, root: root)
            try await app.createCollection("users", fields: #"[{"name":"name","type":"text"}]"#, root: root)
            let acme = try await app.register("acme")
            let role = try await app.role("""
                {"name":"moderator","description":"Can moderate user-generated content","permissions":[
                 {"collection":"comments","create":false,"read":true,"update":true,"delete":true,
                  "field_rules":{"author_ip":{"read":"@has_role('admin')"}}},
                 {"collection":"users","create":false,"read":true,"update":false,"delete":false}]}
                """, in: acme)
            #expect((role.array("permissions") ?? []).count == 2)
            let moderator = try await app.user("mod@acme.test", roles: ["moderator"], in: acme)
            let comment = try await app.request(.post, "/api/v1/comments", json: #"{"body":"spam","author_ip":"10.0.0.1"}"#, token: acme.token)
            let id = try #require(comment.string("id"))
            #expect(comment.string("author_ip") == "10.0.0.1")
            let seen = try await app.request(.get, "/api/v1/comments/\(id)", token: moderator.token)
            #expect(seen.status == 200 && seen.string("body") == "spam")
            #expect(seen["author_ip"] == nil, "hidden fields are absent, not null")
            let listed = try await app.request(.get, "/api/v1/comments", token: moderator.token)
            #expect(listed.items.count == 1 && listed.items[0]["author_ip"] == nil)
            #expect(try await app.request(.patch, "/api/v1/comments/\(id)", json: #"{"body":"[removed]"}"#, token: moderator.token).status == 200)
            #expect(try await app.request(.post, "/api/v1/comments", json: #"{"body":"x"}"#, token: moderator.token).status == 403)
            #expect(try await app.request(.get, "/api/v1/records/users", token: moderator.token).status == 200)
            #expect(try await app.request(.post, "/api/v1/records/users", json: #"{"name":"x"}"#, token: moderator.token).status == 403)
            #expect(try await app.request(.delete, "/api/v1/comments/\(id)", token: moderator.token).status == 204)
        }
    }

    @Test("field-level rules: salary visible to admin and owner only; hr-only salary writes; fields and excluded_fields")
    func fieldLevel() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("staff", fields: """
                [{"name":"name","type":"text"},{"name":"email","type":"email"},{"name":"phone","type":"text"},
                 {"name":"ssn","type":"text"},{"name":"salary","type":"number"}]
                """, root: root)
            let acme = try await app.register("acme")
            try await app.role("""
                {"name":"staffer","permissions":[{"collection":"staff","create":true,"read":true,"update":true,
                 "excluded_fields":["ssn"],
                 "field_rules":{"salary":{"read":"@has_role('admin') or @owns_record()","write":"@has_role('hr') or @is_superadmin()"}}}]}
                """, in: acme)
            try await app.role("""
                {"name":"hr","permissions":[{"collection":"staff","read":true,"update":true,"fields":["salary","name"]}]}
                """, in: acme)
            try await app.role("""
                {"name":"directory","permissions":[{"collection":"staff","read":true,"fields":["name","email"],"excluded_fields":["phone","ssn","salary"]}]}
                """, in: acme)
            let carol = try await app.user("carol@acme.test", roles: ["staffer"], in: acme)
            let dave = try await app.user("dave@acme.test", roles: ["staffer"], in: acme)
            let hr = try await app.user("hr@acme.test", roles: ["hr"], in: acme)
            let viewer = try await app.user("dir@acme.test", roles: ["directory"], in: acme)

            // Writing salary needs hr: the whole create is refused, nothing is written.
            let refused = try await app.request(.post, "/api/v1/staff", json: #"{"name":"Carol","salary":100}"#, token: carol.token)
            #expect(refused.status == 403 && refused.string("message")?.contains("salary") == true)
            #expect(try await app.request(.get, "/api/v1/staff", token: acme.token).int("total") == 0)

            // excluded_fields are neither readable nor writable.
            #expect(try await app.request(.post, "/api/v1/staff", json: #"{"name":"Carol","ssn":"123"}"#, token: carol.token).status == 403)
            let created = try await app.request(.post, "/api/v1/staff", json: #"{"name":"Carol","email":"carol@acme.test","phone":"555"}"#, token: carol.token)
            let id = try #require(created.string("id"))
            #expect(try await app.request(.patch, "/api/v1/staff/\(id)", json: #"{"ssn":"123"}"#, token: acme.token).status == 200)
            #expect(try await app.request(.patch, "/api/v1/staff/\(id)", json: #"{"salary":5000}"#, token: hr.token).status == 200)
            #expect(try await app.request(.patch, "/api/v1/staff/\(id)", json: #"{"phone":"1"}"#, token: hr.token).status == 403)

            let own = try await app.request(.get, "/api/v1/staff/\(id)", token: carol.token)
            #expect(own.int("salary") == 5000 && own["ssn"] == nil && own.string("phone") == "555")
            let colleague = try await app.request(.get, "/api/v1/staff/\(id)", token: dave.token)
            #expect(colleague.status == 200 && colleague["salary"] == nil && colleague["ssn"] == nil)
            let admin = try await app.request(.get, "/api/v1/staff/\(id)", token: acme.token)
            #expect(admin.int("salary") == 5000 && admin.string("ssn") == "123")
            // fields: ["name","email"] answers exactly {id, name, email}.
            let directory = try await app.request(.get, "/api/v1/staff/\(id)", token: viewer.token)
            #expect(Set(directory.json.keys) == ["id", "name", "email"])
            // ?fields= only narrows.
            let narrowed = try await app.request(.get, "/api/v1/staff/\(id)?fields=name,ssn", token: viewer.token)
            #expect(Set(narrowed.json.keys) == ["id", "name"])
        }
    }

    @Test("FLS-LIST-001: a list is filtered and sorted only by fields the caller reads on every record it could return")
    func listsCannotQueryHiddenFields() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("staff", fields: #"[{"name":"name","type":"text"},{"name":"salary","type":"number"},{"name":"team","type":"text"}]"#, root: root)
            let acme = try await app.register("acme")
            try await app.role(#"{"name":"colleague","permissions":[{"collection":"staff","read":true,"excluded_fields":["salary"]}]}"#, in: acme)
            try await app.role(#"{"name":"directory","permissions":[{"collection":"staff","read":true,"fields":["name"]}]}"#, in: acme)
            try await app.role(#"{"name":"owner","permissions":[{"collection":"staff","read":true,"field_rules":{"salary":{"read":"@owns_record()"}}}]}"#, in: acme)
            try await app.role(#"{"name":"payroll","permissions":[{"collection":"staff","read":true,"field_rules":{"salary":{"read":"@has_role('payroll')"}}}]}"#, in: acme)
            let colleague = try await app.user("col@acme.test", roles: ["colleague"], in: acme)
            let directory = try await app.user("dir@acme.test", roles: ["directory"], in: acme)
            let owner = try await app.user("own@acme.test", roles: ["owner"], in: acme)
            let payroll = try await app.user("pay@acme.test", roles: ["payroll"], in: acme)
            // Both a colleague and a payroll clerk: payroll grants every record with its salary.
            let both = try await app.user("both@acme.test", roles: ["colleague", "payroll"], in: acme)
            // A colleague who also sees the salaries of the records they own: the others stay hidden.
            let mixed = try await app.user("mix@acme.test", roles: ["colleague", "owner"], in: acme)
            for (name, salary) in [("ann", 300), ("bob", 100)] {
                #expect(try await app.request(.post, "/api/v1/staff", json: #"{"name":"\#(name)","salary":\#(salary),"team":"red"}"#, token: acme.token).status == 201)
            }
            let bySalary = "filter=" + "salary > 150".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let byCreator = "filter=" + "@owns_record()".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            func list(_ token: String, _ query: String) async throws -> TestResponse {
                try await app.request(.get, "/api/v1/staff?\(query)", token: token)
            }
            for (who, token) in [("colleague", colleague.token), ("owner", owner.token), ("colleague and owner", mixed.token)] {
                for query in [bySalary, "sort=-salary", "sort=name,salary", "salary=100"] {
                    let refused = try await list(token, query)
                    #expect(refused.status == 403, "\(who) ?\(query): \(refused.status) \(refused.text)")
                    #expect(refused.string("message") == "You cannot filter or sort by fields you cannot read: salary", "\(who) ?\(query)")
                }
                #expect(try await list(token, "sort=-name").items.map { $0["name"] as? String } == ["bob", "ann"], "\(who)")
            }
            // fields: ["name"] hides the system fields too: created_by can be neither filtered nor sorted by.
            for query in [byCreator, "sort=created_by", "team=red"] {
                #expect(try await list(directory.token, query).status == 403, "directory ?\(query)")
            }
            #expect(try await list(directory.token, "filter=" + #"name == "ann""#.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!).int("total") == 1)
            // A read rule that holds for the caller whatever the record leaves the field queryable.
            for token in [payroll.token, both.token] {
                let paid = try await list(token, bySalary + "&sort=salary")
                #expect(paid.status == 200 && paid.int("total") == 1 && paid.items.first?["salary"] as? Int == 300, "\(paid.text)")
            }
            #expect(try await list(acme.token, "salary=100").int("total") == 1)
            #expect(try await list(root, "account_id=\(acme.accountID)&sort=-salary").items.map { $0["salary"] as? Int } == [300, 100])
        }
    }

    @Test("AUTHZ-PRE-001: a caller no permission lets write learns nothing from validation or lookups: 401/403 first")
    func refusedBeforeValidation() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("posts", fields: Self.posts, root: root)
            let acme = try await app.register("acme")
            let viewer = try await app.user("view@acme.test", roles: ["viewer"], in: acme)
            let anonymous: HTTPFields = [.init("X-Account")!: "acme"]
            let missing = "/api/v1/records/posts/rec_missing"
            // Anonymous (no permission at all): 401 everywhere, never 422 listing fields nor 404.
            for (method, path, json) in [(HTTPRequest.Method.post, "/api/v1/records/posts", #"{"zzz":1}"# as String?),
                                         (.get, missing, nil), (.patch, missing, #"{"zzz":1}"#), (.delete, missing, nil)] {
                let response = try await app.request(method, path, json: json, headers: anonymous)
                #expect(response.status == 401, "\(method) \(path): \(response.text)")
                #expect(response.text.contains("zzz") == false && response.text.contains("title") == false)
            }
            // The viewer may read, not write: 403 before the body or the id is looked at.
            for (method, path, json) in [(HTTPRequest.Method.post, "/api/v1/records/posts", #"{"zzz":1}"# as String?),
                                         (.patch, missing, #"{"zzz":1}"#), (.delete, missing, nil)] {
                #expect(try await app.request(method, path, json: json, token: viewer.token).status == 403, "\(method) \(path)")
            }
            #expect(try await app.request(.get, missing, token: viewer.token).status == 404)
            // One who may write still gets the validation answer.
            #expect(try await app.request(.post, "/api/v1/records/posts", json: #"{"zzz":1}"#, token: acme.token).status == 422)
        }
    }

    @Test("Scenario 3: public read, private write, through the anonymous role and X-Account")
    func anonymous() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("posts", fields: #"[{"name":"title","type":"text"},{"name":"draft_notes","type":"text"},{"name":"internal_status","type":"text"}]"#, root: root)
            let acme = try await app.register("acme")
            let post = try await app.request(.post, "/api/v1/posts", json: #"{"title":"Hi","draft_notes":"secret","internal_status":"x"}"#, token: acme.token)
            let id = try #require(post.string("id"))
            let anonymous: HTTPFields = [.init("X-Account")!: "acme"]
            #expect(try await app.request(.get, "/api/v1/posts/\(id)", headers: anonymous).status == 401, "anonymous has no permission by default")
            #expect(try await app.request(.get, "/api/v1/posts/\(id)").status == 401)
            let roles = try await app.request(.get, "/api/v1/roles", token: acme.token)
            let anonymousRole = try #require(roles.items.first { $0["name"] as? String == "anonymous" }?["id"] as? String)
            #expect(try await app.request(.post, "/api/v1/permissions", json: """
                {"role_id":"\(anonymousRole)","collection":"posts","read":true,"create":false,"update":false,"delete":false,
                 "excluded_fields":["draft_notes","internal_status"]}
                """, token: acme.token).status == 201)
            let seen = try await app.request(.get, "/api/v1/posts/\(id)", headers: anonymous)
            #expect(seen.status == 200 && seen.string("title") == "Hi" && seen["draft_notes"] == nil && seen["internal_status"] == nil)
            #expect(try await app.request(.get, "/api/v1/posts", headers: anonymous).int("total") == 1)
            let write = try await app.request(.post, "/api/v1/posts", json: #"{"title":"spam"}"#, headers: anonymous)
            #expect(write.status == 401)
            // Another account's anonymous callers see nothing of acme's: refused while they may read
            // nothing, and not found once their own account lets them read posts.
            let globex = try await app.register("globex")
            let theirs: HTTPFields = [.init("X-Account")!: "globex"]
            #expect(try await app.request(.get, "/api/v1/posts/\(id)", headers: theirs).status == 401)
            #expect(try await app.request(.post, "/api/v1/permissions", json: #"{"role":"anonymous","collection":"posts","read":true}"#, token: globex.token).status == 201)
            #expect(try await app.request(.get, "/api/v1/posts/\(id)", headers: theirs).status == 404)
        }
    }

    @Test("wildcard permissions cover collections created later; a specific permission replaces the wildcard; roles add up")
    func wildcardAndRolesAddUp() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            let acme = try await app.register("acme")
            try await app.role(#"{"name":"reader","permissions":[{"collection":"*","read":true}]}"#, in: acme)
            try await app.role(#"{"name":"notes_writer","permissions":[{"collection":"notes","create":true}]}"#, in: acme)
            let reader = try await app.user("r@acme.test", roles: ["reader"], in: acme)
            let both = try await app.user("rw@acme.test", roles: ["reader", "notes_writer"], in: acme)
            try await app.createCollection("notes", fields: #"[{"name":"text","type":"text"}]"#, root: root)
            #expect(try await app.request(.post, "/api/v1/notes", json: #"{"text":"a"}"#, token: acme.token).status == 201, "admin's * covers it")
            #expect(try await app.request(.get, "/api/v1/notes", token: reader.token).int("total") == 1)
            #expect(try await app.request(.post, "/api/v1/notes", json: #"{"text":"b"}"#, token: reader.token).status == 403)
            // Roles add up: reader's * gives read, notes_writer gives create.
            #expect(try await app.request(.post, "/api/v1/notes", json: #"{"text":"c"}"#, token: both.token).status == 201)
            #expect(try await app.request(.get, "/api/v1/notes", token: both.token).int("total") == 2)
            // A specific permission replaces that role's wildcard: reader with notes → delete only.
            let reader2 = try await app.role(#"{"name":"deleter","permissions":[{"collection":"*","read":true},{"collection":"notes","delete":true}]}"#, in: acme)
            #expect(reader2.status == 201)
            let deleter = try await app.user("d@acme.test", roles: ["deleter"], in: acme)
            #expect(try await app.request(.get, "/api/v1/notes", token: deleter.token).status == 403)
        }
    }

    @Test("a permission change applies to the very next request")
    func cacheInvalidation() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("posts", fields: Self.posts, root: root)
            let acme = try await app.register("acme")
            let created = try await app.role(#"{"name":"temp","permissions":[{"collection":"posts","read":true}]}"#, in: acme)
            let user = try await app.user("t@acme.test", roles: ["temp"], in: acme)
            #expect(try await app.request(.get, "/api/v1/posts", token: user.token).status == 200)
            #expect(try await app.request(.get, "/api/v1/posts", token: user.token).status == 200)
            let permissionID = try #require((created.array("permissions") as? [[String: Any]])?.first?["id"] as? String)
            #expect(try await app.request(.patch, "/api/v1/permissions/\(permissionID)", json: #"{"read":false}"#, token: acme.token).status == 200)
            #expect(try await app.request(.get, "/api/v1/posts", token: user.token).status == 403)
            #expect(try await app.request(.patch, "/api/v1/permissions/\(permissionID)", json: #"{"read":true,"rules":{"read":"status == 'published'"}}"#, token: acme.token).status == 200)
            _ = try await app.request(.post, "/api/v1/posts", json: #"{"title":"a","status":"published"}"#, token: acme.token)
            _ = try await app.request(.post, "/api/v1/posts", json: #"{"title":"b"}"#, token: acme.token)
            let listed = try await app.request(.get, "/api/v1/posts", token: user.token)
            #expect(listed.int("total") == 1, "total counts only what the caller may see")
            #expect(try await app.request(.delete, "/api/v1/permissions/\(permissionID)", token: acme.token).status == 204)
            #expect(try await app.request(.get, "/api/v1/posts", token: user.token).status == 403)
            // Removing a user's role applies at once too.
            #expect(try await app.request(.patch, "/api/v1/users/\(user.id)", json: #"{"roles":["viewer"]}"#, token: acme.token).status == 200)
            #expect(try await app.request(.get, "/api/v1/posts", token: user.token).status == 200)
        }
    }

    @Test("rules are checked when saved: a bad rule is a 400 with its position and nothing is saved")
    func ruleChecking() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("posts", fields: Self.posts, root: root)
            let acme = try await app.register("acme")
            let cases: [(String, Int)] = [
                (#"status == "#, 10), (#"nope == 'x'"#, 0), (#"@has_role(1)"#, 10), (#"status == 5"#, 0), (#"@unknown()"#, 0),
            ]
            for (rule, _) in cases {
                let escaped = rule.replacingOccurrences(of: "\"", with: "\\\"")
                let response = try await app.request(.post, "/api/v1/roles", json: """
                    {"name":"bad","permissions":[{"collection":"posts","read":true,"rules":{"read":"\(escaped)"}}]}
                    """, token: acme.token)
                #expect(response.status == 400, "\(rule): \(response.text)")
                let detail = (response.array("details") as? [[String: Any]])?.first
                #expect(detail?["field"] as? String == "permissions.0.rules.read")
                #expect(detail?["position"] as? Int != nil)
            }
            let roles = try await app.request(.get, "/api/v1/roles", token: acme.token)
            #expect(!roles.items.contains { $0["name"] as? String == "bad" }, "nothing was saved")
            // A permission for a collection that does not exist yet is checked against the system fields.
            #expect(try await app.role(#"{"name":"future","permissions":[{"collection":"later","read":true,"rules":{"read":"created_by == user.id"}}]}"#, in: acme).status == 201)
        }
    }

    @Test("a schema change re-checks stored rules: one that no longer checks is listed and denies")
    func schemaChangeFailsClosed() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("posts", fields: Self.posts, root: root)
            let acme = try await app.register("acme")
            try await app.role(#"{"name":"pub","permissions":[{"collection":"posts","read":true,"rules":{"read":"status == 'published'"}}]}"#, in: acme)
            let reader = try await app.user("p@acme.test", roles: ["pub"], in: acme)
            _ = try await app.request(.post, "/api/v1/posts", json: #"{"title":"a","status":"published"}"#, token: acme.token)
            #expect(try await app.request(.get, "/api/v1/posts", token: reader.token).int("total") == 1)
            let changed = try await app.request(.patch, "/api/v1/collections/posts?confirm=true", json: #"{"schema":{"fields":[{"name":"title","type":"text"}]}}"#, token: root)
            #expect(changed.status == 200)
            #expect((changed.array("warnings") as? [String])?.count == 1)
            let after = try await app.request(.get, "/api/v1/posts", token: reader.token)
            #expect(after.status == 200 && after.int("total") == 0, "the broken rule denies every record")
        }
    }

    @Test("/permissions/check explains a decision without doing it")
    func check() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("posts", fields: Self.posts, root: root)
            let acme = try await app.register("acme")
            let editor = try await app.user("e@acme.test", roles: ["editor"], in: acme)
            let denied = try await app.request(.post, "/api/v1/permissions/check", json: #"{"user_id":"\#(editor.id)","collection":"posts","operation":"delete"}"#, token: acme.token)
            #expect(denied.status == 200 && denied.bool("allowed") == false && denied.int("status") == 403)
            #expect(denied.string("reason") == "You cannot delete posts")
            let allowed = try await app.request(.post, "/api/v1/permissions/check", json: #"{"user_id":"\#(editor.id)","collection":"posts","operation":"create","data":{"title":"x"}}"#, token: acme.token)
            #expect(allowed.bool("allowed") == true && allowed.string("role") == "editor")
            #expect((allowed.array("writable_fields") as? [String]) == ["body", "status", "title"])
            #expect(try await app.request(.get, "/api/v1/posts", token: acme.token).int("total") == 0, "nothing was done")
            #expect(try await app.request(.post, "/api/v1/permissions/check", json: #"{"user_id":"\#(editor.id)","collection":"posts","operation":"delete"}"#, token: editor.token).status == 403)
        }
    }
}

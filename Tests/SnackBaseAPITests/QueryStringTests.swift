import Foundation
import HTTPTypes
import Testing
@testable import SnackBaseAPI

/// Query strings as real clients send them (api.md, Conventions): Python's `requests`, `httpx`,
/// axios, `URLSearchParams` and HTML forms encode a space as `+`, and the server decodes them as a form.
@Suite("Query strings: form encoding")
struct QueryStringTests {
    /// What `urllib.parse.urlencode` (and so `requests`) and `URLSearchParams` send: letters, digits
    /// and `*-._` as they are, a space as `+`, every other byte as `%XX`.
    static func formEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "*"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"):
                out.append(Character(UnicodeScalar(byte)))
            case UInt8(ascii: " "): out.append("+")
            default: out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    static func query(_ pairs: [(String, String)]) -> String {
        pairs.map { formEncoded($0.0) + "=" + formEncoded($0.1) }.joined(separator: "&")
    }

    @Test("QS-001 FormQuery decodes + as a space, %XX as UTF-8 bytes, and keeps a stray %")
    func decoding() {
        let query = FormQuery(query: "filter=status+%3D%3D+%22draft%22&title=caf%C3%A9+au+lait&plus=a%2Bb&bad=100%&odd=%zz&empty=&flag&filter=second")
        #expect(query["filter"] == #"status == "draft""#)
        #expect(query["title"] == "café au lait")
        #expect(query["plus"] == "a+b")
        #expect(query["bad"] == "100%")
        #expect(query["odd"] == "%zz")
        #expect(query["empty"] == "")
        #expect(query["flag"] == "")
        #expect(query["missing"] == nil)
        #expect(query.pairs.count == 8)
        // Bytes that are not UTF-8 become U+FFFD rather than failing the request.
        #expect(FormQuery(query: "x=%FF")["x"] == "\u{FFFD}")
    }

    @Test("QS-002 every filter of the rule tests, sent as requests sends it, selects what it selects with %20")
    func filtersAsClientsSendThem() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("posts", fields: #"[{"name":"title","type":"text"},{"name":"status","type":"text"},{"name":"views","type":"number"},{"name":"published","type":"boolean"}]"#, root: root)
            let acme = try await app.register("acme")
            for (title, status, views, published) in [("a b", "draft", 1, false), ("a+b", "published", 5, true), ("café", "archived", 3, true), ("x", "draft", 7, true)] {
                let created = try await app.request(.post, "/api/v1/records/posts", json: #"{"title":"\#(title)","status":"\#(status)","views":\#(views),"published":\#(published)}"#, token: acme.token)
                #expect(created.status == 201)
            }
            let filters: [(String, Set<String>)] = [
                (#"status == "draft""#, ["a b", "x"]),
                (#"title == "a b""#, ["a b"]),
                (#"title == "a+b""#, ["a+b"]),
                (#"title == "café""#, ["café"]),
                ("views >= 3 and published == true", ["a+b", "café", "x"]),
                (#"status in ["draft", "published"]"#, ["a b", "a+b", "x"]),
                (#"not status == "archived""#, ["a b", "a+b", "x"]),
                (#"@starts_with(title, "a") && views < 5"#, ["a b"]),
            ]
            for (filter, expected) in filters {
                let asForm = try await app.request(.get, "/api/v1/records/posts?" + Self.query([("filter", filter), ("limit", "100")]), token: acme.token)
                #expect(asForm.status == 200, "\(filter): \(asForm.text)")
                let titles = Set(asForm.items.compactMap { $0["title"] as? String })
                #expect(titles == expected, "\(filter)")
                let percent = filter.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                let asPercent = try await app.request(.get, "/api/v1/records/posts?filter=\(percent)&limit=100", token: acme.token)
                #expect(Set(asPercent.items.compactMap { $0["title"] as? String }) == expected, "\(filter) with %20")
            }
            // Equality shortcuts, sort and fields decode the same way.
            let shortcut = try await app.request(.get, "/api/v1/records/posts?" + Self.query([("title", "a b"), ("fields", "title, status"), ("sort", "-views")]), token: acme.token)
            #expect(shortcut.status == 200 && shortcut.items.count == 1 && shortcut.items.first?["title"] as? String == "a b", "\(shortcut.text)")
            #expect(shortcut.items.first?["views"] == nil)
            // A syntax error still says where, in the decoded text.
            let bad = try await app.request(.get, "/api/v1/records/posts?" + Self.query([("filter", "status == ")]), token: acme.token)
            #expect(bad.status == 400 && bad.string("message")?.hasPrefix("Invalid filter") == true, "\(bad.text)")
        }
    }

    @Test("QS-003 the default order falls back to id when created_at is hidden from the caller")
    func defaultOrderHidesCreationTime() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("notes", fields: #"[{"name":"title","type":"text"}]"#, root: root)
            let acme = try await app.register("acme")
            var created: [String] = []
            for index in 0..<8 {
                let record = try await app.request(.post, "/api/v1/records/notes", json: #"{"title":"n\#(index)"}"#, token: acme.token)
                created.append(try #require(record.string("id")))
            }
            try await app.role(#"{"name":"reader","permissions":[{"collection":"notes","read":true,"fields":["title"]}]}"#, in: acme)
            let reader = try await app.user("reader@acme.test", roles: ["reader"], in: acme)
            // The admin, who may read created_at, gets newest first.
            let admin = try await app.request(.get, "/api/v1/records/notes", token: acme.token)
            let times = admin.items.compactMap { $0["created_at"] as? String }
            #expect(times.count == 8 && times == times.sorted(by: >))
            // The reader cannot sort by it, and the default order no longer follows it.
            #expect(try await app.request(.get, "/api/v1/records/notes?sort=created_at", token: reader.token).status == 403)
            let list = try await app.request(.get, "/api/v1/records/notes", token: reader.token)
            let ids = list.items.compactMap { $0["id"] as? String }
            #expect(list.status == 200 && ids.count == 8 && list.items.allSatisfy { $0["created_at"] == nil })
            #expect(ids == created.sorted(), "ordered by id")
        }
    }

    @Test("QS-004 X-Account-ID, the Python SnackBase's name, works like X-Account")
    func pythonAccountHeader() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("posts", fields: #"[{"name":"title","type":"text"}]"#, root: root)
            let acme = try await app.register("acme")
            #expect(try await app.request(.post, "/api/v1/records/posts", json: #"{"title":"Hi"}"#, token: acme.token).status == 201)
            #expect(try await app.request(.post, "/api/v1/permissions", json: #"{"role":"anonymous","collection":"posts","read":true}"#, token: acme.token).status == 201)
            let viaPython = try await app.request(.get, "/api/v1/records/posts", headers: [.init("X-Account-ID")!: acme.slug])
            #expect(viaPython.status == 200 && viaPython.int("total") == 1, "\(viaPython.text)")
            #expect(try await app.request(.get, "/api/v1/records/posts", headers: [.init("X-Account-ID")!: acme.accountID]).int("total") == 1)
            #expect(try await app.request(.get, "/api/v1/records/posts", headers: [.init("X-Account-ID")!: "nobody"]).status == 401)
            #expect(try await app.request(.get, "/api/v1/records/posts").status == 401)
        }
    }
}

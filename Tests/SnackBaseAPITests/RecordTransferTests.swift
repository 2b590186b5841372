import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import SQLKit
import SnackBaseService
import SnackBaseStore
import SnackBaseTesting
import Testing
/// Moving records in and out (operations.md): `GET /records/{collection}/export` and
/// `POST /records/{collection}/import`, over HTTP as clients call them, on each test database.
@Suite("Record export and import")
struct RecordTransferTests {
    /// Every field type, a reference included.
    static let everyType = """
        [{"name":"title","type":"text","required":true},{"name":"count","type":"number"},{"name":"done","type":"boolean"},
         {"name":"due","type":"datetime"},{"name":"contact","type":"email"},{"name":"link","type":"url"},
         {"name":"meta","type":"json"},{"name":"owner","type":"reference","options":{"collection":"people"}}]
        """
    static let systemFields: Set<String> = ["id", "account_id", "created_at", "updated_at", "created_by", "updated_by"]

    @Test("XFER-001: export then import of every field type round-trips exactly (JSONL)")
    func roundTrip() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("people", fields: #"[{"name":"name","type":"text"}]"#, root: root)
            try await app.createCollection("items", fields: Self.everyType, root: root)
            try await app.createCollection("items_copy", fields: Self.everyType, root: root)
            let acme = try await app.register("acme")
            let person = try #require(try await app.request(.post, "/api/v1/records/people", json: #"{"name":"Ann"}"#, token: acme.token).string("id"))
            let bodies = [
                #"{"title":"plain","count":3,"done":true,"due":"2026-01-05T10:00:00.123Z","contact":"a@b.test","link":"https://x.test/a?b=c","meta":{"a":[1,2.5,null,"x"]},"owner":"\#(person)"}"#,
                #"{"title":"quotes \"and\", commas\nnew line, tab\t, unicode é 🍪","count":-0.125,"done":false,"meta":[1,"two"],"owner":null}"#,
                #"{"title":"=1+2 looks like a formula","count":1e21,"meta":"a string","link":null}"#,
                #"{"title":"nulls"}"#,
            ]
            for body in bodies {
                let created = try await app.request(.post, "/api/v1/records/items", json: body, token: acme.token)
                #expect(created.status == 201, "\(created.text)")
            }
            let exported = try await app.request(.get, "/api/v1/records/items/export?format=jsonl", token: acme.token)
            #expect(exported.status == 200)
            #expect(exported.headers[.contentType] == "application/x-ndjson")
            let lines = Self.lines(exported.data)
            #expect(lines.count == bodies.count)

            let imported = try await app.request(.post, "/api/v1/records/items_copy/import", body: exported.data, contentType: "application/x-ndjson", token: acme.token)
            #expect(imported.status == 200, "\(imported.text)")
            #expect(imported.int("created") == bodies.count && imported.array("failed")?.isEmpty == true, "\(imported.text)")

            let again = try await app.request(.get, "/api/v1/records/items_copy/export", token: acme.token)
            let original = Self.userFields(lines)
            let copy = Self.userFields(Self.lines(again.data))
            #expect(copy.count == original.count)
            #expect(copy == original, "\(again.text)")
            // Every system field of the copy is the server's, not the file's.
            let ids = Set(lines.compactMap { $0["id"] as? String })
            #expect(Self.lines(again.data).allSatisfy { !ids.contains($0["id"] as? String ?? "") })
        }
    }

    @Test("XFER-002: bad lines are reported with their line number and status; the good ones are created")
    func badLines() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("people", fields: #"[{"name":"name","type":"text"}]"#, root: root)
            try await app.createCollection("items", fields: Self.everyType, root: root)
            let acme = try await app.register("acme")
            let body = """
                {"title":"one"}
                {"title": broken
                {"count":1}
                [1,2]

                {"title":"six","count":"not a number"}
                {"title":"seven"}
                """
            let result = try await app.request(.post, "/api/v1/records/items/import?format=jsonl", body: Data(body.utf8), token: acme.token)
            #expect(result.status == 200, "\(result.text)")
            #expect(result.int("created") == 2)
            #expect(Self.failures(result) == [2: 400, 3: 422, 4: 422, 6: 422], "\(result.text)")
            #expect(try await app.request(.get, "/api/v1/records/items", token: acme.token).int("total") == 2)
            // Each created line has its audit entry, as a POST has.
            let audit = try await app.request(.get, "/api/v1/audit-logs?action=record.create&collection=items", token: acme.token)
            #expect(audit.int("total") == 2, "\(audit.text)")

            // Atomic: one bad line and nothing is created; every failed line is still reported.
            let atomic = try await app.request(.post, "/api/v1/records/items/import?format=jsonl&atomic=true", body: Data(body.utf8), token: acme.token)
            #expect(atomic.int("created") == 0)
            #expect(Self.failures(atomic) == [2: 400, 3: 422, 4: 422, 6: 422], "\(atomic.text)")
            #expect(try await app.request(.get, "/api/v1/records/items", token: acme.token).int("total") == 2)

            // Atomic, a failure only the write finds (a missing reference on line 2): rolled back, line named.
            try await app.createCollection("linked", fields: #"[{"name":"owner","type":"reference","options":{"collection":"people"}}]"#, root: root)
            let missing = "{}\n{\"owner\":\"rec_doesnotexist0000000000\"}\n{}\n"
            let rolled = try await app.request(.post, "/api/v1/records/linked/import?format=jsonl&atomic=true", body: Data(missing.utf8), token: acme.token)
            #expect(rolled.int("created") == 0 && Self.failures(rolled) == [2: 422], "\(rolled.text)")
            #expect(try await app.request(.get, "/api/v1/records/linked", token: acme.token).int("total") == 0)
            let good = try await app.request(.post, "/api/v1/records/linked/import?format=jsonl&atomic=true", body: Data("{}\n{}\n".utf8), token: acme.token)
            #expect(good.int("created") == 2)
            #expect(try await app.request(.get, "/api/v1/records/linked", token: acme.token).int("total") == 2)
        }
    }

    @Test("XFER-003: lines are refused exactly as POST refuses them (permission, create rule, field security)")
    func authorizedAsCreate() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("items", fields: #"[{"name":"title","type":"text"},{"name":"status","type":"text"},{"name":"secret","type":"text"}]"#, root: root)
            let acme = try await app.register("acme")
            let viewer = try await app.user("viewer@acme.test", roles: ["viewer"], in: acme)
            try await app.role(#"{"name":"gated","permissions":[{"collection":"items","create":true,"read":true,"excluded_fields":["secret"],"rules":{"create":"data.status == 'ok'"}}]}"#, in: acme)
            let gated = try await app.user("gated@acme.test", roles: ["gated"], in: acme)
            let lines = [#"{"title":"a","status":"ok"}"#, #"{"title":"b","status":"no"}"#, #"{"title":"c","status":"ok","secret":"x"}"#]
            let body = Data(lines.joined(separator: "\n").utf8)

            let byViewer = try await app.request(.post, "/api/v1/records/items/import?format=jsonl", body: body, token: viewer.token)
            var posts: [Int: Int] = [:]
            for (index, line) in lines.enumerated() {
                posts[index + 1] = try await app.request(.post, "/api/v1/records/items", json: line, token: viewer.token).status
            }
            #expect(byViewer.status == 403 || (byViewer.int("created") == 0 && Self.failures(byViewer) == posts), "\(byViewer.text) \(posts)")

            let byGated = try await app.request(.post, "/api/v1/records/items/import?format=jsonl", body: body, token: gated.token)
            #expect(byGated.int("created") == 1, "\(byGated.text)")
            #expect(Self.failures(byGated) == [2: 403, 3: 403], "\(byGated.text)")
            // The same lines through POST: the same statuses.
            #expect(try await app.request(.post, "/api/v1/records/items", json: lines[1], token: gated.token).status == 403)
            #expect(try await app.request(.post, "/api/v1/records/items", json: lines[2], token: gated.token).status == 403)
            #expect(try await app.request(.get, "/api/v1/records/items", token: acme.token).int("total") == 1)
        }
    }

    @Test("XFER-004: an export holds only the caller's account and only the fields they may read")
    func isolationAndMask() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("items", fields: #"[{"name":"title","type":"text"},{"name":"secret","type":"text"}]"#, root: root)
            let acme = try await app.register("acme")
            let globex = try await app.register("globex")
            for index in 0..<3 {
                _ = try await app.request(.post, "/api/v1/records/items", json: #"{"title":"acme-\#(index)","secret":"acme-secret-\#(index)"}"#, token: acme.token)
            }
            _ = try await app.request(.post, "/api/v1/records/items", json: #"{"title":"globex-0","secret":"globex-secret"}"#, token: globex.token)

            let b = try await app.request(.get, "/api/v1/records/items/export", token: globex.token)
            #expect(b.status == 200)
            #expect(Self.lines(b.data).map { $0["title"] as? String } == ["globex-0"])
            #expect(!b.text.contains("acme") && !b.text.contains(acme.accountID))
            // Naming the other account is refused as on the list route.
            #expect(try await app.request(.get, "/api/v1/records/items/export?account_id=\(acme.accountID)", token: globex.token).status == 403)

            try await app.role(#"{"name":"reader","permissions":[{"collection":"items","read":true,"excluded_fields":["secret"]}]}"#, in: acme)
            let reader = try await app.user("reader@acme.test", roles: ["reader"], in: acme)
            let masked = try await app.request(.get, "/api/v1/records/items/export", token: reader.token)
            #expect(masked.status == 200)
            #expect(Self.lines(masked.data).count == 3)
            #expect(Self.lines(masked.data).allSatisfy { $0["secret"] == nil && $0["title"] != nil })
            #expect(!masked.text.contains("secret"), "\(masked.text)")

            // No read permission: refused like the list.
            let nobody = try await app.user("nobody@acme.test", roles: [], in: acme)
            #expect(try await app.request(.get, "/api/v1/records/items/export", token: nobody.token).status == 403)
            // A line naming another account is refused, as POST refuses it.
            let foreign = try await app.request(.post, "/api/v1/records/items/import?format=jsonl", body: Data(#"{"title":"x","account_id":"\#(acme.accountID)"}"#.utf8), token: globex.token)
            #expect(foreign.int("created") == 0 && Self.failures(foreign) == [1: 403], "\(foreign.text)")
        }
    }

    @Test("XFER-005: an export spans many pages in id order; limits answer 413")
    func pagesAndLimits() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("items", fields: #"[{"name":"n","type":"number"}]"#, root: root)
            let acme = try await app.register("acme")
            let count = 1_234
            let body = (0..<count).map { #"{"n":\#($0)}"# }.joined(separator: "\n")
            let imported = try await app.request(.post, "/api/v1/records/items/import?format=jsonl&atomic=true", body: Data(body.utf8), token: acme.token)
            #expect(imported.int("created") == count, "\(imported.text.prefix(300))")
            let exported = Self.lines(try await app.request(.get, "/api/v1/records/items/export", token: acme.token).data)
            #expect(exported.count == count)
            #expect(Set(exported.compactMap { $0["n"] as? Int }) == Set(0..<count))
            let ids = exported.compactMap { $0["id"] as? String }
            #expect(Set(ids).count == count)

            let tooMany = String(repeating: "{}\n", count: 50_001)
            #expect(try await app.request(.post, "/api/v1/records/items/import?format=jsonl", body: Data(tooMany.utf8), token: acme.token).status == 413)
            let tooBig = Data(repeating: UInt8(ascii: " "), count: (16 << 20) + 1)
            #expect(try await app.request(.post, "/api/v1/records/items/import?format=jsonl", body: tooBig, token: acme.token).status == 413)
            #expect(try await app.request(.get, "/api/v1/records/items", token: acme.token).int("total") == count)
        }
    }

    @Test("XFER-006: CSV export then import of every field type round-trips exactly; quotes, line breaks and formula-like text survive")
    func csvRoundTrip() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("people", fields: #"[{"name":"name","type":"text"}]"#, root: root)
            try await app.createCollection("items", fields: Self.everyType, root: root)
            try await app.createCollection("items_copy", fields: Self.everyType, root: root)
            let acme = try await app.register("acme")
            let person = try #require(try await app.request(.post, "/api/v1/records/people", json: #"{"name":"Ann"}"#, token: acme.token).string("id"))
            let bodies = [
                #"{"title":"plain","count":3,"done":true,"due":"2026-01-05T10:00:00.123Z","contact":"a@b.test","link":"https://x.test/a?b=c","meta":{"a":[1,2.5,null,"x"]},"owner":"\#(person)"}"#,
                #"{"title":"quotes \"and\", commas\r\nnew line, tab\t, unicode é 🍪","count":-0.125,"done":false,"meta":[1,"two"],"owner":null}"#,
                #"{"title":"=1+2 looks like a formula","count":1e21,"meta":"a string","link":null}"#,
                #"{"title":"'already quoted"}"#,
                #"{"title":" spaced "}"#,
            ]
            for body in bodies {
                #expect(try await app.request(.post, "/api/v1/records/items", json: body, token: acme.token).status == 201)
            }
            let exported = try await app.request(.get, "/api/v1/records/items/export?format=csv", token: acme.token)
            #expect(exported.status == 200)
            #expect(exported.headers[.contentType] == "text/csv; charset=utf-8")
            let text = exported.text
            #expect(text.hasPrefix("id,account_id,created_at,updated_at,created_by,updated_by,title,count,done,due,contact,link,meta,owner\r\n"), "\(text.prefix(200))")
            // A spreadsheet must not run a cell: formula-like text (and text already starting with ') gets a leading '.
            #expect(text.contains(",'=1+2 looks like a formula,") && text.contains(",''already quoted,"), "\(text)")
            #expect(text.contains(#","quotes ""and"", commas\#r\#nnew line, tab\#t, unicode é 🍪",-0.125,false,"#), "\(text)")
            #expect(text.contains(#",true,"#) && text.contains(#","{""a"":[1,2.5,null,""x""]}","#) && text.contains(#",1e+21,"#), "\(text)")

            let imported = try await app.request(.post, "/api/v1/records/items_copy/import", body: exported.data, contentType: "text/csv", token: acme.token)
            #expect(imported.status == 200, "\(imported.text)")
            #expect(imported.int("created") == bodies.count && imported.array("failed")?.isEmpty == true, "\(imported.text)")
            let original = Self.userFields(Self.lines(try await app.request(.get, "/api/v1/records/items/export", token: acme.token).data))
            let copy = Self.userFields(Self.lines(try await app.request(.get, "/api/v1/records/items_copy/export", token: acme.token).data))
            #expect(copy == original)
        }
    }

    @Test("XFER-007: CSV: bad rows are reported by the line they start on; a bad header is a 400; the header names only fields the caller may read")
    func csvErrorsAndMask() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("items", fields: #"[{"name":"title","type":"text","required":true},{"name":"count","type":"number"},{"name":"done","type":"boolean"},{"name":"secret","type":"text"}]"#, root: root)
            let acme = try await app.register("acme")
            // Line 3 holds a quoted line break, so the row after it starts on line 5.
            let body = "title,count,done\none,1,true\n\"two\nlines\",2,false\nthree,many,true\nfour,4,maybe\nfive,5\n,6,true\nseven,,\n"
            let result = try await app.request(.post, "/api/v1/records/items/import?format=csv", body: Data(body.utf8), token: acme.token)
            #expect(result.status == 200, "\(result.text)")
            #expect(result.int("created") == 3, "\(result.text)")
            #expect(Self.failures(result) == [5: 422, 6: 422, 7: 422, 8: 422], "\(result.text)")
            let titles = Self.lines(try await app.request(.get, "/api/v1/records/items/export", token: acme.token).data).compactMap { $0["title"] as? String }
            #expect(Set(titles) == ["one", "two\nlines", "seven"])

            for bad in ["title,,count\nx,1,2\n", "title,title\na,b\n", "title\n\"open\n", "title\nab\"c\n"] {
                let refused = try await app.request(.post, "/api/v1/records/items/import", body: Data(bad.utf8), contentType: "text/csv", token: acme.token)
                #expect(refused.status == 400, "\(bad): \(refused.text)")
            }
            #expect(try await app.request(.get, "/api/v1/records/items/export?format=xml", token: acme.token).status == 400)

            try await app.role(#"{"name":"reader","permissions":[{"collection":"items","read":true,"excluded_fields":["secret"]}]}"#, in: acme)
            let reader = try await app.user("reader@acme.test", roles: ["reader"], in: acme)
            let masked = try await app.request(.get, "/api/v1/records/items/export?format=csv", token: reader.token)
            #expect(masked.status == 200)
            #expect(masked.text.hasPrefix("id,account_id,created_at,updated_at,created_by,updated_by,title,count,done\r\n"), "\(masked.text)")
            #expect(!masked.text.contains("secret"))
        }
    }

    // MARK: helpers

    static func lines(_ data: Data) -> [[String: Any]] {
        String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
    }

    /// The user fields of each record, canonical JSON text, sorted: what a round trip must keep.
    static func userFields(_ records: [[String: Any]]) -> [String] {
        records.map { record in
            let user = record.filter { !systemFields.contains($0.key) }
            let data = (try? JSONSerialization.data(withJSONObject: user, options: [.sortedKeys, .fragmentsAllowed])) ?? Data()
            return String(decoding: data, as: UTF8.self)
        }.sorted()
    }

    static func failures(_ response: TestResponse) -> [Int: Int] {
        var failures: [Int: Int] = [:]
        for case let item as [String: Any] in response.array("failed") ?? [] {
            if let line = item["line"] as? Int, let status = item["status"] as? Int { failures[line] = status }
        }
        return failures
    }
}

extension TestApp {
    /// A request with a raw body (JSON Lines, CSV).
    func request(
        _ method: HTTPRequest.Method, _ path: String, body: Data, contentType: String? = nil, token: String? = nil
    ) async throws -> TestResponse {
        var headers = HTTPFields()
        if let token { headers[.authorization] = "Bearer \(token)" }
        if let contentType { headers[.contentType] = contentType }
        return try await client.execute(uri: path, method: method, headers: headers, body: ByteBuffer(bytes: body)) { response in
            TestResponse(status: Int(response.status.code), headers: response.headers, data: Data(buffer: response.body))
        }
    }
}

import Foundation
import Testing
import HTTPTypes

/// Regressions for what API fuzzing (`scripts/fuzz-api`) and its follow-up probes found: each was a
/// 5xx or an answer outside the OpenAPI document.
@Suite("Fuzz findings")
struct FuzzFindingsTests {
    @Test("FUZZ-001: making a field unique while one account's records share a value is a 409, not a 500")
    func uniqueOverDuplicates() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            let acme = try await app.register("acme")
            let globex = try await app.register("globex")
            try await app.createCollection("notes", fields: #"[{"name":"title","type":"text"}]"#, root: root)
            // The same value in two accounts does not stop the index: unique is per account.
            for tenant in [acme, globex] {
                let created = try await app.request(.post, "/api/v1/records/notes", json: #"{"title":"same"}"#, token: tenant.token)
                #expect(created.status == 201)
            }
            let unique = #"{"schema":{"fields":[{"name":"title","type":"text","unique":true}]}}"#
            let allowed = try await app.request(.patch, "/api/v1/collections/notes", json: unique, token: root)
            #expect(allowed.status == 200, "\(allowed.text)")
            let relaxed = try await app.request(.patch, "/api/v1/collections/notes",
                                                json: #"{"schema":{"fields":[{"name":"title","type":"text"}]}}"#, token: root)
            #expect(relaxed.status == 200)

            let duplicate = try await app.request(.post, "/api/v1/records/notes", json: #"{"title":"same"}"#, token: acme.token)
            #expect(duplicate.status == 201)
            let refused = try await app.request(.patch, "/api/v1/collections/notes", json: unique, token: root)
            #expect(refused.status == 409, "\(refused.text)")
            #expect(refused.string("error") == "Conflict")
            // Nothing changed: the field is still not unique, and a third copy is accepted.
            let shown = try await app.request(.get, "/api/v1/collections/notes", token: root)
            #expect((shown.array("schema", "fields")?.first as? [String: Any])?["unique"] as? Bool == false)
            let third = try await app.request(.post, "/api/v1/records/notes", json: #"{"title":"same"}"#, token: acme.token)
            #expect(third.status == 201)
        }
    }

    @Test("FUZZ-002: NUL in a query parameter is a 400 on both databases, not a PostgreSQL error", arguments: [
        "/api/v1/permissions?collection=a%00b",
        "/api/v1/records/notes?title=a%00b",
        "/api/v1/audit-logs?actor_id=%00",
        "/api/v1/users?skip=0&account_id=%00",
    ])
    func nulInQuery(path: String) async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            let acme = try await app.register("acme")
            try await app.createCollection("notes", fields: #"[{"name":"title","type":"text"}]"#, root: root)
            let response = try await app.request(.get, path, token: acme.token)
            #expect(response.status == 400, "\(path): \(response.status) \(response.text)")
            #expect(response.string("error") == "Bad Request")
        }
    }

    @Test("FUZZ-003: NUL in a string of a JSON body is a 422 naming the field, on both databases")
    func nulInBody() async throws {
        try await TestApp.run { app in
            let acme = try await app.register("acme")
            let cases: [(path: String, json: String, field: String)] = [
                ("/api/v1/auth/login", #"{"account":"ac\u0000me","email":"a@acme.test","password":"x"}"#, "account"),
                ("/api/v1/auth/register", #"{"account_name":"a\u0000b","email":"q@b.test","password":"Correct-Horse-9-battery"}"#, "account_name"),
                ("/api/v1/roles", #"{"name":"r","description":"x\u0000y"}"#, "description"),
                ("/api/v1/roles", #"{"name":"r","permissions":[{"collection":"*","rules":{"read":"x"},"fields":["a\u0000"]}]}"#, "permissions.0.fields.0"),
            ]
            for item in cases {
                let response = try await app.request(.post, item.path, json: item.json, token: acme.token)
                #expect(response.status == 422, "\(item.path): \(response.status) \(response.text)")
                #expect((response.array("details")?.first as? [String: Any])?["field"] as? String == item.field, "\(response.text)")
            }
            // The same text without NUL is not refused by this rule.
            let plain = try await app.request(.post, "/api/v1/roles", json: #"{"name":"r","description":"x y"}"#, token: acme.token)
            #expect(plain.status == 201)
        }
    }

    @Test("FUZZ-004: long collection and field names work on PostgreSQL (index names past 63 bytes)")
    func longNames() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            let acme = try await app.register("acme")
            let name = "a" + String(repeating: "b", count: 47) + "_one"          // 52 characters
            let first = "f" + String(repeating: "x", count: 58) + "_one"         // 63 characters
            let second = "f" + String(repeating: "x", count: 58) + "_two"
            let fields = #"[{"name":"\#(first)","type":"text","unique":true},{"name":"\#(second)","type":"text","unique":true}]"#
            try await app.createCollection(name, fields: fields, root: root)
            let record = #"{"\#(first)":"same","\#(second)":"same"}"#
            #expect(try await app.request(.post, "/api/v1/records/\(name)", json: record, token: acme.token).status == 201)
            // Each unique index is its own: a second record clashes on both fields.
            #expect(try await app.request(.post, "/api/v1/records/\(name)", json: record, token: acme.token).status == 409)
            // Dropping the uniqueness of the second field drops its index, and only its index.
            let relaxed = #"{"schema":{"fields":[{"name":"\#(first)","type":"text","unique":true},{"name":"\#(second)","type":"text"}]}}"#
            #expect(try await app.request(.patch, "/api/v1/collections/\(name)", json: relaxed, token: root).status == 200)
            let other = #"{"\#(first)":"other","\#(second)":"same"}"#
            #expect(try await app.request(.post, "/api/v1/records/\(name)", json: other, token: acme.token).status == 201)
            #expect(try await app.request(.post, "/api/v1/records/\(name)", json: record, token: acme.token).status == 409)
        }
    }

    @Test("FUZZ-005: a unique field's value over 2,000 bytes is a 422 on both databases, not a PostgreSQL index error (500)")
    func longUniqueValue() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            let acme = try await app.register("acme")
            try await app.createCollection("tags", fields: #"[{"name":"slug","type":"text","unique":true},{"name":"doc","type":"json","unique":true},{"name":"note","type":"text"}]"#, root: root)
            // Letters from a linear congruential generator: text PostgreSQL cannot compress below its index limit.
            var seed: UInt64 = 42
            let letters = String((0..<20_000).map { _ -> Character in
                seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Character(Unicode.Scalar(UInt8(97 + (seed >> 33) % 26)))
            })
            let long = String(letters.prefix(2001))
            let refused = try await app.request(.post, "/api/v1/records/tags", json: #"{"slug":"\#(long)","doc":{"k":"\#(long)"}}"#, token: acme.token)
            #expect(refused.status == 422, "\(refused.status) \(refused.text.prefix(300))")
            let fields = (refused.array("details") as? [[String: Any]])?.compactMap { $0["field"] as? String }
            #expect(fields == ["slug", "doc"])
            #expect(refused.text.contains("must be at most 2000 bytes, as the value of a unique field"))
            // 2,000 bytes of three-byte characters is 666 of them; 667 is over.
            let euros = String(repeating: "€", count: 667)
            #expect(try await app.request(.post, "/api/v1/records/tags", json: #"{"slug":"\#(euros)"}"#, token: acme.token).status == 422)
            // At the limit it is stored and compared on both databases.
            let most = String(letters.prefix(2000))
            let first = try await app.request(.post, "/api/v1/records/tags", json: #"{"slug":"\#(most)","note":"\#(letters)"}"#, token: acme.token)
            #expect(first.status == 201, "\(first.status) \(first.text.prefix(300))")
            let again = try await app.request(.post, "/api/v1/records/tags", json: #"{"slug":"\#(most)"}"#, token: acme.token)
            #expect(again.status == 409, "\(again.status) \(again.text.prefix(300))")

            // Making `note` unique while a record holds 20,000 bytes in it is refused, and nothing changes.
            let unique = #"{"schema":{"fields":[{"name":"slug","type":"text","unique":true},{"name":"doc","type":"json","unique":true},{"name":"note","type":"text","unique":true}]}}"#
            let patch = try await app.request(.patch, "/api/v1/collections/tags", json: unique, token: root)
            #expect(patch.status == 422, "\(patch.status) \(patch.text.prefix(300))")
            #expect((patch.array("details")?.first as? [String: Any])?["field"] as? String == "schema.fields.2.unique")
            let shown = try await app.request(.get, "/api/v1/collections/tags", token: root)
            #expect((shown.array("schema", "fields")?.last as? [String: Any])?["unique"] as? Bool == false)
            #expect(try await app.request(.post, "/api/v1/records/tags", json: #"{"note":"\#(letters)"}"#, token: acme.token).status == 201)
        }
    }
}

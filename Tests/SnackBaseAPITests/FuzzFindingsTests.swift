import Foundation
import Testing

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
}

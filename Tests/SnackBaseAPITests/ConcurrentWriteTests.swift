import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SnackBaseAPI
import SnackBaseService
import SnackBaseStore
import SnackBaseTesting
import Testing

/// A record write is decided on the record as it is when written: another write that lands
/// between a request's first read and its transaction is neither overridden nor written over.
@Suite("Concurrent record writes")
struct ConcurrentWriteTests {
    @Test("REC-RACE-001: an update or a delete made to deny meanwhile is refused; an update leaves what another wrote meanwhile")
    func decidedOnTheRecordAsWritten() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("posts", fields: #"[{"name":"title","type":"text"},{"name":"status","type":"text"}]"#, root: root)
            let acme = try await app.register("acme")
            try await app.role("""
                {"name":"writer","permissions":[{"collection":"posts","read":true,"update":true,"delete":true,"fields":["title"],
                 "rules":{"update":"status != 'locked'","delete":"status != 'locked'"}}]}
                """, in: acme)
            let writer = try await app.user("writer@acme.test", roles: ["writer"], in: acme)
            var created: [String] = []
            for index in 0..<3 {
                let response = try await app.request(.post, "/api/v1/records/posts", json: #"{"title":"t\#(index)","status":"open"}"#, token: acme.token)
                created.append(try #require(response.string("id")))
            }
            let ids = created
            func record(_ id: String) async throws -> TestResponse {
                try await app.request(.get, "/api/v1/records/posts/\(id)", token: acme.token)
            }
            // The writer's requests run on a second server over the same database, whose write
            // transactions wait: each request has read and decided before the admin's change lands.
            let gated = GatedDatabase(app.services.database, gating: .transactions)
            let services = AppServices(database: gated, tokens: app.services.tokens, passwords: app.services.passwords, logger: TestDatabase.logger)
            let second = Application(router: SnackBaseApplication.router(services: services), logger: TestDatabase.logger)
            try await second.test(.router) { client in
                let headers: HTTPFields = [.authorization: "Bearer \(writer.token)", .contentType: "application/json"]
                let edit = Task { try await client.execute(uri: "/api/v1/records/posts/\(ids[0])", method: .patch, headers: headers, body: ByteBuffer(string: #"{"title":"edited"}"#)) { Int($0.status.code) } }
                let lockedEdit = Task { try await client.execute(uri: "/api/v1/records/posts/\(ids[1])", method: .patch, headers: headers, body: ByteBuffer(string: #"{"title":"edited"}"#)) { Int($0.status.code) } }
                let lockedDelete = Task { try await client.execute(uri: "/api/v1/records/posts/\(ids[2])", method: .delete, headers: headers) { Int($0.status.code) } }
                while gated.started < 3 { try await Task.sleep(for: .milliseconds(1)) }
                // Meanwhile the admin publishes the first and locks the other two.
                #expect(try await app.request(.patch, "/api/v1/records/posts/\(ids[0])", json: #"{"status":"published"}"#, token: acme.token).status == 200)
                for id in ids[1...] {
                    #expect(try await app.request(.patch, "/api/v1/records/posts/\(id)", json: #"{"status":"locked"}"#, token: acme.token).status == 200)
                }
                gated.open()
                #expect(try await edit.value == 200)
                #expect(try await lockedEdit.value == 403)
                #expect(try await lockedDelete.value == 403)
            }
            // The edit changed the title only: the status the admin set stays.
            let edited = try await record(ids[0])
            #expect(edited.string("title") == "edited" && edited.string("status") == "published", "\(edited.text)")
            let locked = try await record(ids[1])
            #expect(locked.string("title") == "t1" && locked.string("status") == "locked")
            #expect(try await record(ids[2]).status == 200)
        }
    }
}

import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import NIOPosix
import SnackBaseStore
import Testing
import NIOFoundationCompat

/// The server as `serve` runs it with one CPU: one event loop, on which the request handlers and
/// SQLite's writer run too (``EventLoopExecutor``). Nothing on that path may wait for the loop.
@Suite("One event loop: handlers and writer on the loop thread")
struct OneLoopTests {
    @Test("LOOP-002 on one loop, parallel creates, lists and logins over 8 connections all finish; every write lands once, the chain stays whole, a realtime stream gets each create once")
    func parallelRequestsOnOneLoop() async throws {
        try await TestApp.run(live: true, oneLoop: true) { app in
            let root = try await app.superadminToken()
            try await app.createCollection("notes", fields: #"[{"name":"title","type":"text"}]"#, root: root)
            let acme = try await app.register("acme")
            let port = try #require(app.client.port)
            let json: HTTPFields = [.authorization: "Bearer \(acme.token)", .contentType: "application/json"]
            // The realtime hub's tasks and (PostgreSQL) the change listener run on the loop too.
            let stream = try await EventStreamClient.open(port: port, "/api/v1/realtime?topics=notes", headers: [("Authorization", "Bearer \(acme.token)")])
            defer { stream.close() }
            #expect(stream.status == 200)
            let ids = try await withThrowingTaskGroup(of: [String].self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        let client = TestClient(host: "127.0.0.1", port: port)
                        client.connect()
                        var ids: [String] = []
                        do {
                            for index in 0..<10 {
                                let created = try await client.execute(.init("/api/v1/records/notes", method: .post, headers: json,
                                                                             body: ByteBuffer(string: #"{"title":"w\#(worker)-\#(index)"}"#)))
                                #expect(created.status == .created)
                                let body = try JSONSerialization.jsonObject(with: Data(buffer: created.body ?? ByteBuffer())) as? [String: Any]
                                ids.append(try #require(body?["id"] as? String))
                                let page = try await client.execute(.init("/api/v1/records/notes?limit=5", method: .get, headers: json))
                                #expect(page.status == .ok)
                            }
                            // A login hashes on the password pool and comes back to the loop.
                            let login = try await client.execute(.init("/api/v1/auth/login", method: .post, headers: [.contentType: "application/json"],
                                                                       body: ByteBuffer(string: #"{"account":"\#(acme.slug)","email":"\#(acme.email)","password":"\#(TestApp.password)"}"#)))
                            #expect(login.status == .ok)
                        } catch {
                            try? await client.shutdown()
                            throw error
                        }
                        try await client.shutdown()
                        return ids
                    }
                }
                return try await group.reduce(into: [String]()) { $0 += $1 }
            }
            #expect(ids.count == 80 && Set(ids).count == 80)
            var streamed: [String] = []
            _ = try await stream.events(until: { event in
                if event.event == "record.created", let id = event.recordID { streamed.append(id) }
                return streamed.count == 80
            })
            #expect(streamed.count == 80 && Set(streamed) == Set(ids))
            let listed = try await app.request(.get, "/api/v1/records/notes?limit=1", token: acme.token)
            #expect(listed.int("total") == 80)
            let creates = try await app.auditEntries(account: acme.accountID, action: "record.create")
            #expect(Set(creates.compactMap(\.recordID)) == Set(ids))
            let verify = try await app.request(.get, "/api/v1/audit-logs/verify", token: root)
            #expect(verify.bool("valid") == true)
        }
    }
}

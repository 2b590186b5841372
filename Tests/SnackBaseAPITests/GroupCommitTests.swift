import AsyncHTTPClient
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import PostgresNIO
import SQLKit
import SnackBaseCore
import SnackBaseService
@testable import SnackBaseStore
import SnackBaseTesting
import Synchronization
import Testing

/// Creates of one collection in one account that arrive together share a commit (SQLite's
/// ``WriteBatcher``, PostgreSQL's ``CreateBatcher``); each still succeeds or fails alone.
@Suite("Creates that share a commit")
struct GroupCommitTests {
    static let fields = #"[{"name":"title","type":"text"},{"name":"code","type":"text","unique":true}]"#

    @Test("WRITE-BATCH-001: 64 creates at once, then 64 more with every fourth refused inside its transaction (a taken unique code): each is answered alone, the refused leave no record, audit entry or realtime event, on PostgreSQL creates commit together, and the chain stays whole")
    func createsSucceedAndFailAlone() async throws {
        try await TestApp.run(live: true) { app in
            let port = try #require(app.client.port)
            let root = try await app.superadminToken()
            try await app.createCollection("notes", fields: Self.fields, root: root)
            let acme = try await app.register("acme")
            let first = try await app.request(.post, "/api/v1/records/notes", json: #"{"title":"first","code":"taken"}"#, token: acme.token)
            let firstID = try #require(first.string("id"))
            let stream = try await EventStreamClient.open(port: port, "/api/v1/realtime?topics=notes", headers: [("Authorization", "Bearer \(acme.token)")])
            #expect(stream.status == 200)
            let store = app.services.database as? PostgresStore
            let refused: @Sendable (Int) -> Bool = { index in index >= 64 && index % 4 == 3 }

            let together = try await Self.burst(0..<64, port: port, tenant: acme, store: store, refused: refused)
            if let store {
                #expect(store.creates.largestBatch > 1, "no two creates shared a transaction")
                // Rows inserted by one transaction share its id (xmin): fewer transactions than creates.
                let account = try #require(AccountID(acme.accountID))
                let transactions = try await store.read { db in
                    try await RowSecurity.enter(AccountScope(account), on: db)
                    return try await db.raw("SELECT count(DISTINCT xmin::text)::int AS n FROM col_notes").first()?.decode(column: "n", as: Int.self)
                }
                #expect((transactions ?? 0) > 1 && (transactions ?? 65) < 64, "\(transactions ?? -1) transactions for 65 creates")
            }
            let answers = try await together + Self.burst(64..<128, port: port, tenant: acme, store: store, refused: refused)
            for answer in answers {
                #expect(answer.status == (refused(answer.index) ? 409 : 201), "create \(answer.index)")
            }
            let created = Set(answers.compactMap { $0.status == 201 ? $0.id : nil })
            #expect(created.count == 112)

            // Each record that was answered 201 is there, under its own title; nothing else is.
            var items: [[String: Any]] = []
            for skip in [0, 100] {
                let page = try await app.request(.get, "/api/v1/records/notes?limit=100&skip=\(skip)&sort=created_at", token: acme.token)
                #expect(page.int("total") == 113)
                items += try #require(page.json["items"] as? [[String: Any]])
            }
            #expect(items.count == 113)
            let titles = Dictionary(uniqueKeysWithValues: answers.compactMap { answer in answer.id.map { ($0, "n\(answer.index)") } })
            for item in items {
                guard let id = item["id"] as? String, id != firstID else { continue }
                #expect(titles[id] == item["title"] as? String, "\(item)")
            }
            #expect(Set(items.compactMap { $0["id"] as? String }) == created.union([firstID]))

            // One create entry per record written, in a gap-free chain that verifies.
            let chain = try await app.auditEntries(account: acme.accountID).sorted { $0.sequence < $1.sequence }
            #expect(chain.map(\.sequence) == Array(1...chain.count))
            let audited = chain.filter { $0.action == "record.create" }.compactMap(\.recordID)
            #expect(audited.count == 113)
            #expect(Set(audited) == created.union([firstID]))
            #expect(try await AuditLog.verify(account: nil, on: app.services.database).valid)

            // The stream carries the creates, once each, and no event of a refused one.
            let sentinel = try #require(try await app.request(.post, "/api/v1/records/notes", json: #"{"title":"last","code":"last"}"#, token: acme.token).string("id"))
            let events = try await stream.events(until: { $0.recordID == sentinel })
            let seen = events.filter { $0.event == "record.created" }.compactMap(\.recordID)
            #expect(seen.count == 113, "\(events.map(\.event))")
            #expect(Set(seen) == created.union([sentinel]))
            stream.close()
        }
    }

    /// Creates `indices` at once, over connections of their own (the test client has one), titled "n<index>", with the
    /// code already taken where `refused`. On PostgreSQL the account's chain lock is held from outside until the creates
    /// have queued up behind the transactions under way (which wait for it at their appends), so that they do share.
    static func burst(
        _ indices: Range<Int>, port: Int, tenant: TestApp.Tenant, store: PostgresStore?, refused: @escaping @Sendable (Int) -> Bool
    ) async throws -> [(index: Int, status: Int, id: String?)] {
        var holder: PostgresConnection?
        if let store {
            holder = try await PostgresConnection.connect(configuration: store.connectionConfiguration, id: 2, logger: TestDatabase.logger)
            _ = try await holder?.query("SELECT pg_advisory_lock(\(AuditLog.lockKey(for: tenant.accountID)))", logger: TestDatabase.logger)
        }
        let http = HTTPClient(configuration: .init(connectionPool: .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)))
        let answers = try await withThrowingTaskGroup(of: (index: Int, status: Int, id: String?).self) { group in
            for index in indices {
                group.addTask {
                    let code = refused(index) ? "taken" : "c\(index)"
                    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/records/notes")
                    request.method = .POST
                    request.headers.add(name: "Authorization", value: "Bearer \(tenant.token)")
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.body = .bytes(ByteBuffer(string: #"{"title":"n\#(index)","code":"\#(code)"}"#))
                    let response = try await http.execute(request, timeout: .seconds(60))
                    let body = try await response.body.collect(upTo: 1 << 20)
                    let json = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any]
                    return (index, Int(response.status.code), json?["id"] as? String)
                }
            }
            if let holder {
                for _ in 0..<500 {
                    let rows = try await holder.query("SELECT count(*)::int FROM pg_locks WHERE locktype = 'advisory' AND NOT granted", logger: TestDatabase.logger)
                    var waiting = 0
                    for try await count in rows.decode(Int.self) { waiting = count }
                    if waiting >= CreateBatcher.lanes { break }
                    try await Task.sleep(for: .milliseconds(10))
                }
                try await Task.sleep(for: .milliseconds(300))
                _ = try await holder.query("SELECT pg_advisory_unlock_all()", logger: TestDatabase.logger)
            }
            var answers: [(index: Int, status: Int, id: String?)] = []
            for try await answer in group { answers.append(answer) }
            return answers
        }
        try await http.shutdown()
        try await holder?.close()
        return answers
    }

    @Test("WRITE-BATCH-002: in a PostgreSQL transaction of three creates, the second fails after its notification and its audit append: nothing of the three commits together, each runs again alone; the first and third commit with their entries in order and their notifications, the second leaves nothing; the chain's lock stays free until the commit")
    func aPartUndoneLeavesNothing() async throws {
        guard TestDatabase.postgresURL != nil else { return }
        try await TestDatabase.with(.postgres) { database in
            try await Migrator.migrate(database)
            let store = try #require(database as? PostgresStore)
            let account = try #require(AccountID("GC0001"))
            try await database.transaction { db in
                try await RowSecurity.enter(AccountScope(account), on: db)
                try await AccountRepository.insert(
                    Account(id: account, slug: "gc", name: "GC", createdAt: "2026-12-07T00:00:00.000Z", updatedAt: "2026-12-07T00:00:00.000Z"), on: db
                )
            }
            let listener = try await PostgresConnection.connect(configuration: store.connectionConfiguration, id: 1, logger: TestDatabase.logger)
            let notifications = try await listener.listen("snackbase_group_commit_test")
            var received = notifications.makeAsyncIterator()

            struct Refused: Error {}
            let together = Atomic<Int>(0)
            let key = AuditLog.lockKey(for: account.rawValue)
            func body(_ name: String, fails: Bool) -> CreateBatcher.Body {
                { db in
                    let session = try #require(db as? PostgresSession)
                    try await session.notify(channel: "snackbase_group_commit_test", payload: name)
                    try await AuditLog.append(AuditEvent(accountID: account, action: "test.\(name)", outcome: .allowed, status: 201), on: db)
                    // Together, the append waits for the commit: the chain's lock is still free while the creates run.
                    _ = try await db.raw("SELECT 1").all()
                    if session.defersAppends {
                        let rows = try await listener.query("SELECT pg_try_advisory_lock(\(key)) AS free", logger: TestDatabase.logger)
                        var free = false
                        for try await value in rows.decode(Bool.self) { free = value }
                        #expect(free, "the chain's lock was taken before the commit")
                        _ = try await listener.query("SELECT pg_advisory_unlock_all()", logger: TestDatabase.logger)
                        together.add(1, ordering: .relaxed)
                    }
                    if fails { throw Refused() }
                    return name
                }
            }
            let results = await store.writeCreates(
                [body("one", fails: false), body("two", fails: true), body("three", fails: false)],
                of: .init(table: "col_none", account: account.rawValue), footprint: .records(table: "col_none", account: account.rawValue)
            )
            #expect(results.count == 3)
            #expect((try? results[0].get().value) as? String == "one")
            #expect({ if case .failure(let error) = results[1] { error is Refused } else { false } }())
            #expect((try? results[2].get().value) as? String == "three")
            // Tried together first (the first two ran before the second failed), then alone: two transactions.
            #expect(together.load(ordering: .relaxed) == 2)
            #expect(try results[0].get().transaction != nil && results[0].get().transaction != results[2].get().transaction)

            let chain = try await database.read { db in
                try await AuditLog.list(AuditFilter(account: AccountScope(account)), skip: 0, limit: 100, on: db).items
            }.sorted { $0.sequence < $1.sequence }
            #expect(chain.map(\.action) == ["test.one", "test.three"])
            #expect(chain.map(\.sequence) == [1, 2])
            #expect(try await AuditLog.verify(account: AccountScope(account), on: database).valid)

            // The notifications of the transaction, then one sent afterwards: "two" never comes.
            try await store.notify(channel: "snackbase_group_commit_test", payload: "after")
            var payloads: [String] = []
            while payloads.last != "after", let next = try await received.next() { payloads.append(next.payload) }
            #expect(payloads == ["one", "three", "after"])
            try await listener.close()
        }
    }
}

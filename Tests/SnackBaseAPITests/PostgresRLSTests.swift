import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PostgresKit
import PostgresNIO
import SnackBaseAPI
import SnackBaseAuth
import SnackBaseCore
import SnackBaseService
@testable import SnackBaseStore
import SnackBaseTesting
import SQLKit
import Testing

/// PostgreSQL only: native row-level security beneath the repositories (security-model.md §2) and
/// cache invalidations across server processes (§5). Enabled when `SNACKBASE_TEST_POSTGRES_URL`
/// is set, which `scripts/test` guarantees under `CI=true`.
@Suite("PostgreSQL: row-level security and several processes", .enabled(if: TestDatabase.postgresURL != nil))
struct PostgresRLSTests {
    /// Every table that holds tenant rows, with the column that names a row in failure messages.
    static let tenantTables = RowSecurity.tenantTables + RowSecurity.appendOnlyTenantTables + ["col_notes"]

    @Test("ISO-RLS-001: through the application role, account A's setting shows none of B's rows, even without WHERE account_id")
    func isolation() async throws {
        try await PostgresScratch.with { url in
            let database = try await PostgresStore(url: url, logger: TestDatabase.logger, connectionWait: TestDatabase.connectionWait)
            let (acme, globex) = try await PostgresScratch.app(on: database) { app in
                let root = try await app.superadminToken()
                try await app.createCollection("notes", fields: #"[{"name":"title","type":"text"}]"#, root: root)
                let acme = try await app.register("acme")
                let globex = try await app.register("globex")
                for tenant in [acme, globex] {
                    _ = try await app.user("viewer@\(tenant.slug).test", roles: ["viewer"], in: tenant)
                    let note = try await app.request(.post, "/api/v1/records/notes", json: #"{"title":"\#(tenant.slug)"}"#, token: tenant.token)
                    #expect(note.status == 201, "\(note.text)")
                }
                return (acme.accountID, globex.accountID)
            }

            // The role really is the application's: not a superuser, no BYPASSRLS, owner of nothing.
            let role = try await database.read { db in
                try await db.raw("SELECT current_user AS name, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user").first()
            }
            #expect(try role?.decode(column: "name", as: String.self) == RowSecurity.applicationRole)
            #expect(try role?.decode(column: "rolsuper", as: Bool.self) == false)
            #expect(try role?.decode(column: "rolbypassrls", as: Bool.self) == false)

            // Every table with an account_id column is under row-level security (a new tenant table
            // that forgets its policy fails here).
            let unprotected = try await database.read { db in
                try await db.raw("""
                    SELECT c.relname AS name FROM pg_class c
                    JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
                    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'account_id' AND NOT a.attisdropped
                    WHERE c.relkind = 'r' AND NOT c.relrowsecurity
                    """).all().map { try $0.decode(column: "name", as: String.self) }
            }
            #expect(unprotected.isEmpty, "tenant tables without row-level security: \(unprotected)")

            for table in Self.tenantTables {
                // The data is there: the owner (the migration's bypass) sees both accounts.
                let owners = try await accounts(in: table, setting: nil, asOwner: true, database)
                #expect(Set(owners).isSuperset(of: [acme, globex]), "\(table): \(Set(owners))")
                // A's setting: only A's rows, with no WHERE at all.
                let seenByA = try await accounts(in: table, setting: acme, database)
                #expect(!seenByA.isEmpty, "\(table): account A sees its own rows")
                #expect(seenByA.allSatisfy { $0 == acme }, "\(table): account A sees \(Set(seenByA))")
                // No setting: nothing (fail closed).
                let unset = try await accounts(in: table, setting: nil, database)
                #expect(unset.isEmpty, "\(table): without a setting \(unset.count) rows are visible")
            }

            // Writes are checked too: with A's setting, B's rows can be neither changed nor created.
            let changed = try await database.transaction { db in
                try await db.raw("SELECT set_config('snackbase.account_id', \(bind: acme), true)").run()
                return try await db.raw("UPDATE users SET is_active = false WHERE account_id = \(bind: globex) RETURNING id").all().count
            }
            #expect(changed == 0)
            await #expect(throws: (any Error).self) {
                try await database.transaction { db in
                    try await db.raw("SELECT set_config('snackbase.account_id', \(bind: acme), true)").run()
                    try await db.raw("""
                        INSERT INTO roles (id, account_id, name, description, created_at, updated_at)
                        VALUES ('role_planted', \(bind: globex), 'planted', '', '', '')
                        """).run()
                }
            }
            await database.shutdown()
        }
    }

    @Test("a transaction begins with its first statement, under the application role, whether that statement enters an account or not; statements sent together all wait for it")
    func aTransactionBeginsWithItsFirstStatement() async throws {
        try await PostgresScratch.withMigratedStore { database in
            let account = try #require(AccountID("AB1234"))
            // Entering the account opens the transaction (role and account in one statement); the next
            // statement runs in the same transaction, as the application role.
            let entered = try await database.read { db in
                try await RowSecurity.enter(AccountScope(account), on: db)
                return try await db.raw("SELECT current_user AS name, current_setting('snackbase.account_id', true) AS account").first()
            }
            #expect(try entered?.decode(column: "name", as: String.self) == RowSecurity.applicationRole)
            #expect(try entered?.decode(column: "account", as: String.self) == account.rawValue)
            // Eight first statements at once: each waits for the one opening.
            let names = try await database.read { db in
                try await withThrowingTaskGroup(of: String.self) { group in
                    for _ in 0..<8 {
                        group.addTask { try await db.raw("SELECT current_user AS name").first()?.decode(column: "name", as: String.self) ?? "" }
                    }
                    return try await group.reduce(into: [String]()) { $0.append($1) }
                }
            }
            #expect(names == Array(repeating: RowSecurity.applicationRole, count: 8))
            // A write transaction is a transaction from its first statement: read-only reads refuse to write.
            await #expect(throws: (any Error).self) {
                try await database.read { db in try await db.raw("CREATE TEMPORARY TABLE planted (x int)").run() }
            }
            // A transaction that sends nothing ends without error.
            try await database.transaction { _ in }
            try await database.read { _ in }
        }
    }

    @Test("a statement sent without waiting is answered before the next one runs, and its failure is what the next statement or the commit throws, the transaction rolled back")
    func statementsSentWithoutWaiting() async throws {
        try await PostgresScratch.withMigratedStore { database in
            let account = try #require(AccountID("AB1234"))
            // In order: each read sees the value the statement sent just before it set.
            let seen = try await database.transaction { db in
                let session = try #require(db as? PostgresSession)
                var seen: [String] = []
                for value in 0..<40 {
                    try await session.send(SQLQueryString("SELECT set_config('snackbase.probe', \(bind: String(value)), true)"))
                    seen.append(try await db.raw("SELECT current_setting('snackbase.probe') AS value").first()?.decode(column: "value", as: String.self) ?? "")
                }
                return seen
            }
            #expect(seen == (0..<40).map(String.init))
            // The next statement throws the sent one's failure, not "the transaction is aborted".
            let next = await #expect(throws: (any Error).self) {
                try await database.transaction { db in
                    try await #require(db as? PostgresSession).send(SQLRaw("SELECT 1 / 0"))
                    try await db.raw("SELECT 1").run()
                }
            }
            #expect(next.map(PostgresStore.reason) == "division by zero")
            // The commit throws it too, and nothing of the transaction stays: the audit entry appended before is gone.
            let commit = await #expect(throws: (any Error).self) {
                try await database.transaction { db in
                    try await AuditLog.append(AuditEvent(accountID: account, action: "probe.sent", status: 200), on: db)
                    try await #require(db as? PostgresSession).send(SQLRaw("SELECT 1 / 0"))
                }
            }
            #expect(commit.map(PostgresStore.reason) == "division by zero")
            let entries = try await database.read { db in try await AuditLog.list(AuditFilter(account: AccountScope(account)), skip: 0, limit: 10, on: db) }
            #expect(entries.total == 0)
            // After it the pool's connection serves the next transaction as usual.
            try await database.transaction { db in try await AuditLog.append(AuditEvent(accountID: account, action: "probe.sent", status: 200), on: db) }
            #expect(try await AuditLog.verify(account: AccountScope(account), on: database).checked == 1)
        }
    }

    @Test("a queued notification rides with the next selecting statement, in order with the others, and is delivered only when the transaction commits")
    func notificationsRideWithTheNextStatement() async throws {
        try await PostgresScratch.withMigratedStore { database in
            let listener = try await PostgresConnection.connect(configuration: database.connectionConfiguration, id: 90, logger: TestDatabase.logger)
            let received = NotificationInbox()
            let listening = Task {
                try await listener.listen(on: "snackbase_probe") { notifications in
                    await received.ready()
                    for try await notification in notifications { await received.add(notification.payload) }
                }
            }
            defer { listening.cancel() }
            await received.waitUntilReady()
            // One transaction on a connection of its own, each statement counted.
            let connection = try await PostgresConnection.connect(configuration: database.connectionConfiguration, id: 91, logger: TestDatabase.logger)
            let counted = CountingDatabase(connection.sql())
            func session() -> PostgresSession {
                PostgresSession(counted, connection: connection, opening: .init(readOnly: false, role: .application, notify: nil))
            }
            let carried = session()
            try await carried.notify(channel: "snackbase_probe", payload: "a")
            try await carried.raw("SELECT 1").run()  // "a" goes in a statement just before this one
            try await carried.notify(channel: "snackbase_probe", payload: "b")
            try await carried.notify(channel: "snackbase_probe", payload: "c")
            try await carried.send(selecting: "current_setting('role')")  // "b" and "c" ride with it
            try await carried.commit()
            #expect(counted.statements == [
                "BEGIN", "SELECT set_config('role', $1, true)", "SELECT pg_notify($1, $2)", "SELECT 1",
                "SELECT pg_notify($1, $2), pg_notify($3, $4), current_setting('role')", "COMMIT",
            ])
            // Queued last, they are sent with the commit; rolled back, never.
            let committed = session()
            try await committed.notify(channel: "snackbase_probe", payload: "d")
            try await committed.commit()
            let rolledBack = session()
            try await rolledBack.notify(channel: "snackbase_probe", payload: "never")
            try await rolledBack.raw("SELECT 2").run()
            await rolledBack.rollback()
            // A carrying statement that fails takes its notifications with it: the commit throws.
            let failed = session()
            try await failed.notify(channel: "snackbase_probe", payload: "never either")
            try await failed.send(selecting: "1 / 0")
            await #expect(throws: (any Error).self) { try await failed.commit() }
            let last = session()
            try await last.notify(channel: "snackbase_probe", payload: "e")
            try await last.commit()
            try await received.waitFor(count: 5)
            #expect(await received.payloads == ["a", "b", "c", "d", "e"])
            try await connection.close()
            listening.cancel()
            try? await listener.close()
        }
    }

    @Test("a failed opening is what the first statement and the commit throw, and no statement after it runs; a transaction with a failed statement never commits, even when the caller caught the failure")
    func aFailedOpeningAndACaughtFailure() async throws {
        try await PostgresScratch.withMigratedStore { database in
            let account = try #require(AccountID("AB1234"))
            let connection = try await PostgresConnection.connect(configuration: database.connectionConfiguration, id: 92, logger: TestDatabase.logger)
            // pg_notify refuses an empty channel, so this opening's SELECT fails.
            let failing = PostgresSession(connection.sql(), connection: connection, opening: .init(
                readOnly: false, role: .application, notify: .init(channel: "", payload: "x")))
            let first = await #expect(throws: (any Error).self) {
                // Session-wide (not local), so it would outlive the transaction had it run.
                try await failing.raw("SELECT set_config('snackbase.probe', 'ran', false)").run()
            }
            #expect(first.map(PostgresStore.reason) == "channel name cannot be empty")
            await #expect(throws: (any Error).self) { try await failing.commit() }
            await failing.rollback()
            let probe = try await connection.sql().raw("SELECT current_setting('snackbase.probe', true) AS value").first()
            #expect(try probe?.decode(column: "value", as: String?.self) ?? "" == "")
            try await connection.close()
            // A failure caught inside the body: the commit throws it, and the audit entry appended before it is gone.
            let caught = await #expect(throws: (any Error).self) {
                try await database.transaction { db in
                    try await AuditLog.append(AuditEvent(accountID: account, action: "probe.caught", status: 200), on: db)
                    _ = try? await db.raw("SELECT 1 / 0").run()
                }
            }
            #expect(caught.map(PostgresStore.reason) == "division by zero")
            let entries = try await database.read { db in try await AuditLog.list(AuditFilter(account: AccountScope(account)), skip: 0, limit: 10, on: db) }
            #expect(entries.total == 0)
        }
    }

    @Test("AUD-CH-005 on PostgreSQL: concurrent creates through several connections keep one gap-free, valid chain per account")
    func concurrentAppends() async throws {
        try await PostgresScratch.with { url in
            let database = try await PostgresStore(url: url, logger: TestDatabase.logger, connectionWait: TestDatabase.connectionWait)
            try await PostgresScratch.app(on: database) { app in
                let root = try await app.superadminToken()
                try await app.createCollection("notes", fields: #"[{"name":"title","type":"text"}]"#, root: root)
                let tenants = [try await app.register("acme"), try await app.register("globex")]
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for index in 0..<48 {
                        let tenant = tenants[index % 2]
                        group.addTask {
                            try await app.request(.post, "/api/v1/records/notes", json: #"{"title":"c\#(index)"}"#, token: tenant.token).status
                        }
                    }
                    for try await status in group { #expect(status == 201) }
                }
                for tenant in tenants {
                    let chain = try await app.auditEntries(account: tenant.accountID).sorted { $0.sequence < $1.sequence }
                    #expect(chain.map(\.sequence) == Array(1...chain.count))
                    #expect(chain.filter { $0.action == "record.create" }.count == 24)
                }
                #expect(try await AuditLog.verify(account: nil, on: database).valid)
            }
            await database.shutdown()
        }
    }

    @Test("AUD-CH-006 on PostgreSQL: the hashes the database computes for the chain are the ones Swift recomputes, for NULLs, multi-byte text, long text and sequences of two digits")
    func databaseComputedHashes() async throws {
        try await PostgresScratch.withMigratedStore { database in
            let account = try #require(AccountID("AB1234"))
            let events = [
                AuditEvent(accountID: account, action: "probe.nulls"),
                AuditEvent(accountID: account, action: "probe.text", outcome: .denied, status: 403, actorID: "usr_1", actorEmail: "zoë@example.com",
                           collection: "notes", recordID: "rec_1", reason: "naïve — ☃ 🦊", origin: AuditOrigin(requestID: "req-1", ip: "::1", userAgent: "curl/8")),
                AuditEvent(accountID: account, action: "probe.long", reason: String(repeating: "é", count: 2_000),
                           changes: ["title": AuditChange(old: .string("a"), new: .string("b\u{0}c")), "n": AuditChange(old: .null, new: .number(3))]),
            ]
            // Twelve entries, so that sequences of one and of two digits are hashed; two per transaction.
            for round in 0..<6 {
                try await database.transaction { db in
                    try await AuditLog.append(events[round % 3], on: db)
                    try await AuditLog.append(events[(round + 1) % 3], on: db)
                }
            }
            let verification = try await AuditLog.verify(account: AccountScope(account), on: database)
            #expect(verification.valid)
            #expect(verification.checked == 12)
            let chain = try await database.read { db in
                try await AuditLog.chainPage(AuditFilter(account: AccountScope(account)), after: nil, limit: 20, on: db)
            }
            #expect(chain.map(\.sequence) == Array(1...12))
            #expect(chain.first?.previousHash == AuditChain.genesis)
            #expect(chain.allSatisfy { AuditChain.hash(of: $0, previous: $0.previousHash) == $0.hash })
            #expect(chain.contains { $0.reason?.count == AuditLog.maxText })
        }
    }

    /// The `account_id` of every row of `table` as a transaction sees it, with no WHERE clause.
    private func accounts(in table: String, setting: String?, asOwner: Bool = false, _ database: PostgresStore) async throws -> [String] {
        let body: @Sendable (any SQLDatabase) async throws -> [String] = { db in
            if let setting { try await db.raw("SELECT set_config('snackbase.account_id', \(bind: setting), true)").run() }
            return try await db.raw("SELECT account_id FROM \(ident: table)").all().map { try $0.decode(column: "account_id", as: String.self) }
        }
        if asOwner {
            return try await database.read { db in try await RowSecurity.bypassing(.migration, on: db) { try await body($0) } }
        }
        return try await database.read(body)
    }

    @Test("two processes: a permission revoked through A is enforced by B within 1 s; a collection created through A is served by B")
    func twoProcesses() async throws {
        try await PostgresScratch.with { url in
            let storeA = try await PostgresStore(url: url, logger: TestDatabase.logger, connectionWait: TestDatabase.connectionWait)
            let storeB = try await PostgresStore(url: url, logger: TestDatabase.logger, connectionWait: TestDatabase.connectionWait)
            let storeC = try await PostgresStore(url: url, logger: TestDatabase.logger, connectionWait: TestDatabase.connectionWait)
            try await PostgresScratch.app(on: storeA) { a in
                try await PostgresScratch.app(on: storeB, migrate: false) { b in
                    try await PostgresScratch.app(on: storeC, migrate: false) { c in
                        let log = InvalidationLog()
                        let listener = Task { await b.services.listenForChanges(onListening: { await log.listening() }, onApplied: { await log.applied($0) }) }
                        defer { listener.cancel() }
                        #expect(await log.waitForSubscription(1))

                        let root = try await a.superadminToken()
                        try await a.createCollection("notes", fields: #"[{"name":"title","type":"text"}]"#, root: root)
                        let acme = try await a.register("acme")
                        let account = try #require(AccountID(acme.accountID))
                        let viewer = try await a.user("viewer@acme.test", roles: ["viewer"], in: acme)
                        // B and C (which does not listen: the control) cache acme's policy.
                        for app in [b, c] {
                            for _ in 0..<2 {
                                let list = try await app.request(.get, "/api/v1/records/notes", token: viewer.token)
                                #expect(list.status == 200, "\(list.text)")
                            }
                        }
                        #expect(await b.services.policies.hits >= 1)

                        // Revoke through A: the viewer role's wildcard permission goes. B drops the
                        // cached policy within 1 s (measured from A's answer; a few ms on an idle
                        // machine), so the next request B serves is refused.
                        let permissions = try await a.request(.get, "/api/v1/permissions?collection=*", token: acme.token)
                        let viewerPermission = try #require(permissions.items.first { ($0["role"] as? String) == "viewer" }?["id"] as? String)
                        let asked = ContinuousClock.now
                        #expect(try await a.request(.delete, "/api/v1/permissions/\(viewerPermission)", token: acme.token).status == 204)
                        let elapsed = await log.waitFor(.access(account), askedAt: asked, answeredAt: .now)
                        #expect(elapsed.map { $0 < .seconds(1) } == true, "B applied the revocation after \(String(describing: elapsed))")
                        #expect(try await b.request(.get, "/api/v1/records/notes", token: viewer.token).status == 403)
                        // Without the feed the cache would still grant: C, which does not listen, does.
                        #expect(try await c.request(.get, "/api/v1/records/notes", token: viewer.token).status == 200)

                        // A schema change reaches B's collection catalog too.
                        #expect(try await b.request(.get, "/api/v1/records/tasks", token: acme.token).status == 404)
                        let creating = ContinuousClock.now
                        try await a.createCollection("tasks", fields: #"[{"name":"title","type":"text"}]"#, root: root)
                        let schema = await log.waitFor(.schema, askedAt: creating, answeredAt: .now)
                        #expect(schema.map { $0 < .seconds(1) } == true, "B applied the schema change after \(String(describing: schema))")
                        #expect(try await b.request(.get, "/api/v1/records/tasks", token: acme.token).status == 200)

                        // The listener's connection drops: it reconnects, drops everything it caches
                        // (messages may have been lost meanwhile) and applies new messages again.
                        // Taken before: the listener may reconnect (100 ms) before this task runs again.
                        let dropped = ContinuousClock.now
                        let terminated = try await PostgresScratch.terminateListeners(on: storeA)
                        #expect(terminated == 1)
                        #expect(await log.waitForSubscription(2))
                        #expect(await log.waitFor(.everything, askedAt: dropped, answeredAt: dropped) != nil)
                        let reader = try await a.user("reader@acme.test", roles: ["editor"], in: acme)
                        #expect(try await b.request(.get, "/api/v1/records/notes", token: reader.token).status == 200)
                        let editorPermission = try #require(permissions.items.first { ($0["role"] as? String) == "editor" }?["id"] as? String)
                        let revoking = ContinuousClock.now
                        #expect(try await a.request(.delete, "/api/v1/permissions/\(editorPermission)", token: acme.token).status == 204)
                        let again = await log.waitFor(.access(account), askedAt: revoking, answeredAt: .now)
                        #expect(again.map { $0 < .seconds(1) } == true, "after reconnecting, B applied the revocation after \(String(describing: again))")
                        #expect(try await b.request(.get, "/api/v1/records/notes", token: reader.token).status == 403)
                    }
                }
            }
            for store in [storeA, storeB, storeC] { await store.shutdown() }
        }
    }
}

extension PostgresRLSTests {
    @Test("several processes: what B remembers (lists, records, sign-ins) follows A's writes within 1 s; a write no message tells is seen after rememberedFor; without its listener a process remembers nothing")
    func rememberedReadsAcrossProcesses() async throws {
        try await PostgresScratch.with { url in
            let storeA = try await PostgresStore(url: url, logger: TestDatabase.logger, connectionWait: TestDatabase.connectionWait)
            // B keeps what it reads for a minute unless told of a write; C for 300 ms; D does not listen.
            let storeB = try await PostgresStore(url: url, logger: TestDatabase.logger, connectionWait: TestDatabase.connectionWait, rememberedFor: .seconds(60))
            let storeC = try await PostgresStore(url: url, logger: TestDatabase.logger, connectionWait: TestDatabase.connectionWait, rememberedFor: .milliseconds(300))
            let storeD = try await PostgresStore(url: url, logger: TestDatabase.logger, connectionWait: TestDatabase.connectionWait)
            try await PostgresScratch.app(on: storeA, listens: true) { a in
                try await PostgresScratch.app(on: storeB, migrate: false, listens: true) { b in
                    try await PostgresScratch.app(on: storeC, migrate: false, listens: true) { c in
                        try await PostgresScratch.app(on: storeD, migrate: false) { d in
                            let root = try await a.superadminToken()
                            try await a.createCollection("notes", fields: #"[{"name":"title","type":"text"}]"#, root: root)
                            let acme = try await a.register("acme")
                            let bob = try await a.user("bob@acme.test", roles: ["admin"], in: acme)
                            func list(_ app: TestApp) async throws -> TestResponse {
                                try await app.request(.get, "/api/v1/records/notes?sort=-created_at", token: acme.token)
                            }
                            /// How long after `answered` `stamp` (a process's generation, read in memory) moved from
                            /// `before` (polled every millisecond for up to 10 s); nil if it never did. Timed in memory,
                            /// not by requests, whose own time under a loaded machine is not what is measured.
                            func advanced(from before: UInt64, after answered: ContinuousClock.Instant, _ stamp: () -> UInt64) async throws -> Duration? {
                                while ContinuousClock.now - answered < .seconds(10) {
                                    if stamp() != before { return ContinuousClock.now - answered }
                                    try await Task.sleep(for: .milliseconds(1))
                                }
                                return nil
                            }
                            let generationB = try #require(storeB.writeGeneration), generationC = try #require(storeC.writeGeneration)
                            let notes = { generationB.records(table: "col_notes", account: acme.accountID) }
                            let rememberedB = try #require(storeB.rememberedReads)

                            // B remembers: the second list counts nothing.
                            #expect(try await list(b).int("total") == 0)
                            let counted = rememberedB.totalsCounted
                            #expect(try await list(b).int("total") == 0)
                            #expect(rememberedB.totalsCounted == counted, "B counted again with nothing written")
                            // D, which does not listen, could not be told of writes: it remembers nothing.
                            let rememberedD = try #require(storeD.rememberedReads)
                            #expect(storeD.writeGeneration?.isSuspended == true)
                            for expected in 1...2 {
                                _ = try await list(d)
                                #expect(rememberedD.totalsCounted == expected)
                            }

                            // A create through A: B's remembered list shows it within 1 s of A's answer.
                            var before = notes()
                            let created = try await a.request(.post, "/api/v1/records/notes", json: #"{"title":"one"}"#, token: acme.token)
                            #expect(created.status == 201, "\(created.text)")
                            let id = try #require(created.string("id"))
                            let listed = try await advanced(from: before, after: .now, notes)
                            #expect(listed.map { $0 < .seconds(1) } == true, "B was told of A's create after \(String(describing: listed))")
                            #expect(try await list(b).int("total") == 1)

                            // An update through A: B's remembered record follows.
                            let path = "/api/v1/records/notes/\(id)"
                            for app in [b, c] { #expect(try await app.request(.get, path, token: acme.token).string("title") == "one") }
                            before = notes()
                            #expect(try await a.request(.patch, path, json: #"{"title":"two"}"#, token: acme.token).status == 200)
                            let updated = try await advanced(from: before, after: .now, notes)
                            #expect(updated.map { $0 < .seconds(1) } == true, "B was told of A's update after \(String(describing: updated))")
                            #expect(try await b.request(.get, path, token: acme.token).string("title") == "two")

                            // A deactivation through A ends bob's sign-in that B remembers.
                            for _ in 0..<2 { #expect(try await b.request(.get, "/api/v1/auth/me", token: bob.token).status == 200) }
                            before = generationB.current
                            #expect(try await a.request(.delete, "/api/v1/users/\(bob.id)", token: acme.token).status == 204)
                            let ended = try await advanced(from: before, after: .now) { generationB.current }
                            #expect(ended.map { $0 < .seconds(1) } == true, "B was told of the deactivation after \(String(describing: ended))")
                            #expect(try await b.request(.get, "/api/v1/auth/me", token: bob.token).status == 401)

                            // A write no notification tells (autocommit SQL, as from psql): C, which keeps
                            // what it reads for 300 ms, reads it again within that; B, told of nothing, still answers
                            // what it read (which is why the default is 500 ms, not a minute).
                            for app in [b, c] { #expect(try await app.request(.get, path, token: acme.token).string("title") == "two") }
                            try await storeA.execute(unsafeSQL: "UPDATE col_notes SET title = 'untold'")
                            before = generationC.current
                            let expired = try await advanced(from: before, after: .now) { generationC.current }
                            #expect(expired.map { $0 < .seconds(1) } == true, "C let what it read go after \(String(describing: expired))")
                            #expect(try await c.request(.get, path, token: acme.token).string("title") == "untold")
                            #expect(try await b.request(.get, path, token: acme.token).string("title") == "two")
                        }
                    }
                }
            }
            for store in [storeA, storeB, storeC, storeD] { await store.shutdown() }
        }
    }
}

/// What one process's listener did, and when, for the two-process test.
actor InvalidationLog {
    private var subscriptions = 0
    private var events: [(invalidation: CacheInvalidation, at: ContinuousClock.Instant)] = []

    func listening() { subscriptions += 1 }
    func applied(_ invalidation: CacheInvalidation) { events.append((invalidation, .now)) }

    /// True once the listener has subscribed `count` times (waits up to 10 s).
    func waitForSubscription(_ count: Int) async -> Bool {
        let start = ContinuousClock.now
        while subscriptions < count {
            guard ContinuousClock.now - start < .seconds(10) else { return false }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return true
    }

    /// How long after the change's answer (`answered`) the listener applied `expected`, counting only
    /// what it applied after the change was asked for (`asked`); zero when it applied it before the
    /// answer was even back. Waits up to 10 s; nil if it never did.
    func waitFor(_ expected: CacheInvalidation, askedAt asked: ContinuousClock.Instant, answeredAt answered: ContinuousClock.Instant) async -> Duration? {
        while ContinuousClock.now - answered < .seconds(10) {
            if let event = events.first(where: { $0.invalidation == expected && $0.at >= asked }) {
                return event.at > answered ? event.at - answered : .zero
            }
            try? await Task.sleep(for: .milliseconds(2))
        }
        return nil
    }

    @Test("two processes: failed logins through A count in B (login_identity), and a right password through B forgets them")
    func loginLimitsAcrossProcesses() async throws {
        try await PostgresScratch.with { url in
            let storeA = try await PostgresStore(url: url, logger: TestDatabase.logger, connectionWait: TestDatabase.connectionWait)
            let storeB = try await PostgresStore(url: url, logger: TestDatabase.logger, connectionWait: TestDatabase.connectionWait)
            try await PostgresScratch.app(on: storeA) { a in
                try await PostgresScratch.app(on: storeB, migrate: false) { b in
                    let acme = try await a.register("acme")
                    let limit = RateLimits().loginIdentity.count
                    // Under the limit, split over both processes; the right password through B clears them.
                    for i in 0..<(limit - 1) {
                        let wrong = try await (i % 2 == 0 ? a : b).login("acme", acme.email, password: "Wrong-password-1!")
                        #expect(wrong.status == 401, "\(wrong.text)")
                    }
                    #expect(try await b.login("acme", acme.email).status == 200)
                    // Then the limit's worth of failures through A alone: B refuses the next attempt, right or wrong.
                    for _ in 0..<limit {
                        #expect(try await a.login("acme", acme.email, password: "Wrong-password-1!").status == 401)
                    }
                    let refused = try await b.login("acme", acme.email)
                    #expect(refused.status == 429, "\(refused.text)")
                    #expect(Int(refused.headers[.retryAfter] ?? "").map { $0 >= 1 } == true)
                    // A third party's identity is not affected.
                    let other = try await b.register("globex")
                    #expect(try await b.login("globex", other.email).status == 200)
                }
            }
            await storeA.shutdown()
            await storeB.shutdown()
        }
    }
}

/// A PostgreSQL database of its own for one test, made through `SNACKBASE_TEST_POSTGRES_URL`
/// and dropped afterwards; several stores (processes) can open it by URL.
enum PostgresScratch {
    /// Ends every listening connection of `store`'s database (a dropped listener); returns how many.
    static func terminateListeners(on store: PostgresStore) async throws -> Int {
        try await store.read { db in
            try await RowSecurity.bypassing(.tamperingForTests, on: db) { db in
                try await db.raw("""
                    SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity
                    WHERE datname = current_database() AND query LIKE 'LISTEN%'
                    """).all().count
            }
        }
    }

    /// A store on a scratch database of its own, migrated, shut down after `body`.
    static func withMigratedStore(_ body: (PostgresStore) async throws -> Void) async throws {
        try await with { url in
            let database = try await PostgresStore(url: url, logger: TestDatabase.logger, connectionWait: TestDatabase.connectionWait)
            do {
                try await Migrator.migrate(database)
                try await body(database)
            } catch {
                await database.shutdown()
                throw error
            }
            await database.shutdown()
        }
    }

    static func with(_ body: (String) async throws -> Void) async throws {
        guard let url = TestDatabase.postgresURL, var components = URLComponents(string: url) else { throw TestFailure("no PostgreSQL configured") }
        let name = "snackbase_test_" + SecureID.randomHex(bytes: 6)
        let admin = try await PostgresStore(url: url, logger: TestDatabase.logger, connectionWait: TestDatabase.connectionWait)
        try await admin.execute(unsafeSQL: "CREATE DATABASE \(name)")
        components.path = "/" + name
        var failure: (any Error)?
        do { try await body(components.string ?? url) } catch { failure = error }
        try? await admin.execute(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        await admin.shutdown()
        if let failure { throw failure }
    }

    /// One server process on `database`: its own services (caches) and in-memory client, or with
    /// `live` a server on a free port; with `listens` its change listener runs, as in `serve`.
    static func app<T: Sendable>(
        on database: PostgresStore, migrate: Bool = true, live: Bool = false, listens: Bool = false, _ body: @Sendable (TestApp) async throws -> T
    ) async throws -> T {
        if migrate {
            try await Migrator.migrate(database)
            try await database.transaction { db in try await SystemAccount.ensure(on: db) }
        }
        let passwords = try PasswordService(parameters: TestApp.tinyArgon2)
        let services = AppServices(database: database, tokens: await TokenService(secret: TestApp.secret), passwords: passwords,
                                   secretSealer: try SecretSealer(secretKey: TestApp.secret), logger: TestDatabase.logger)
        let listener = listens ? await TestApp.listening(services) : nil
        defer { listener?.cancel() }
        let app = Application(
            router: SnackBaseApplication.router(services: services), configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            logger: TestDatabase.logger
        )
        do {
            let value = try await app.test(live ? .live : .router) { client in
                // Open streams end before the server waits for its connections.
                do {
                    let value = try await body(TestApp(services: services, client: client))
                    await services.realtime.shutdown()
                    return value
                } catch {
                    await services.realtime.shutdown()
                    throw error
                }
            }
            await passwords.shutdown()
            return value
        } catch {
            await passwords.shutdown()
            throw error
        }
    }
}

/// Forwards every statement to `base`, keeping each one's SQL text (never its bound values).
final class CountingDatabase: SQLDatabase, @unchecked Sendable {
    let base: any SQLDatabase
    private let lock = NSLock()
    private var texts: [String] = []

    init(_ base: any SQLDatabase) { self.base = base }

    var statements: [String] { lock.withLock { texts } }
    var logger: Logger { base.logger }
    var eventLoop: any EventLoop { base.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { base.version }
    var dialect: any SQLDialect { base.dialect }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        var serializer = SQLSerializer(database: self)
        query.serialize(to: &serializer)
        let text = serializer.sql
        lock.withLock { texts.append(text) }
        return base.execute(sql: query, onRow)
    }
}

/// The payloads a listener received, in order.
actor NotificationInbox {
    private(set) var payloads: [String] = []
    private var isReady = false

    func ready() { isReady = true }
    func add(_ payload: String) { payloads.append(payload) }

    func waitUntilReady() async {
        while !isReady { try? await Task.sleep(for: .milliseconds(10)) }
    }

    func waitFor(count: Int) async throws {
        for _ in 0..<500 where payloads.count < count { try await Task.sleep(for: .milliseconds(10)) }
    }
}

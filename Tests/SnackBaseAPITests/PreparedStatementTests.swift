import Foundation
import PostgresNIO
import SQLKit
import SnackBaseCore
@testable import SnackBaseStore
import SnackBaseTesting
import Synchronization
import Testing

/// PostgreSQL's named prepared statements (``PreparedStatements``): a ``Preparable`` statement run on its
/// connection's event loop is prepared there once and then only bound and run; what it stores is what an
/// unnamed statement stores; and no failure leaves its name unusable on the connection.
@Suite("PostgreSQL prepared statements")
struct PreparedStatementTests {
    /// A statement as the record repository makes its `INSERT`: text reused, `prepared: true`.
    private static func insert(into table: String, _ binds: [any Encodable & Sendable], on db: any SQLDatabase) -> any SQLExpression {
        let columns = ["id", "n"].prefix(binds.count)
        return StatementTexts.statement("prepared-test\u{1}\(table)\u{1}\(binds.count)", on: db, binds: binds, prepared: true) {
            db.insert(into: SQLIdentifier(table)).columns(columns.map { SQLIdentifier($0) }).values(binds.map { SQLBind($0) }).query
        }
    }

    /// The connection's prepared statements whose text names `table`.
    private static func prepared(naming table: String, on db: any SQLDatabase) async throws -> [String] {
        try await db.raw("SELECT name FROM pg_prepared_statements WHERE statement LIKE \(bind: "%\"\(table)\"%") ORDER BY name").all()
            .map { try $0.decode(column: "name", as: String.self) }
    }

    /// `body` with one connection of a fresh migrated database, run on that connection's event loop.
    private static func onOneConnection(_ body: @escaping @Sendable (OpenConnectionDatabase) async throws -> Void) async throws {
        try await TestDatabase.with(.postgres) { database in
            let store = try #require(database as? PostgresStore)
            #expect(store.preparesStatements)
            try await store.withConnection { connection in
                try await withTaskExecutorPreference(EventLoopExecutor(connection.eventLoop)) {
                    try await body(OpenConnectionDatabase(connection, prepares: true))
                }
            }
        }
    }

    @Test("PG-PREP-001: an INSERT run on its connection's loop is prepared once there; bound with an integer and then a double it is two statements, and both values are stored exactly; off the loop, with prepares off, or sent without waiting (then in order before the next statement), it runs unnamed")
    func preparedOncePerTextAndTypes() async throws {
        guard TestDatabase.postgresURL != nil else { return }
        try await Self.onOneConnection { db in
            let table = "prep_" + SecureID.randomHex(bytes: 4)
            try await db.raw("CREATE TABLE \(ident: table) (id TEXT PRIMARY KEY, n DOUBLE PRECISION)").run()
            try await db.execute(sql: Self.insert(into: table, ["a", 5], on: db)) { _ in }
            #expect(try await Self.prepared(naming: table, on: db).count == 1)
            try await db.execute(sql: Self.insert(into: table, ["b", 7], on: db)) { _ in }
            #expect(try await Self.prepared(naming: table, on: db).count == 1, "the same text and types prepared again")
            try await db.execute(sql: Self.insert(into: table, ["c", 5.5], on: db)) { _ in }
            #expect(try await Self.prepared(naming: table, on: db).count == 2, "a double bound where an integer was must be a statement of its own")
            let stored = try await db.raw("SELECT id, n FROM \(ident: table) ORDER BY id").all()
                .map { (try $0.decode(column: "id", as: String.self), try $0.decode(column: "n", as: Double.self)) }
            #expect(stored.map(\.0) == ["a", "b", "c"] && stored.map(\.1) == [5, 7, 5.5])

            // Off the connection's loop: sent unnamed, and stored all the same.
            try await Task.detached {
                try await db.execute(sql: Self.insert(into: table, ["d", 1.25], on: db)) { _ in }
            }.value
            let unnamed = OpenConnectionDatabase(db.connection)
            try await unnamed.execute(sql: Self.insert(into: table, ["e", 2], on: unnamed)) { _ in }
            #expect(try await Self.prepared(naming: table, on: db).count == 2)
            #expect(try await db.raw("SELECT count(*) AS n FROM \(ident: table)").first()?.decode(column: "n", as: Int.self) == 5)

            // Sent without waiting (as the audit appends before the COMMIT): unnamed, in the connection's queue before
            // the next statement, which sees what it inserted. Prepared, it would run only once its preparation was
            // answered, behind the next statement.
            let sent: EventLoopFuture<Void> = db.execute(sql: Self.insert(into: table, ["f", Double?.none], on: db)) { _ in }
            let count = Counted()
            let next: EventLoopFuture<Void> = db.execute(sql: SQLQueryString("SELECT count(*) AS n FROM \(ident: table)")) { row in
                count.value.withLock { $0 = try? row.decode(column: "n", as: Int.self) }
            }
            try await sent.get()
            try await next.get()
            #expect(count.value.withLock { $0 } == 6)
            #expect(try await Self.prepared(naming: table, on: db).count == 2, "a statement sent without waiting was prepared")
            let unmarked = try await db.raw("SELECT count(*) AS n FROM pg_prepared_statements WHERE statement LIKE 'SELECT count(*)%'").first()
            #expect(try unmarked?.decode(column: "n", as: Int.self) == 0, "a statement not marked preparable was prepared")
        }
    }

    private final class Counted: Sendable {
        let value = Mutex<Int?>(nil)
    }

    @Test("PG-PREP-002: a prepared INSERT that failed to prepare (its table not there yet; its transaction aborted) runs once the cause is gone; a duplicate value fails it without a new preparation")
    func noFailureLeavesANameUnusable() async throws {
        guard TestDatabase.postgresURL != nil else { return }
        try await Self.onOneConnection { db in
            // Not there yet: PostgresNIO would remember the failed preparation for the connection's life.
            let later = "prep_" + SecureID.randomHex(bytes: 4)
            await #expect(throws: PSQLError.self) { try await db.execute(sql: Self.insert(into: later, ["a"], on: db)) { _ in } }
            try await db.raw("CREATE TABLE \(ident: later) (id TEXT PRIMARY KEY)").run()
            try await db.execute(sql: Self.insert(into: later, ["a"], on: db)) { _ in }
            try await db.execute(sql: Self.insert(into: later, ["b"], on: db)) { _ in }
            #expect(try await db.raw("SELECT count(*) AS n FROM \(ident: later)").first()?.decode(column: "n", as: Int.self) == 2)

            // First prepared in an aborted transaction (PostgreSQL refuses every statement until its end).
            let table = "prep_" + SecureID.randomHex(bytes: 4)
            try await db.raw("CREATE TABLE \(ident: table) (id TEXT PRIMARY KEY)").run()
            try await db.raw("BEGIN").run()
            await #expect(throws: PSQLError.self) { try await db.raw("SELECT 1 / 0").run() }
            await #expect(throws: PSQLError.self) { try await db.execute(sql: Self.insert(into: table, ["x"], on: db)) { _ in } }
            try await db.raw("ROLLBACK").run()
            try await db.execute(sql: Self.insert(into: table, ["x"], on: db)) { _ in }
            let names = try await Self.prepared(naming: table, on: db)
            #expect(names.count == 1)

            // A duplicate: its run failed, its name stays.
            let duplicate = await #expect(throws: PSQLError.self) { try await db.execute(sql: Self.insert(into: table, ["x"], on: db)) { _ in } }
            #expect(duplicate?.serverInfo?[.sqlState] == "23505")
            try await db.execute(sql: Self.insert(into: table, ["y"], on: db)) { _ in }
            #expect(try await Self.prepared(naming: table, on: db) == names)
        }
    }

    @Test("PG-PREP-004: a prepared INSERT stays under row-level security: run eight times in one account (past PostgreSQL's switch to a generic plan), then in another, it is refused; in its own account it stores")
    func rowSecurityHoldsForPreparedStatements() async throws {
        guard TestDatabase.postgresURL != nil else { return }
        try await TestDatabase.with(.postgres) { database in
            try await Migrator.migrate(database)  // the application role
            let store = try #require(database as? PostgresStore)
            try await store.withConnection { connection in
                try await withTaskExecutorPreference(EventLoopExecutor(connection.eventLoop)) {
                    let db = OpenConnectionDatabase(connection, prepares: true)
                    let table = "prep_" + SecureID.randomHex(bytes: 4)
                    try await db.raw("CREATE TABLE \(ident: table) (id TEXT PRIMARY KEY, account_id TEXT NOT NULL)").run()
                    for statement in RowSecurity.protect(quotedTable: SQLIdentifier(table).serialized(db), privileges: "SELECT, INSERT") {
                        try await db.raw(SQLQueryString(statement)).run()
                    }
                    @Sendable func insert(_ id: String, of account: String, as caller: String) async throws {
                        try await db.raw("BEGIN").run()
                        try await db.raw("SELECT set_config('role', \(bind: RowSecurity.applicationRole), true), set_config(\(bind: RowSecurity.accountSetting), \(bind: caller), true)").run()
                        let statement = StatementTexts.statement("prepared-rls\u{1}\(table)", on: db, binds: [id, account], prepared: true) {
                            db.insert(into: SQLIdentifier(table)).columns(SQLIdentifier("id"), SQLIdentifier("account_id")).values(SQLBind(id), SQLBind(account)).query
                        }
                        do {
                            try await db.execute(sql: statement) { _ in }
                            try await db.raw("COMMIT").run()
                        } catch {
                            try? await db.raw("ROLLBACK").run()
                            throw error
                        }
                    }
                    // Eight runs under one name: PostgreSQL plans the first five for their binds, then keeps a generic plan.
                    for round in 0..<8 { try await insert("a\(round)", of: "acct_a", as: "acct_a") }
                    #expect(try await Self.prepared(naming: table, on: db).count == 1, "the INSERT was not prepared")
                    let refused = await #expect(throws: PSQLError.self) { try await insert("b", of: "acct_a", as: "acct_b") }
                    #expect(refused?.serverInfo?[.sqlState] == "42501")
                    try await insert("a8", of: "acct_a", as: "acct_a")
                    let refusedAgain = await #expect(throws: PSQLError.self) { try await insert("c", of: "acct_a", as: "acct_b") }
                    #expect(refusedAgain?.serverInfo?[.sqlState] == "42501")
                    let stored = try await db.raw("SELECT id FROM \(ident: table) ORDER BY id").all().map { try $0.decode(column: "id", as: String.self) }
                    #expect(stored == (0...8).map { "a\($0)" })
                }
            }
        }
    }

    @Test("PG-PREP-003: SNACKBASE_DATABASE_URL's prepared_statements=off turns them off; a value other than on or off is refused with a clear error")
    func theURLTurnsThemOff() async throws {
        guard let url = TestDatabase.postgresURL else { return }
        let separator = url.contains("?") ? "&" : "?"
        let off = try await PostgresStore(url: url + separator + "prepared_statements=off", logger: TestDatabase.logger)
        #expect(!off.preparesStatements)
        await off.shutdown()
        await #expect(throws: StoreError.configuration("prepared_statements must be on or off")) {
            _ = try await PostgresStore(url: url + separator + "prepared_statements=yes", logger: TestDatabase.logger)
        }
    }
}

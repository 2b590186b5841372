import Logging
import NIOCore
import PostgresNIO
import SQLKit

/// One PostgreSQL transaction as the repositories see it: the connection's `SQLDatabase`, plus
/// what row-level security needs to know about the transaction.
///
/// ``PostgresStore`` opens every transaction with `BEGIN` and
/// `set_config('role', 'snackbase_app', true)`, so each query runs under the application role,
/// which owns no table and cannot bypass row-level security; ``RowSecurity/enter(_:on:)`` then
/// sets `snackbase.account_id` for the policies. The session remembers the account it set, so the
/// many repository calls of one request cost one `set_config` between them.
final class PostgresSession: SQLDatabase {
    private let base: any SQLDatabase
    private let state = State()
    /// The connection underneath, when the session knows it: a statement is never sent on a closed
    /// one. PostgresNIO writes a query to its channel without a promise, so a query sent after the
    /// server ended the connection (an outage between two statements of a transaction) would wait
    /// for an answer forever; scripts/outage-test found that.
    private let connection: PostgresConnection?

    init(_ base: any SQLDatabase, connection: PostgresConnection? = nil) {
        self.base = base
        self.connection = connection
    }

    var logger: Logger { base.logger }
    var eventLoop: any EventLoop { base.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { base.version }
    var dialect: any SQLDialect { base.dialect }
    var queryLogLevel: Logger.Level? { base.queryLogLevel }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        if connection?.isClosed == true { return eventLoop.makeFailedFuture(DatabaseUnavailable()) }
        return base.execute(sql: query, onRow)
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        if connection?.isClosed == true { throw DatabaseUnavailable() }
        try await base.execute(sql: query, onRow)
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await closure(self)
    }

    /// Starts the transaction under the application role (or, for `.owner`, under the role the
    /// connection logged in as: migrations only).
    func begin(readOnly: Bool, as role: Role) async throws {
        try await base.raw(readOnly ? "BEGIN READ ONLY" : "BEGIN").run()
        switch role {
        case .application:
            try await base.raw("SELECT set_config('role', \(bind: RowSecurity.applicationRole), true)").run()
        case .owner:
            await state.beginBypass()
        }
    }

    /// Sets the account the row-level security policies compare with, for the rest of the
    /// transaction (`set_config(…, true)` is `SET LOCAL`; the value is bound, never spliced).
    func enter(account: String) async throws {
        guard await state.needsEnter(account) else { return }
        try await base.raw("SELECT set_config(\(bind: RowSecurity.accountSetting), \(bind: account), true)").run()
        await state.entered(account)
    }

    /// Enters the account of the API key with `digest` (``RowSecurity/accountOfAPIKey(digest:on:)``)
    /// and answers it, in one statement: the lookup through `snackbase_api_key_account` is the value
    /// `set_config` sets. An unknown digest sets the empty string, under which no tenant row is visible.
    func enterAccount(ofAPIKeyDigest digest: String) async throws -> String? {
        let row = try await base.raw("""
            SELECT set_config(\(bind: RowSecurity.accountSetting), COALESCE(snackbase_api_key_account(\(bind: digest)), ''), true) AS account_id
            """).first()
        let account = try row?.decode(column: "account_id", as: String.self) ?? ""
        await state.entered(account)
        return account.isEmpty ? nil : account
    }

    /// Runs `body` as the connection's own role (the tables' owner, which row-level security does
    /// not restrict), then returns to the application role. Nested bypasses return only at the end
    /// of the outermost one.
    func bypassing<T>(_ reason: RowSecurity.Bypass, _ body: (any SQLDatabase) async throws -> T) async throws -> T {
        if await state.beginBypass() {
            logger.debug("db.rls.bypass", metadata: ["db.rls.reason": .string(reason.rawValue)])
            try await base.raw("SET LOCAL ROLE NONE").run()
        }
        let value: T
        do {
            value = try await body(self)
        } catch {
            // Back to the application role even on failure, in case the caller catches and goes on;
            // after a database error the transaction refuses every statement, this one included.
            if await state.endBypass() {
                try? await base.raw("SELECT set_config('role', \(bind: RowSecurity.applicationRole), true)").run()
            }
            throw error
        }
        if await state.endBypass() {
            try await base.raw("SELECT set_config('role', \(bind: RowSecurity.applicationRole), true)").run()
        }
        return value
    }

    enum Role {
        case application, owner
    }

    /// The mutable part of a session, behind an actor so the session stays honestly `Sendable`.
    private actor State {
        private var account: String?
        private var bypassDepth = 0

        func needsEnter(_ candidate: String) -> Bool { account != candidate }
        func entered(_ value: String) { account = value }

        /// True when this starts the outermost bypass (the role must be switched).
        @discardableResult
        func beginBypass() -> Bool {
            bypassDepth += 1
            return bypassDepth == 1
        }

        /// True when this ends the outermost bypass (the role must be switched back).
        func endBypass() -> Bool {
            bypassDepth -= 1
            return bypassDepth == 0
        }
    }
}

import Logging
import NIOCore
import PostgresNIO
import SQLKit

/// One PostgreSQL transaction as the repositories see it: the connection's `SQLDatabase`, plus
/// what row-level security needs to know about the transaction.
///
/// The transaction opens with the session's first statement, not before: a request answered from
/// what the process remembers sends nothing. Opening sends `BEGIN` (or `BEGIN READ ONLY`), then
/// one `SELECT` that sets the role to the application role, which owns no table and cannot bypass
/// row-level security (`set_config('role', 'snackbase_app', true)`), and, in the same statement, the
/// account entered so far and the write's notification (``Opening/notify``; `pg_notify` is
/// delivered at commit, never on rollback). Every statement of the session waits for the opening
/// first, so none is ever sent before the role is set. ``RowSecurity/enter(_:on:)`` only notes the
/// account: it is set with the opening, or just before the next statement when it differs from the
/// one set, so the many repository calls of one request cost one `set_config` between them, and a
/// request whose reads are all remembered sends nothing at all.
final class PostgresSession: SQLDatabase {
    /// How the transaction begins.
    struct Opening: Sendable {
        var readOnly: Bool
        var role: Role
        /// `pg_notify(channel, payload)`, queued in the transaction (sent when it commits).
        var notify: (channel: String, payload: String)?
    }

    private let base: any SQLDatabase
    private let state = State()
    private let opening: Opening
    /// The connection underneath, when the session knows it: a statement is never sent on a closed
    /// one. PostgresNIO writes a query to its channel without a promise, so a query sent after the
    /// server ended the connection (an outage between two statements of a transaction) would wait
    /// for an answer forever; scripts/outage-test found that.
    private let connection: PostgresConnection?

    init(_ base: any SQLDatabase, connection: PostgresConnection? = nil, opening: Opening) {
        self.base = base
        self.connection = connection
        self.opening = opening
    }

    var logger: Logger { base.logger }
    var eventLoop: any EventLoop { base.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { base.version }
    var dialect: any SQLDialect { base.dialect }
    var queryLogLevel: Logger.Level? { base.queryLogLevel }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        if connection?.isClosed == true { return eventLoop.makeFailedFuture(DatabaseUnavailable()) }
        return eventLoop.makeFutureWithTask { try await self.execute(sql: query, onRow) }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        try await prepare()
        if connection?.isClosed == true { throw DatabaseUnavailable() }
        try await answered { try await base.execute(sql: query, onRow) }
    }

    /// Sends `query` without waiting for its answer, so that the session's next statement follows it
    /// on the connection as soon as it is answered: PostgresNIO queues a connection's statements and
    /// sends each when the one before is answered, without a trip through this task. The session's
    /// next statement, or its commit, waits for the answer too and throws its failure (after which the
    /// transaction is aborted, and a commit rolls it back). For the audit append, which takes its
    /// account's chain lock (``AuditLog/append(_:on:)``): sent so, the commit follows it at once, and the
    /// account's other writes wait for no trip through this task.
    func send(_ query: any SQLExpression) async throws {
        try await prepare()
        if connection?.isClosed == true { throw DatabaseUnavailable() }
        // Called here, on this task, before it awaits anything: the statement is queued now, ahead of the next.
        let answer: EventLoopFuture<Void> = base.execute(sql: query) { _ in }
        await state.sent(answer)
    }

    /// Runs `statement`, then waits for the statements sent without waiting before it. When one of
    /// them failed, that failure is thrown, not the statement's own (which then failed because the
    /// transaction was aborted).
    private func answered<T>(_ statement: () async throws -> T) async throws -> T {
        let value: T
        do {
            value = try await statement()
        } catch {
            try await settle()
            throw error
        }
        try await settle()
        return value
    }

    /// Waits for the statements sent without waiting; throws the first failure.
    private func settle() async throws {
        for answer in await state.takeUnanswered() { try await answer.get() }
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await closure(self)
    }

    /// Makes the transaction ready for a statement: open, and in the account last entered.
    private func prepare() async throws {
        try await open()
        guard let account = await state.pendingAccount() else { return }
        if connection?.isClosed == true { throw DatabaseUnavailable() }
        try await answered { try await base.raw("SELECT set_config(\(bind: RowSecurity.accountSetting), \(bind: account), true)").run() }
        await state.entered(account)
    }

    /// Opens the transaction unless it is open (every caller waits for the one opening), setting in
    /// the same statement the account entered so far. A failed opening fails every later statement of
    /// the session too.
    private func open() async throws {
        let base = base, opening = opening, connection = connection, state = state
        try await state.open {
            let account = await state.pendingAccount()
            if connection?.isClosed == true { throw DatabaseUnavailable() }
            try await base.raw(opening.readOnly ? "BEGIN READ ONLY" : "BEGIN").run()
            var settings: [SQLQueryString] = []
            var entered: String?
            switch opening.role {
            case .application:
                settings.append("set_config('role', \(bind: RowSecurity.applicationRole), true)")
                if let account {
                    settings.append("set_config(\(bind: RowSecurity.accountSetting), \(bind: account), true)")
                    entered = account
                }
            case .owner:
                // The role the connection logged in as (migrations only), which the policies do not restrict.
                await state.beginBypass()
            }
            if let notify = opening.notify { settings.append("pg_notify(\(bind: notify.channel), \(bind: notify.payload))") }
            if !settings.isEmpty {
                var statement: SQLQueryString = "SELECT "
                for (index, setting) in settings.enumerated() {
                    if index > 0 { statement.appendLiteral(", ") }
                    statement.appendInterpolation(setting)
                }
                try await base.raw(statement).run()
            }
            // Before any waiting statement goes on.
            if let entered { await state.entered(entered) }
        }
    }

    /// Commits the transaction; nothing when no statement was sent. A failed opening throws here
    /// too, even if the body went on after it.
    func commit() async throws {
        guard await state.wasBegun else { return }
        try await open()
        if connection?.isClosed == true { throw DatabaseUnavailable() }
        // Queued behind the statements sent without waiting, so it goes on as soon as they are answered.
        let commit: EventLoopFuture<Void> = base.execute(sql: SQLRaw("COMMIT")) { _ in }
        do {
            try await settle()
        } catch {
            // PostgreSQL answers the COMMIT of an aborted transaction by rolling it back.
            _ = try? await commit.get()
            throw error
        }
        try await commit.get()
    }

    /// Rolls the transaction back, when one was begun.
    func rollback() async {
        guard await state.wasBegun else { return }
        try? await base.raw("ROLLBACK").run()
    }

    /// Sets the account the row-level security policies compare with, for the rest of the
    /// transaction (`set_config(…, true)` is `SET LOCAL`; the value is bound, never spliced). It is
    /// sent with the next statement (in the opening's, or just before it), so that entering an
    /// account whose reads are all remembered sends nothing.
    func enter(account: String) async throws {
        await state.want(account)
    }

    /// Enters the account of the API key with `digest` (``RowSecurity/accountOfAPIKey(digest:on:)``)
    /// and answers it, in one statement: the lookup through `snackbase_api_key_account` is the value
    /// `set_config` sets. An unknown digest sets the empty string, under which no tenant row is visible.
    func enterAccount(ofAPIKeyDigest digest: String) async throws -> String? {
        try await open()
        let row = try await answered {
            try await base.raw("""
                SELECT set_config(\(bind: RowSecurity.accountSetting), COALESCE(snackbase_api_key_account(\(bind: digest)), ''), true) AS account_id
                """).first()
        }
        let account = try row?.decode(column: "account_id", as: String.self) ?? ""
        await state.entered(account)
        return account.isEmpty ? nil : account
    }

    /// Runs `body` as the connection's own role (the tables' owner, which row-level security does
    /// not restrict), then returns to the application role. Nested bypasses return only at the end
    /// of the outermost one.
    func bypassing<T>(_ reason: RowSecurity.Bypass, _ body: (any SQLDatabase) async throws -> T) async throws -> T {
        try await open()
        if await state.beginBypass() {
            logger.debug("db.rls.bypass", metadata: ["db.rls.reason": .string(reason.rawValue)])
            try await answered { try await base.raw("SET LOCAL ROLE NONE").run() }
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
            try await answered { try await base.raw("SELECT set_config('role', \(bind: RowSecurity.applicationRole), true)").run() }
        }
        return value
    }

    enum Role {
        case application, owner
    }

    /// The mutable part of a session, behind an actor so the session stays honestly `Sendable`.
    private actor State {
        /// The account the statements must run under (the last entered) and the one the transaction has set.
        private var wanted: String?
        private var set: String?
        private var bypassDepth = 0
        private var opening: Task<Void, any Error>?
        private(set) var wasBegun = false
        /// The answers of the statements sent without waiting (``send(_:)``) that nothing has waited for yet.
        private var unanswered: [EventLoopFuture<Void>] = []

        /// Runs `begin` once, for the first caller; every caller (later ones too) waits for it and
        /// shares its failure.
        func open(_ begin: @escaping @Sendable () async throws -> Void) async throws {
            if let opening { return try await opening.value }
            wasBegun = true
            let task = Task { try await begin() }
            opening = task
            try await task.value
        }

        func sent(_ answer: EventLoopFuture<Void>) { unanswered.append(answer) }
        func takeUnanswered() -> [EventLoopFuture<Void>] {
            defer { unanswered = [] }
            return unanswered
        }

        func want(_ account: String) { wanted = account }
        /// The account to set before the next statement; nil when it is set (or none was entered).
        func pendingAccount() -> String? { wanted != set ? wanted : nil }
        func entered(_ value: String) {
            wanted = value
            set = value
        }

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

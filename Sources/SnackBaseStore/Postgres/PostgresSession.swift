import Logging
import NIOCore
import PostgresNIO
import SQLKit
import Synchronization

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
        var notify: Notification?
        /// Whether the opening asks for the transaction's id (``transactionID``): for a create, whose
        /// records the remembered totals are caught up with (``WriteGeneration/advance(records:account:by:)``).
        var identified = false
        /// Whether the audit appends (``send(selecting:)``) wait until the commit: in a transaction of several
        /// creates (``CreateBatcher``), so that the account's chain lock is taken only by the appends that
        /// precede the `COMMIT`, never while a later create of the batch runs (which could wait for a row
        /// another transaction holds while that one waits for the lock).
        var defersAppends = false
    }

    private let base: any SQLDatabase
    private let state = State()
    private let identity = Mutex<UInt64?>(nil)
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

    /// A `pg_notify` the transaction sends (delivered when it commits, dropped when it rolls back).
    struct Notification: Sendable, Equatable {
        let channel: String
        let payload: String
    }

    /// Queues `pg_notify(channel, payload)` in the transaction without a statement of its own: it goes in
    /// the select list of the statement ``send(selecting:)`` sends next, or, when another statement or the
    /// commit comes first, in a statement just before that one. Either way it is sent in its place among
    /// the session's statements, so notifications keep their order; a failure of it fails that statement
    /// (or the commit) and the transaction. A record write's realtime event rides with its audit entry so:
    /// one trip fewer per write.
    func notify(channel: String, payload: String) async throws {
        try await prepare(carrying: true)
        await state.queue(Notification(channel: channel, payload: payload))
    }

    /// Sends `SELECT expression` as ``send(_:)`` does, with the notifications queued by
    /// ``notify(channel:payload:)`` before it in the same select list.
    func send(selecting expression: SQLQueryString) async throws {
        try await prepare(carrying: true)
        if connection?.isClosed == true { throw DatabaseUnavailable() }
        let selected = await state.takeNotifications().map(Self.call) + [expression]
        if opening.defersAppends {
            await state.deferSelection(selected)
            return
        }
        let statement = Self.select(selected)
        // As in send(_:): queued before this task awaits anything.
        let answer: EventLoopFuture<Void> = base.execute(sql: statement) { _ in }
        await state.sent(answer)
    }

    /// `SELECT a, b, …` of the expressions, in their order.
    private static func select(_ expressions: [SQLQueryString]) -> SQLQueryString {
        var statement: SQLQueryString = "SELECT "
        for (index, expression) in expressions.enumerated() {
            if index > 0 { statement.appendLiteral(", ") }
            statement.appendInterpolation(expression)
        }
        return statement
    }

    private static func call(_ notification: Notification) -> SQLQueryString {
        "pg_notify(\(bind: notification.channel), \(bind: notification.payload))"
    }

    /// Sends the queued notifications in a statement of their own, before the statement that comes now.
    private func sendNotifications() async throws {
        let notifications = await state.takeNotifications()
        guard !notifications.isEmpty else { return }
        if connection?.isClosed == true { throw DatabaseUnavailable() }
        try await answered { try await base.raw(Self.select(notifications.map(Self.call))).run() }
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
            await state.failed(error)
            throw error
        }
        try await settle()
        return value
    }

    /// Waits for the statements sent without waiting; throws the first failure, which the session
    /// keeps: a transaction with a failed statement never commits.
    private func settle() async throws {
        for answer in await state.takeUnanswered() {
            do {
                try await answer.get()
            } catch {
                await state.failed(error)
                throw error
            }
        }
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await closure(self)
    }

    /// Makes the transaction ready for a statement: open, in the account last entered, and with the
    /// queued notifications sent unless the statement `carrying` them comes now.
    private func prepare(carrying: Bool = false) async throws {
        try await open()
        if let account = await state.pendingAccount() {
            if connection?.isClosed == true { throw DatabaseUnavailable() }
            try await answered { try await base.raw("SELECT set_config(\(bind: RowSecurity.accountSetting), \(bind: account), true)").run() }
            await state.entered(account)
        }
        if !carrying { try await sendNotifications() }
    }

    /// Opens the transaction unless it is open (every caller waits for the one opening), setting in
    /// the same statement the account entered so far. A failed opening fails every later statement of
    /// the session too, and none of them is sent. The first caller opens it on its own task (so on its
    /// executor: a task of its own ran on the global executor, a switch between threads for every
    /// transaction), and `BEGIN` is not waited for: the `SELECT` follows it on the connection as soon
    /// as it is answered. (Not waiting for the `SELECT` either, so that the first statement followed
    /// it too, measured 2-4 % slower on PostgreSQL's S3 and S6, alternating: it went out through
    /// PostgresKit's future-based path.)
    private func open() async throws {
        guard try await state.startOpening() else { return }
        do {
            try await begin()
            await state.finishOpening(nil)
        } catch {
            await state.finishOpening(error)
            throw error
        }
    }

    private func begin() async throws {
        let account = await state.pendingAccount()
        if connection?.isClosed == true { throw DatabaseUnavailable() }
        let begun: EventLoopFuture<Void> = base.execute(sql: SQLRaw(opening.readOnly ? "BEGIN READ ONLY" : "BEGIN")) { _ in }
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
        if let notify = opening.notify { settings.append(Self.call(notify)) }
        if opening.identified { settings.append("pg_current_xact_id()::text AS snackbase_transaction") }
        if !settings.isEmpty {
            // The callback runs before `execute` returns, on this task (as in SQLKit's own `first()`).
            nonisolated(unsafe) var row: (any SQLRow)?
            do {
                try await base.execute(sql: Prepared(expression: Self.select(settings))) { if row == nil { row = $0 } }
            } catch {
                try await begun.get()  // a failed BEGIN is the reason, not the statement after it
                throw error
            }
            if opening.identified, let text = try? row?.decode(column: "snackbase_transaction", as: String.self) {
                identity.withLock { $0 = UInt64(text) }
            }
        }
        try await begun.get()
        // Before any waiting statement goes on.
        if let entered { await state.entered(entered) }
    }

    /// Commits the transaction; nothing when no statement was sent. A failed opening or statement
    /// throws here too, even if the body caught it and went on (PostgreSQL would answer the `COMMIT`
    /// of the aborted transaction by rolling it back, without an error).
    func commit() async throws {
        guard await state.wasBegun else { return }
        try await open()
        if let failure = await state.failure { throw failure }
        if connection?.isClosed == true { throw DatabaseUnavailable() }
        // The deferred appends, in their order, a few hundred to a statement (each one's notifications before
        // it): PostgreSQL evaluates a select list from left to right, and each call of the append function sees
        // the entries the calls before it inserted.
        let deferred = await state.takeDeferred()
        for start in stride(from: 0, to: deferred.count, by: Self.deferredPerStatement) {
            let part = Array(deferred[start..<min(start + Self.deferredPerStatement, deferred.count)])
            await state.sent(base.execute(sql: Self.select(part)) { _ in })
        }
        let notifications = await state.takeNotifications()
        if !notifications.isEmpty {
            await state.sent(base.execute(sql: Self.select(notifications.map(Self.call))) { _ in })
        }
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

    /// Whether the audit appends wait for the commit (``Opening/defersAppends``).
    var defersAppends: Bool { opening.defersAppends }
    /// Deferred calls sent in one statement at most: well under PostgreSQL's 65,535 parameters (an append binds 18).
    static let deferredPerStatement = 256

    /// The transaction's id, once its opening was answered, when ``Opening/identified`` asked for it.
    var transactionID: UInt64? { identity.withLock { $0 } }

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
        private var opening = Opening.notBegun
        private(set) var wasBegun = false
        /// The answers of the statements sent without waiting (``send(_:)``) that nothing has waited for yet.
        private var unanswered: [EventLoopFuture<Void>] = []
        /// Queued by ``PostgresSession/notify(channel:payload:)``, not sent yet.
        private var notifications: [Notification] = []
        /// The audit appends waiting for the commit (``Opening/defersAppends``), with the notifications queued
        /// before each, in their order.
        private var deferred: [SQLQueryString] = []
        /// The first failure of a statement of the session: the transaction is aborted.
        private(set) var failure: (any Error)?

        private enum Opening {
            case notBegun
            case opening(waiting: [CheckedContinuation<Void, any Error>])
            case open
            case failed(any Error)
        }

        /// True for the first caller, which must open the transaction and then call
        /// ``finishOpening(_:)``; every other caller (later ones too) waits until it is open, and
        /// shares the opening's failure.
        func startOpening() async throws -> Bool {
            switch opening {
            case .notBegun:
                wasBegun = true
                opening = .opening(waiting: [])
                return true
            case .opening(let waiting):
                try await withCheckedThrowingContinuation { continuation in opening = .opening(waiting: waiting + [continuation]) }
                return false
            case .open:
                return false
            case .failed(let error):
                throw error
            }
        }

        func finishOpening(_ failure: (any Error)?) {
            guard case .opening(let waiting) = opening else { return }
            opening = failure.map(Opening.failed) ?? .open
            for continuation in waiting {
                if let failure { continuation.resume(throwing: failure) } else { continuation.resume() }
            }
        }

        func sent(_ answer: EventLoopFuture<Void>) { unanswered.append(answer) }
        func failed(_ error: any Error) { if failure == nil { failure = error } }
        func queue(_ notification: Notification) { notifications.append(notification) }
        func takeNotifications() -> [Notification] {
            defer { notifications = [] }
            return notifications
        }
        func takeUnanswered() -> [EventLoopFuture<Void>] {
            defer { unanswered = [] }
            return unanswered
        }

        func deferSelection(_ selected: [SQLQueryString]) { deferred += selected }
        func takeDeferred() -> [SQLQueryString] {
            defer { deferred = [] }
            return deferred
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

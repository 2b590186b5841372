import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresKit
import PostgresNIO
import SQLKit
import SnackBaseCore
import Synchronization

/// PostgreSQL through PostgresNIO's connection pool. Each transaction, and each read, takes one
/// connection and runs inside `BEGIN … COMMIT` under the application role of ``RowSecurity``
/// (a read needs a transaction too: the account setting lives exactly as long as one).
///
/// The URL's user owns the tables (it runs the migrations); requests never act as it, except
/// inside a named ``RowSecurity/Bypass``.
public final class PostgresStore: Database {
    public let kind = DatabaseKind.postgres
    /// Advanced by this process's write transactions as they end, and by the other processes' as
    /// their notifications arrive (``PostgresChangeFeed``). Suspended (nothing remembered) until the
    /// change listener subscribes, and whenever it loses its connection: then the writes of other
    /// processes could go untold.
    public let writeGeneration: WriteGeneration? = WriteGeneration(suspended: true)
    /// Totals caught up past this process's creates (``RememberedReads/TotalsAfterCreates/caughtUp``).
    public let rememberedReads: RememberedReads?
    /// The creates of one collection in one account that wait for each other share commits.
    let creates: CreateBatcher
    /// Names this process in the notifications of its writes, so that it skips its own.
    let origin = SecureID.randomHex(bytes: 8)
    private let client: PostgresClient
    private let runner: Task<Void, Never>
    let logger: Logger
    /// The same server and credentials as the pool, for connections of their own (LISTEN).
    let connectionConfiguration: PostgresConnection.Configuration

    /// How long a request waits for a connection of the pool before it is answered 503. The pool
    /// itself would queue it for up to a minute while the server is away (its circuit breaker).
    let connectionWait: Duration

    /// How long anything read may be remembered at most, even when no write is told
    /// (``PostgresChangeFeed`` makes everything stale this often).
    let rememberedFor: Duration

    /// Whether hot statements run as named prepared statements (``PreparedStatements``): yes unless the URL
    /// says `prepared_statements=off`, for a pooler that cannot keep them (PgBouncer in transaction mode before 1.21).
    let preparesStatements: Bool

    /// `writerExecutor`: where the shared transactions of creates run (``CreateBatcher``), as SQLite's writer.
    /// When it is an event loop's (the server with one CPU), the pool's connections live on that loop too, so
    /// that a request's statements reach their connection without crossing threads, and prepared statements
    /// apply (``OpenConnectionDatabase``).
    public init(
        url: String, logger: Logger, connectionWait: Duration = .seconds(5), rememberedFor: Duration = .milliseconds(500),
        writerExecutor: (any TaskExecutor)? = nil
    ) async throws {
        creates = CreateBatcher(executor: writerExecutor)
        self.connectionWait = connectionWait
        self.rememberedFor = rememberedFor
        guard let components = URLComponents(string: url), let host = components.host else {
            throw StoreError.configuration("not a valid postgres:// URL")
        }
        let tls = try PostgresTLS(queryItems: components.queryItems ?? [])
        var prepares = true
        for item in components.queryItems ?? [] {
            switch (item.name, item.value) {
            case ("prepared_statements", "on"?): prepares = true
            case ("prepared_statements", "off"?): prepares = false
            case ("prepared_statements", _):
                throw StoreError.configuration("prepared_statements must be on or off")
            default:
                continue
            }
        }
        preparesStatements = prepares
        let username = components.user ?? "postgres"
        let database = components.path.count > 1 ? String(components.path.dropFirst()) : nil
        let port = components.port ?? 5432
        let config = PostgresClient.Configuration(
            host: host, port: port, username: username, password: components.password, database: database, tls: tls.forPool()
        )
        connectionConfiguration = PostgresConnection.Configuration(
            host: host, port: port, username: username, password: components.password, database: database, tls: try tls.forConnection()
        )
        self.logger = logger
        let loops: any EventLoopGroup = (writerExecutor as? EventLoopExecutor)?.eventLoop ?? PostgresClient.defaultEventLoopGroup
        let client = PostgresClient(configuration: config, eventLoopGroup: loops, backgroundLogger: logger)
        self.client = client
        runner = Task { await client.run() }
        // Fail fast on an unreachable server or refused credentials: one connection of its own,
        // whose error says why (the pool would retry for a minute, then say only that it gave up).
        let textSortsBytewise: Bool
        do {
            let probe = try await PostgresConnection.connect(configuration: connectionConfiguration, id: 0, logger: logger)
            textSortsBytewise = await Self.sortsTextBytewise(probe)
            try await probe.close()
        } catch {
            runner.cancel()
            throw StoreError.configuration("cannot connect to PostgreSQL at \(host):\(port): \(Self.reason(error))")
        }
        rememberedReads = writeGeneration.map {
            RememberedReads(generation: $0, totalsAfterCreates: .caughtUp, textSortsBytewise: textSortsBytewise)
        }
    }

    /// Whether the database's default collation orders text by its UTF-8 bytes: libc's `C`, `POSIX`
    /// or `C.UTF-8` (code point order, which is byte order in UTF-8). The tables' columns are made
    /// without a collation of their own, so they sort by this one. False when it cannot be told.
    static func sortsTextBytewise(_ connection: PostgresConnection) async -> Bool {
        // `datlocprovider` (PostgreSQL 15): `c` is libc, `i` ICU, whose "C" is not byte order.
        let row = try? await OpenConnectionDatabase(connection).raw("""
            SELECT datcollate AS collation, to_jsonb(d) ->> 'datlocprovider' AS provider
            FROM pg_database d WHERE datname = current_database()
            """).first()
        guard let row, let collation = try? row.decode(column: "collation", as: String.self),
              let provider = try? row.decode(column: "provider", as: String?.self) else { return false }
        return sortsTextBytewise(collation: collation, provider: provider)
    }

    /// ``sortsTextBytewise(_:)`` for a database's collation and locale provider (nil before PostgreSQL 15: libc).
    static func sortsTextBytewise(collation: String, provider: String?) -> Bool {
        (provider ?? "c") == "c" && ["c", "posix", "c.utf-8", "c.utf8"].contains(collation.lowercased())
    }

    /// Why a connection failed, in the server's words when it answered (never the password: the
    /// server's messages do not hold it), else the network's.
    static func reason(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return String(describing: error).prefix(200).description }
        if error.code == .sslUnsupported { return "the server does not offer TLS, which sslmode requires" }
        if let message = error.serverInfo?[.message] { return message }
        if let underlying = error.underlying { return String(describing: underlying).prefix(200).description }
        return String(describing: error.code)
    }

    /// One connection of the pool for `body`, or ``DatabaseUnavailable`` when none comes within
    /// ``connectionWait`` or the connection is lost on the way. Exactly one of the lease and the
    /// deadline wins (`LeaseRace`): once the deadline has answered 503, a connection that comes
    /// later is handed back unused, so a request answered 503 never runs afterwards.
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let race = LeaseRace()
        let client = client
        // The deadline is a timer of the event loop, cancelled (taken off the loop's timers) when the
        // body ends. A `Task.sleep` was a libdispatch timer per transaction, left armed for its 5 s
        // after the lease won: thousands pending under load, on the dispatch manager's thread.
        let deadline = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: TimeAmount(connectionWait)) {}
        do {
            return try await withThrowingTaskGroup(of: T?.self) { group in
                // Before the group waits for its tasks: the deadline's task ends as soon as it is cancelled.
                defer { deadline.cancel() }
                group.addTask {
                    try await client.withConnection { connection in
                        guard race.claim(.leased) else { throw DatabaseUnavailable() }
                        return try await body(connection)
                    }
                }
                group.addTask {
                    // Fails with `cancelled` when the body ended first; then the lease has won the race.
                    try? await deadline.futureResult.get()
                    if race.claim(.timedOut) { throw DatabaseUnavailable() }
                    return nil
                }
                while let result = try await group.next() {
                    if let value = result {
                        group.cancelAll()
                        return value
                    }
                }
                throw DatabaseUnavailable()
            }
        } catch let error where !(error is DatabaseUnavailable) && (!race.bodyStarted || isConnectionLoss(error)) {
            // A lease that failed (the server refused, the pool gave up) ran nothing: the database is away.
            if error is CancellationError && Task.isCancelled { throw error }
            throw DatabaseUnavailable()
        }
    }

    /// The transaction notifies every process of its `footprint` as it commits (``writesMessage(_:)``)
    /// and advances this process's generation as it ends, committed or not; with a `carry`, its
    /// transaction id and the records it inserted go with the advance (``written(_:carrying:_:)``).
    public func transaction<T: Sendable>(
        touching footprint: WriteGeneration.Footprint, carrying carry: TotalsCarry?, _ body: @escaping @Sendable (any SQLDatabase) async throws -> T
    ) async throws -> T {
        let carry = carry.flatMap { $0.footprint == footprint ? $0 : nil }
        if carry != nil, case .records(let table, let account) = footprint {
            return try await written(footprint, carrying: carry) { _ in
                let outcome = try await creates.submit(.init(table: table, account: account), writer: { [self] key, bodies in
                    await writeCreates(bodies, of: key, footprint: footprint)
                }) { db in try await body(db) }
                guard let value = outcome.value as? T else { throw StoreError.configuration("transaction result of the wrong type") }
                return (value, outcome.transaction)
            }
        }
        return try await written(footprint, carrying: carry) { identify in
            try await session(readOnly: false, as: .application, notifying: footprint, identify: identify, body)
        }
    }

    /// `bodies`, creates of one collection in one account (``CreateBatcher``), in one transaction,
    /// with their audit appends deferred to its commit; a single body is a transaction as any other.
    /// When a body of several fails, or the transaction does (a commit refused), nothing of it
    /// committed, and each body runs again in a transaction of its own, to its own answer: so one
    /// create's refusal (a unique value taken, a deadlock) is its own, and costs the others a retry,
    /// not their answer. A lost connection or a database away fails them all at once.
    func writeCreates(
        _ bodies: [CreateBatcher.Body], of key: CreateBatcher.Key, footprint: WriteGeneration.Footprint
    ) async -> [Result<CreateBatcher.Outcome, any Error>] {
        let together = bodies.count > 1
        do {
            let (values, transaction) = try await session(
                readOnly: false, as: .application, notifying: footprint, identify: true, defersAppends: together
            ) { db -> [any Sendable] in
                var values: [any Sendable] = []
                for body in bodies { values.append(try await body(db)) }
                return values
            }
            return values.map { .success((value: $0, transaction: transaction)) }
        } catch {
            guard together, !isConnectionLoss(error), !(error is DatabaseUnavailable) else {
                return bodies.map { _ in .failure(error) }
            }
            var results: [Result<CreateBatcher.Outcome, any Error>] = []
            for body in bodies {
                results += await writeCreates([body], of: key, footprint: footprint)
            }
            return results
        }
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await session(readOnly: true, as: .application, notifying: nil, body).value
    }

    /// First without a connection (``MemoryOnlySession``): a body answered wholly from what is
    /// remembered leases none. On its first statement it is run again in ``read(_:)``.
    public func readRemembered<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        if writeGeneration?.isSuspended == false {
            do {
                return try await body(MemoryOnlySession(logger: logger))
            } catch is MemoryOnlySession.NeedsStatement {}
        }
        return try await read(body)
    }

    /// Runs `write`, then advances the generation by `footprint` whether it committed or not (a
    /// COMMIT whose answer was lost may have committed). A write of creates (`carry`) is asked for its
    /// transaction id (`identify`; `write` answers it once the transaction committed): the advance then
    /// remembers the records it inserted, with that id, so that the totals it made stale can be caught
    /// up (``WriteGeneration/advance(records:account:by:)``).
    private func written<T>(
        _ footprint: WriteGeneration.Footprint, carrying carry: TotalsCarry? = nil,
        _ write: (_ identify: Bool) async throws -> (value: T, transaction: UInt64?)
    ) async throws -> T {
        let value: T, committed: UInt64?
        do {
            (value, committed) = try await write(carry != nil)
        } catch {
            writeGeneration?.advance(CollectionOfOne(footprint))
            throw error
        }
        let ids = carry?.insertedIDs ?? []
        if let transaction = committed, !ids.isEmpty, let generation = writeGeneration,
           case .records(let table, let account) = footprint {
            generation.advance(records: table, account: account, by: .init(transaction: transaction, ids: ids))
        } else {
            writeGeneration?.advance(CollectionOfOne(footprint))
        }
        return value
    }

    /// The payload that tells the other processes what a write of `footprint` may have changed:
    /// `<origin> writes everything` or `<origin> writes records <table> <account>` (table names and
    /// account ids hold no spaces).
    func writesMessage(_ footprint: WriteGeneration.Footprint) -> String {
        switch footprint {
        case .everything: "\(origin) writes everything"
        case .records(let table, let account): "\(origin) writes records \(table) \(account)"
        }
    }

    /// A transaction as the tables' owner, for the migrator only (the application role does not
    /// exist before the migration that creates it).
    func ownerTransaction<T: Sendable>(
        _ reason: RowSecurity.Bypass, _ body: @escaping @Sendable (any SQLDatabase) async throws -> T
    ) async throws -> T {
        logger.debug("db.rls.bypass", metadata: ["db.rls.reason": .string(reason.rawValue)])
        return try await written(.everything) { _ in try await session(readOnly: false, as: .owner, notifying: .everything, body) }
    }

    /// One transaction on one connection of the pool, begun with its first statement
    /// (``PostgresSession``); `notifying`: the footprint its commit tells every process; `identify`:
    /// answer its transaction id once it committed.
    private func session<T: Sendable>(
        readOnly: Bool, as role: PostgresSession.Role, notifying footprint: WriteGeneration.Footprint?,
        identify: Bool = false, defersAppends: Bool = false, _ body: @escaping @Sendable (any SQLDatabase) async throws -> T
    ) async throws -> (value: T, transaction: UInt64?) {
        let notify = footprint.map { PostgresSession.Notification(channel: PostgresChangeFeed.channel, payload: writesMessage($0)) }
        return try await withConnection { connection in
            let session = PostgresSession(
                OpenConnectionDatabase(connection, queryLogLevel: .trace, prepares: self.preparesStatements), connection: connection,
                opening: .init(readOnly: readOnly, role: role, notify: notify, identified: identify, defersAppends: defersAppends)
            )
            do {
                let value = try await body(session)
                try await session.commit()
                return (value, identify ? session.transactionID : nil)
            } catch {
                // A lost connection has no transaction left to roll back (the server ended it), and a
                // statement sent on it can wait for an answer that never comes.
                if !isConnectionLoss(error) && !(error is DatabaseUnavailable) {
                    await session.rollback()
                }
                throw error
            }
        }
    }

    /// Runs one administrative statement outside any transaction (`CREATE DATABASE`, say), as the
    /// URL's user. Only for fixed text written by the program: never pass a user value here.
    public func execute(unsafeSQL statement: String) async throws {
        try await withConnection { connection in
            try await OpenConnectionDatabase(connection).raw(SQLQueryString(statement)).run()
        }
    }

    /// Sends `payload` on `channel` to every listening session of this database. `pg_notify` is
    /// transactional: sent on its own (autocommit), it is delivered at once.
    func notify(channel: String, payload: String) async throws {
        try await withConnection { connection in
            try await OpenConnectionDatabase(connection).raw("SELECT pg_notify(\(bind: channel), \(bind: payload))").run()
        }
    }

    public func ping() async -> Bool {
        (try? await withConnection { try await OpenConnectionDatabase($0).raw("SELECT 1").run() }) != nil
    }

    public func shutdown() async {
        runner.cancel()
        _ = await runner.value
    }
}

/// Which of a lease and its deadline came first; the other one finds the race taken.
final class LeaseRace: Sendable {
    enum Winner { case leased, timedOut }
    private let winner = Mutex<Winner?>(nil)

    /// True when `side` is first.
    func claim(_ side: Winner) -> Bool {
        winner.withLock { winner in
            guard winner == nil else { return false }
            winner = side
            return true
        }
    }

    /// True once the lease won, so the body ran (or is running).
    var bodyStarted: Bool { winner.withLock { $0 == .leased } }
}

/// A session with no connection, for a first try at reads that may all be remembered
/// (``PostgresStore/readRemembered(_:)``): any statement throws ``NeedsStatement``, and the read
/// is then made again on a connection. Row-level security never sees it: nothing reaches the database.
struct MemoryOnlySession: SQLDatabase {
    struct NeedsStatement: Error {}

    let logger: Logger
    var eventLoop: any EventLoop { MultiThreadedEventLoopGroup.singleton.any() }
    var version: (any SQLDatabaseReportedVersion)? { nil }
    var dialect: any SQLDialect { PostgresDialect() }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        eventLoop.makeFailedFuture(NeedsStatement())
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        throw NeedsStatement()
    }
}

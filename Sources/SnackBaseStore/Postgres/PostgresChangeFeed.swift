import Foundation
import Logging
import PostgresNIO
import SQLKit
import SnackBaseCore

/// ``ChangeFeed`` over PostgreSQL's LISTEN/NOTIFY, on the channel `snackbase_invalidation` of the
/// store's database.
///
/// The payload is `<origin> access <account id>` or `<origin> schema`; `origin` is random per
/// process (the store's), so a process skips its own invalidations (it invalidated locally before
/// publishing). Every write transaction of every process also sends `<origin> writes everything` or
/// `<origin> writes records <table> <account>` as it commits (``PostgresStore/writesMessage(_:)``),
/// which advances the other processes' ``WriteGeneration``, so that what they remember of it is
/// read again. While the listener is not subscribed, the generation is suspended (nothing is
/// remembered); and every ``PostgresStore/rememberedFor`` (500 ms) everything is made stale anyway
/// (``WriteGeneration/expire()``), so that a write told by no message (one made with `psql`, or a
/// message lost to a connection that broke unnoticed) is seen within that time all the same (records
/// read before an expiry, within twice that: see ``RememberedReads``). A
/// record change is `<origin> record <message>`, or `<origin> outbox <account id> <row id>` when
/// it would not fit in one notification (fewer than 8,000 bytes): the message is then a row of
/// `realtime_outbox`, written in the same transaction. Record changes are received by every
/// process, the origin included, so that each sees them in the one commit order. The listener
/// holds one connection of its own, outside the pool; when it drops, the listener reconnects with
/// a growing delay (up to 5 s) and applies ``CacheInvalidation/everything``, since messages sent
/// meanwhile are lost.
public struct PostgresChangeFeed: ChangeFeed {
    public static let channel = "snackbase_invalidation"
    /// The longest payload sent inline: PostgreSQL's limit is "shorter than 8,000 bytes".
    static let inlineLimit = 7_900
    private let store: PostgresStore
    private var origin: String { store.origin }

    /// What one notification says.
    enum Message: Equatable {
        case invalidation(CacheInvalidation)
        case record(String)
        case outbox(AccountID, Int64)
        /// Another process's write committed.
        case writes(WriteGeneration.Footprint)
    }

    init(store: PostgresStore) {
        self.store = store
    }

    public func publish(_ invalidation: CacheInvalidation) async {
        let payload: String
        switch invalidation {
        case .access(let account): payload = "\(origin) access \(account.rawValue)"
        case .schema: payload = "\(origin) schema"
        case .everything: return
        }
        do {
            try await store.notify(channel: Self.channel, payload: payload)
        } catch {
            store.logger.warning("cache.broadcast.failed", metadata: ["error": .string(String(describing: error).prefix(200).description)])
        }
    }

    public func publishRecordChange(_ message: String, account: AccountID, on db: any SQLDatabase) async throws {
        let inline = "\(origin) record \(message)"
        if inline.utf8.count <= Self.inlineLimit {
            // In a session it rides with the write's next statement (its audit entry's) instead of one of its own.
            if let session = db as? PostgresSession { return try await session.notify(channel: Self.channel, payload: inline) }
            try await db.raw("SELECT pg_notify(\(bind: Self.channel), \(bind: inline))").run()
            return
        }
        try await RowSecurity.enter(AccountScope(account), on: db)
        // The account's rows that every listener has long read (ten minutes is far past any listener's delay).
        try await db.raw("""
            DELETE FROM realtime_outbox WHERE account_id = \(bind: account.rawValue) AND created_at < now() - interval '10 minutes'
            """).run()
        guard let row = try await db.raw("""
            INSERT INTO realtime_outbox (account_id, message) VALUES (\(bind: account.rawValue), \(bind: message)) RETURNING id
            """).first()
        else { throw PostgresChangeFeedError.outboxInsertReturnedNothing }
        let id = try row.decode(column: "id", as: Int64.self)
        try await db.raw("SELECT pg_notify(\(bind: Self.channel), \(bind: "\(origin) outbox \(account.rawValue) \(id)"))").run()
    }

    public func listen(
        onListening: @escaping @Sendable () async -> Void,
        apply: @escaping @Sendable (CacheInvalidation) async -> Void,
        receive: @escaping @Sendable (String) async -> Void
    ) async {
        var connected = false
        var delay = Duration.milliseconds(100)
        let generation = store.writeGeneration
        defer { generation?.suspend() }
        var attempt = 0
        while !Task.isCancelled {
            attempt += 1
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: store.connectionConfiguration, id: attempt, logger: store.logger
                )
                do {
                    try await connection.listen(on: Self.channel) { notifications in
                        if connected { await apply(.everything) }
                        connected = true
                        delay = .milliseconds(100)
                        // Subscribed: from now on every other process's write is told.
                        generation?.resume()
                        let expiry = Task {
                            while !Task.isCancelled {
                                try? await Task.sleep(for: store.rememberedFor)
                                generation?.expire()
                            }
                        }
                        defer { expiry.cancel() }
                        store.logger.debug("cache.listen.ready")
                        await onListening()
                        for try await notification in notifications {
                            switch decode(notification.payload) {
                            case nil: continue
                            case .writes(let footprint): generation?.advance(CollectionOfOne(footprint))
                            case .invalidation(let invalidation):
                                if invalidation == .everything { generation?.advance(CollectionOfOne(.everything)) }
                                await apply(invalidation)
                            case .record(let message): await receive(message)
                            case .outbox(let account, let id):
                                // Read in line, so that later messages wait for this one.
                                if let message = await outboxMessage(id, of: account) {
                                    await receive(message)
                                } else {
                                    await apply(.everything)
                                }
                            }
                        }
                    }
                } catch {
                    generation?.suspend()
                    try? await connection.close()
                    throw error
                }
                generation?.suspend()
                try? await connection.close()
            } catch {
                generation?.suspend()
                if Task.isCancelled { return }
                // PSQLError's description hides the server's answer; its reflection names it (a connection error carries no data).
                store.logger.warning("cache.listen.lost", metadata: ["error": .string(String(reflecting: error).prefix(300).description)])
            }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(5))
        }
    }

    /// The stored message of an outbox row, read inside its account; nil (logged) when it cannot be read.
    private func outboxMessage(_ id: Int64, of account: AccountID) async -> String? {
        do {
            return try await store.read { db in
                try await RowSecurity.enter(AccountScope(account), on: db)
                return try await db.raw("""
                    SELECT message FROM realtime_outbox WHERE account_id = \(bind: account.rawValue) AND id = \(bind: id)
                    """).first()?.decode(column: "message", as: String.self)
            }
        } catch {
            store.logger.warning("realtime.outbox.unreadable", metadata: ["error": .string(String(reflecting: error).prefix(300).description)])
            return nil
        }
    }

    /// What a payload says; nil for this feed's own invalidations. A payload that cannot be read
    /// drops everything (fail closed: a stale grant is worse than a reload).
    func decode(_ payload: String) -> Message? {
        let parts = payload.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2 else { return .invalidation(.everything) }
        switch parts[1] {
        case "record" where parts.count == 3:
            return .record(String(parts[2]))
        case "outbox" where parts.count == 3:
            let rest = parts[2].split(separator: " ")
            guard rest.count == 2, let account = AccountID(String(rest[0])), let id = Int64(rest[1]) else { return .invalidation(.everything) }
            return .outbox(account, id)
        default:
            break
        }
        if parts[0] == origin { return nil }
        switch (parts[1], parts.count == 3 ? String(parts[2]) : nil) {
        case ("writes", "everything"):
            return .writes(.everything)
        case ("writes", let footprint?):
            let words = footprint.split(separator: " ", omittingEmptySubsequences: false)
            guard words.count == 3, words[0] == "records", !words[1].isEmpty, !words[2].isEmpty else { return .invalidation(.everything) }
            return .writes(.records(table: String(words[1]), account: String(words[2])))
        case ("access", let account?):
            guard let account = AccountID(account) else { return .invalidation(.everything) }
            return .invalidation(.access(account))
        case ("schema", nil):
            return .invalidation(.schema)
        default:
            return .invalidation(.everything)
        }
    }
}

/// Why a record change could not be published.
enum PostgresChangeFeedError: Error {
    case outboxInsertReturnedNothing
}

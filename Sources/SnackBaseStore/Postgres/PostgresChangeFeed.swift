import Foundation
import Logging
import PostgresNIO
import SnackBaseCore

/// ``ChangeFeed`` over PostgreSQL's LISTEN/NOTIFY, on the channel `snackbase_invalidation` of the
/// store's database.
///
/// The payload is `<origin> access <account id>` or `<origin> schema`; `origin` is random per
/// feed, so a process skips its own messages (it invalidated locally before publishing). The
/// listener holds one connection of its own, outside the pool; when it drops, the listener
/// reconnects with a growing delay (up to 5 s) and applies ``CacheInvalidation/everything``,
/// since messages sent meanwhile are lost.
public struct PostgresChangeFeed: ChangeFeed {
    public static let channel = "snackbase_invalidation"
    private let store: PostgresStore
    private let origin = SecureID.randomHex(bytes: 8)

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

    public func listen(onListening: @escaping @Sendable () async -> Void, apply: @escaping @Sendable (CacheInvalidation) async -> Void) async {
        var connected = false
        var delay = Duration.milliseconds(100)
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
                        store.logger.debug("cache.listen.ready")
                        await onListening()
                        for try await notification in notifications {
                            guard let invalidation = decode(notification.payload) else { continue }
                            await apply(invalidation)
                        }
                    }
                } catch {
                    try? await connection.close()
                    throw error
                }
                try? await connection.close()
            } catch {
                if Task.isCancelled { return }
                // PSQLError's description hides the server's answer; its reflection names it (a connection error carries no data).
                store.logger.warning("cache.listen.lost", metadata: ["error": .string(String(reflecting: error).prefix(300).description)])
            }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(5))
        }
    }

    /// The invalidation a payload asks for; nil for this feed's own messages. A payload that cannot
    /// be read drops everything (fail closed: a stale grant is worse than a reload).
    func decode(_ payload: String) -> CacheInvalidation? {
        let parts = payload.split(separator: " ")
        guard parts.count >= 2 else { return .everything }
        if parts[0] == origin { return nil }
        switch (parts[1], parts.count) {
        case ("access", 3):
            guard let account = AccountID(String(parts[2])) else { return .everything }
            return .access(account)
        case ("schema", 2):
            return .schema
        default:
            return .everything
        }
    }
}

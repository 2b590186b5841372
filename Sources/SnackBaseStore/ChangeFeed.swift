import SQLKit
import SnackBaseCore

/// What a process must drop from its in-memory caches after a change made elsewhere.
public enum CacheInvalidation: Sendable, Equatable {
    /// Roles or permissions of one account changed.
    case access(AccountID)
    /// A collection was created, changed or deleted.
    case schema
    /// Anything may have changed: a message could have been lost (the listener reconnected, or a
    /// payload could not be read). Never sent, only applied.
    case everything
}

/// Carries cache invalidations between the server processes that share one database
/// (security-model.md §5). A process publishes after its change commits, and every process
/// runs ``listen(onListening:apply:)`` for as long as it serves; the cache TTL bounds staleness
/// when a message is lost.
///
/// ```swift
/// try await database.transaction { db in … }
/// await feed.publish(.access(accountID))
/// ```
///
/// It also carries realtime record changes (realtime.md): ``publishRecordChange(_:account:on:)``
/// inside the write's transaction, so that every process's listener, this one's included,
/// receives them once the transaction commits, never when it rolls back, in commit order, and in
/// that order among the invalidations.
public protocol ChangeFeed: Sendable {
    /// Tells the other processes; a failure is logged, not thrown (the TTL still bounds staleness).
    func publish(_ invalidation: CacheInvalidation) async
    /// Sends `message` (opaque text of any length) to every listener when the transaction of `db`
    /// commits; `account` is the account the message is about (a long message is stored as a row
    /// of that account). A failure throws: the write must not commit without its event.
    func publishRecordChange(_ message: String, account: AccountID, on db: any SQLDatabase) async throws
    /// Applies invalidations of other processes and receives every process's record changes until
    /// the task is cancelled, reconnecting when the connection drops. `onListening` runs each time
    /// the subscription is (re)established; after a reconnection ``CacheInvalidation/everything``
    /// is applied first, since messages sent meanwhile are lost.
    func listen(
        onListening: @escaping @Sendable () async -> Void,
        apply: @escaping @Sendable (CacheInvalidation) async -> Void,
        receive: @escaping @Sendable (String) async -> Void
    ) async
}

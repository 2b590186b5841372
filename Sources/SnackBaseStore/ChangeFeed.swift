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
public protocol ChangeFeed: Sendable {
    /// Tells the other processes; a failure is logged, not thrown (the TTL still bounds staleness).
    func publish(_ invalidation: CacheInvalidation) async
    /// Applies other processes' invalidations until the task is cancelled, reconnecting when the
    /// connection drops. `onListening` runs each time the subscription is (re)established.
    func listen(onListening: @escaping @Sendable () async -> Void, apply: @escaping @Sendable (CacheInvalidation) async -> Void) async
}

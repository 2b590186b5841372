import Foundation
import SnackBaseCore
import SnackBaseRules
import Synchronization

/// One open realtime stream: what it listens to, who it is for, and its mailbox
/// (realtime.md). Who the caller is gets looked up again for every event (``resolve``): a
/// logout, a deactivation or a role change applies to the next event.
package final class RealtimeStream: Sendable {
    /// A `topics` entry: every record of a collection, or one record.
    package struct Topic: Sendable, Equatable {
        package let collection: String
        package let recordID: String?

        package init(collection: String, recordID: String?) {
            self.collection = collection
            self.recordID = recordID
        }
    }

    /// Why the server ends a stream; the `reason` of its `closed` event.
    package enum CloseReason: String, Sendable, CaseIterable {
        case tokenExpired = "token expired"
        case revoked
        case forbidden
        case slowConsumer = "slow consumer"
        case shutdown
        /// The caller's identity could not be looked up (the database failed): nothing is sent that was not decided.
        case error

        /// The metric label.
        package var label: String { rawValue.replacingOccurrences(of: " ", with: "_") }
    }

    package let topics: [Topic]
    package let filter: CheckedRule?
    /// The account whose events the stream receives; nil for the superadmin's stream of every account.
    package let account: AccountID?
    /// The caller as now (nil: signed out, deactivated or revoked). `identityKey` names the caller, so
    /// that streams of one caller are looked up once per event.
    package let resolve: @Sendable () async throws -> Principal?
    package let identityKey: String
    /// When the access token the stream was opened with expires (Unix seconds); nil for anonymous streams.
    package let expiresAt: Int?
    /// What the per-user stream limit counts.
    package let limitKey: String
    package let mailbox: RealtimeMailbox
    /// The collections of `topics`.
    package var collections: Set<String> { Set(topics.map(\.collection)) }

    package init(topics: [Topic], filter: CheckedRule?, account: AccountID?, identityKey: String, expiresAt: Int?, limitKey: String,
                 buffer: Int, resolve: @escaping @Sendable () async throws -> Principal?) {
        self.topics = topics
        self.filter = filter
        self.account = account
        self.identityKey = identityKey
        self.expiresAt = expiresAt
        self.limitKey = limitKey
        self.resolve = resolve
        self.mailbox = RealtimeMailbox(capacity: buffer)
    }

    private struct Ending {
        var reason: CloseReason?
        var onClose: (@Sendable (CloseReason) -> Void)?
    }

    private let ending = Mutex(Ending())

    /// Why the server closed the stream; nil while open, or when the client went away.
    package var closedReason: CloseReason? { ending.withLock { $0.reason } }

    /// Ends the stream with `closed` and `reason`. What was queued is dropped — decided before, it may
    /// no longer be the caller's to see — except at shutdown.
    package func close(_ why: CloseReason) {
        // The reason is set with the mailbox's close, so that the writer that takes `closed` finds it.
        let action: (@Sendable (CloseReason) -> Void)? = ending.withLock { ending in
            guard ending.reason == nil, mailbox.close(with: RealtimeHub.Frames.closed(why), dropQueued: why != .shutdown) else { return nil }
            ending.reason = why
            return ending.onClose.take()
        }
        action?(why)
    }

    /// Runs `action` once, when the server closes the stream (at once if it already did); never when
    /// the client went away. The transport uses it to bound how long the end may take: the writer
    /// that should send `closed` may be waiting on a client that does not read.
    package func onClose(_ action: @escaping @Sendable (CloseReason) -> Void) {
        let closed: CloseReason? = ending.withLock { ending in
            if ending.reason == nil { ending.onClose = action }
            return ending.reason
        }
        if let closed { action(closed) }
    }

    /// True when `change` is one this stream listens to (before any permission is asked).
    func listens(to change: RecordChange) -> Bool {
        if let account, account != change.accountID { return false }
        return topics.contains { $0.collection == change.collection && ($0.recordID == nil || $0.recordID == change.recordID) }
    }
}

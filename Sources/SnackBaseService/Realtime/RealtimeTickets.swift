import Foundation
import SnackBaseCore
import Synchronization

/// Single-use tickets that let `EventSource`, which cannot send headers, open a stream as a signed-in
/// user without an access token in the URL (realtime.md). A ticket is random, valid 30 s, used once,
/// and bound to the user, account and sign-in of the token that asked for it; it is kept in this
/// process's memory only (a stream must be opened on the process that issued its ticket).
package final class RealtimeTickets: Sendable {
    package struct Holder: Sendable, Equatable {
        package let userID: String
        package let accountID: AccountID
        package let family: String
        /// When the access token that asked for the ticket expires (Unix seconds): the stream ends then.
        package let tokenExpiresAt: Int
    }

    package static let lifetime = 30
    /// At most this many tickets wait at once (the oldest go first beyond it).
    static let capacity = 100_000
    private let tickets = Mutex<[String: (holder: Holder, expiresAt: Int)]>([:])

    package init() {}

    /// A new ticket for `holder`.
    package func issue(for holder: Holder, now: Int = Int(Date().timeIntervalSince1970)) -> String {
        let ticket = "tk_" + SecureID.randomHex(bytes: 32)
        tickets.withLock { tickets in
            if tickets.count >= Self.capacity / 2 { tickets = tickets.filter { $0.value.expiresAt > now } }
            if tickets.count >= Self.capacity, let oldest = tickets.min(by: { $0.value.expiresAt < $1.value.expiresAt })?.key {
                tickets[oldest] = nil
            }
            tickets[ticket] = (holder, now + Self.lifetime)
        }
        return ticket
    }

    /// The holder of `ticket`, which is used up; nil when unknown, used or expired.
    package func redeem(_ ticket: String, now: Int = Int(Date().timeIntervalSince1970)) -> Holder? {
        guard let found = tickets.withLock({ $0.removeValue(forKey: ticket) }), found.expiresAt > now else { return nil }
        return found.holder
    }
}

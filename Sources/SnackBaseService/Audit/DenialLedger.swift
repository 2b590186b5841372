import Foundation
import SnackBaseCore
import SnackBaseStore

/// Keeps denials from growing an audit chain at a caller's will (security-model.md §6): per
/// (account, client address, action) the first ``entriesPerWindow`` denials of a minute are entries
/// of their own; the rest of that minute are counted and become one `access.denied_summary` entry.
/// Some denials never get an entry of their own: a token that cannot be verified (anyone can send
/// garbage) and an anonymous caller's attempt on another account (anyone can name an account).
///
/// A window's summary is written when the next denial for its key arrives after it ended, by the
/// periodic sweep of the server (``AppServices/writeDenialSummaries(all:)``), and at shutdown.
/// Counts are per process; with several processes on one PostgreSQL each keeps its own ledger.
public actor DenialLedger {
    public struct Key: Hashable, Sendable {
        public let account: AccountID
        public let address: String
        public let action: String
        public init(account: AccountID, address: String, action: String) {
            self.account = account
            self.address = address
            self.action = action
        }
    }

    /// The denials of one key in the minute from `start`.
    struct Window: Sendable {
        let start: Date
        var entries = 0
        var summarized = 0
    }

    /// A window that ended with denials that had no entry of their own.
    public struct Summary: Sendable, Equatable {
        public let key: Key
        public let start: Date
        public let count: Int
        public init(key: Key, start: Date, count: Int) {
            self.key = key
            self.start = start
            self.count = count
        }

        public var event: AuditEvent {
            AuditEvent(
                accountID: key.account, action: "access.denied_summary", outcome: .denied,
                reason: "\(key.action) × \(count) from \(key.address) in the minute from \(Timestamp.format(start)), without entries of their own",
                origin: AuditOrigin(requestID: nil, ip: key.address == DenialLedger.unknownAddress ? nil : key.address, userAgent: nil)
            )
        }
    }

    public static let entriesPerWindow = 10
    static let window: TimeInterval = 60
    /// What a request without a known peer address is counted under.
    public static let unknownAddress = "unknown"
    /// Past this many open windows, new keys share one window per (account, action): an attacker
    /// with many addresses costs bounded memory.
    static let maxWindows = 50_000

    private var windows: [Key: Window] = [:]

    /// Counts one denial. Returns whether it gets an entry of its own, and the summaries of windows
    /// of this key that have ended (to write now).
    public init() {}

    public func admit(_ key: Key, mayHaveOwnEntry: Bool, now: Date = Date()) -> (ownEntry: Bool, due: [Summary]) {
        var key = key
        if windows[key] == nil, windows.count >= Self.maxWindows {
            key = Key(account: key.account, address: "*", action: key.action)
        }
        var due: [Summary] = []
        var window = windows[key] ?? Window(start: now)
        if now.timeIntervalSince(window.start) >= Self.window {
            if window.summarized > 0 { due.append(Summary(key: key, start: window.start, count: window.summarized)) }
            window = Window(start: now)
        }
        let ownEntry = mayHaveOwnEntry && window.entries < Self.entriesPerWindow
        if ownEntry { window.entries += 1 } else { window.summarized += 1 }
        windows[key] = window
        return (ownEntry, due)
    }

    /// Removes the windows that have ended (every window when `all`) and returns their summaries.
    public func takeSummaries(all: Bool = false, now: Date = Date()) -> [Summary] {
        var due: [Summary] = []
        for (key, window) in windows where all || now.timeIntervalSince(window.start) >= Self.window {
            if window.summarized > 0 { due.append(Summary(key: key, start: window.start, count: window.summarized)) }
            windows[key] = nil
        }
        return due.sorted { ($0.start, $0.key.address, $0.key.action) < ($1.start, $1.key.address, $1.key.action) }
    }
}

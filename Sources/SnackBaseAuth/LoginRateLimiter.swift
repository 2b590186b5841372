import Crypto
import Foundation

/// Counts failed logins in sliding windows: per (account, e-mail) and per client address.
/// Over either limit, a login is refused with a 429 before any password is checked.
///
/// An attempt counts from the moment it is let through, not when its password has been checked:
/// a key lets through at most as many attempts at once as it has failures left, and the others
/// wait for those to finish. Otherwise a burst of parallel guesses would all pass the check before
/// the first failure was recorded (the limit would be the burst's size). Correct passwords are
/// not refused for being many at once; they only take turns.
public actor LoginRateLimiter {
    public struct Limit: Sendable {
        public var failures: Int
        public var window: TimeInterval
        public init(failures: Int, window: TimeInterval) {
            self.failures = failures
            self.window = window
        }
    }

    /// A login let through by ``begin(identity:address:)``; hand it back to ``finish(_:_:now:)``.
    public struct Attempt: Sendable {
        let identity: String
        let address: String?
    }

    public enum Outcome: Sendable {
        /// The password was right: the identity's failures are forgotten.
        case succeeded
        /// Counted against both keys.
        case failed
        /// Nothing was checked (the server failed first): counted neither way.
        case abandoned
    }

    public enum Admission: Sendable {
        /// Over a limit: refused, try again in this many seconds.
        case refused(retryAfter: Int)
        case admitted(Attempt)
    }

    private let perIdentity: Limit
    private let perAddress: Limit
    /// Keys are digests: an e-mail of a megabyte costs 32 bytes here.
    private var identityFailures: [Digest: [Date]] = [:]
    private var addressFailures: [String: [Date]] = [:]
    private var identityAttempts: [Digest: Int] = [:]
    private var addressAttempts: [String: Int] = [:]
    private var waiting: [CheckedContinuation<Void, Never>] = []
    /// Past this many keys, expired ones are dropped (then it doubles the keys left, so a steady
    /// stream of new keys costs amortized constant time).
    private var sweepAt = 10_000

    typealias Digest = SHA256.Digest

    public init(perIdentity: Limit = .init(failures: 5, window: 15 * 60), perAddress: Limit = .init(failures: 30, window: 60)) {
        self.perIdentity = perIdentity
        self.perAddress = perAddress
    }

    /// Refused when either key is over its limit; else the attempt is let through — possibly after
    /// waiting for other attempts on the same keys. Every admitted attempt must be finished.
    public func begin(identity: String, address: String?) async -> Admission {
        let key = Self.digest(identity)
        while true {
            let now = Date()
            let identityTimes = prune(&identityFailures, key, perIdentity, now) ?? []
            let addressTimes = address.flatMap { prune(&addressFailures, $0, perAddress, now) } ?? []
            var wait: TimeInterval = 0
            if identityTimes.count >= perIdentity.failures {
                wait = max(wait, identityTimes[identityTimes.count - perIdentity.failures].addingTimeInterval(perIdentity.window).timeIntervalSince(now))
            }
            if address != nil, addressTimes.count >= perAddress.failures {
                wait = max(wait, addressTimes[addressTimes.count - perAddress.failures].addingTimeInterval(perAddress.window).timeIntervalSince(now))
            }
            if wait > 0 { return .refused(retryAfter: Int(wait.rounded(.up))) }
            let identityFree = identityTimes.count + identityAttempts[key, default: 0] < perIdentity.failures
            let addressFree = address.map { addressTimes.count + addressAttempts[$0, default: 0] < perAddress.failures } ?? true
            if identityFree && addressFree {
                identityAttempts[key, default: 0] += 1
                if let address { addressAttempts[address, default: 0] += 1 }
                return .admitted(Attempt(identity: identity, address: address))
            }
            await withCheckedContinuation { waiting.append($0) }
        }
    }

    /// Ends an attempt with its outcome. Attempts waiting for these keys look again.
    public func finish(_ attempt: Attempt, _ outcome: Outcome, now: Date = Date()) {
        let key = Self.digest(attempt.identity)
        Self.release(&identityAttempts, key)
        if let address = attempt.address { Self.release(&addressAttempts, address) }
        switch outcome {
        case .succeeded:
            identityFailures[key] = nil
        case .failed:
            identityFailures[key, default: []].append(now)
            if let address = attempt.address { addressFailures[address, default: []].append(now) }
            if identityFailures.count + addressFailures.count > sweepAt { sweep(now) }
        case .abandoned:
            break
        }
        let woken = waiting
        waiting.removeAll()
        for continuation in woken { continuation.resume() }
    }

    private static func digest(_ identity: String) -> Digest {
        SHA256.hash(data: Data(identity.utf8))
    }

    private static func release<Key: Hashable>(_ table: inout [Key: Int], _ key: Key) {
        let count = table[key, default: 0] - 1
        table[key] = count > 0 ? count : nil
    }

    private func prune<Key: Hashable>(_ table: inout [Key: [Date]], _ key: Key, _ limit: Limit, _ now: Date) -> [Date]? {
        guard var times = table[key] else { return nil }
        times.removeAll { now.timeIntervalSince($0) >= limit.window }
        table[key] = times.isEmpty ? nil : times
        return times
    }

    private func sweep(_ now: Date) {
        identityFailures = identityFailures.filter { $0.value.contains { now.timeIntervalSince($0) < perIdentity.window } }
        addressFailures = addressFailures.filter { $0.value.contains { now.timeIntervalSince($0) < perAddress.window } }
        sweepAt = max(10_000, 2 * (identityFailures.count + addressFailures.count))
    }
}

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
///
/// With a ``LoginFailureCounter`` (PostgreSQL: several processes) the failures are counted there,
/// by every process alike, in fixed windows of each limit's length; the attempts in flight are
/// still held back here, per process.
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
    private let shared: (any LoginFailureCounter)?
    /// Counts the attempts that ended: a shared count read while one ended may be stale.
    private var ended = 0
    /// Past this many keys, expired ones are dropped (then it doubles the keys left, so a steady
    /// stream of new keys costs amortized constant time).
    private var sweepAt = 10_000

    typealias Digest = SHA256.Digest

    public init(perIdentity: Limit = .init(failures: 5, window: 15 * 60), perAddress: Limit = .init(failures: 30, window: 60),
                shared: (any LoginFailureCounter)? = nil) {
        self.perIdentity = perIdentity
        self.perAddress = perAddress
        self.shared = shared
    }

    /// Refused when either key is over its limit; else the attempt is let through — possibly after
    /// waiting for other attempts on the same keys. Every admitted attempt must be finished.
    public func begin(identity: String, address: String?) async -> Admission {
        let key = Self.digest(identity)
        while true {
            let counted: Counted
            if let shared {
                let seen = ended
                do {
                    counted = try await Self.count(identity: key, address: address, perIdentity: perIdentity, perAddress: perAddress, in: shared)
                } catch {
                    // The shared count cannot be read: refused (fail closed), as an unknown count might be over.
                    return .refused(retryAfter: 5)
                }
                // An attempt ended while the count was read (its failure may be missing from it, and
                // it no longer holds its place here): read again.
                if ended != seen { continue }
            } else {
                counted = localCount(identity: key, address: address, now: Date())
            }
            if counted.wait > 0 { return .refused(retryAfter: Int(counted.wait.rounded(.up))) }
            let identityFree = counted.identity + identityAttempts[key, default: 0] < perIdentity.failures
            let addressFree = address.map { counted.address + addressAttempts[$0, default: 0] < perAddress.failures } ?? true
            if identityFree && addressFree {
                identityAttempts[key, default: 0] += 1
                if let address { addressAttempts[address, default: 0] += 1 }
                return .admitted(Attempt(identity: identity, address: address))
            }
            await withCheckedContinuation { waiting.append($0) }
        }
    }

    /// The failures counted under an attempt's keys, and how long to wait when one is at its limit.
    private struct Counted {
        var identity = 0
        var address = 0
        var wait: TimeInterval = 0
    }

    private func localCount(identity key: Digest, address: String?, now: Date) -> Counted {
        let identityTimes = prune(&identityFailures, key, perIdentity, now) ?? []
        let addressTimes = address.flatMap { prune(&addressFailures, $0, perAddress, now) } ?? []
        var counted = Counted(identity: identityTimes.count, address: addressTimes.count)
        if identityTimes.count >= perIdentity.failures {
            counted.wait = max(counted.wait, identityTimes[identityTimes.count - perIdentity.failures].addingTimeInterval(perIdentity.window).timeIntervalSince(now))
        }
        if address != nil, addressTimes.count >= perAddress.failures {
            counted.wait = max(counted.wait, addressTimes[addressTimes.count - perAddress.failures].addingTimeInterval(perAddress.window).timeIntervalSince(now))
        }
        return counted
    }

    private static func count(identity key: Digest, address: String?, perIdentity: Limit, perAddress: Limit,
                              in shared: any LoginFailureCounter) async throws -> Counted {
        let identity = try await shared.failures(identityKey(key), window: perIdentity.window, limit: perIdentity.failures)
        var counted = Counted(identity: identity.count)
        if identity.count >= perIdentity.failures { counted.wait = TimeInterval(max(1, identity.resetsIn)) }
        if let address {
            let byAddress = try await shared.failures(addressKey(address), window: perAddress.window, limit: perAddress.failures)
            counted.address = byAddress.count
            if byAddress.count >= perAddress.failures { counted.wait = max(counted.wait, TimeInterval(max(1, byAddress.resetsIn))) }
        }
        return counted
    }

    private static func identityKey(_ key: Digest) -> String { "login_identity|" + key.map { String(format: "%02x", $0) }.joined() }
    private static func addressKey(_ address: String) -> String { "login_address|" + address }

    /// Ends an attempt with its outcome. Attempts waiting for these keys look again (after the
    /// shared count, where there is one, has this outcome).
    public func finish(_ attempt: Attempt, _ outcome: Outcome, now: Date = Date()) async {
        let key = Self.digest(attempt.identity)
        if let shared {
            // A failure that cannot be counted is not retried: the request has failed already, and
            // an unreadable count refuses the next attempt anyway.
            switch outcome {
            case .succeeded:
                try? await shared.forget(Self.identityKey(key))
            case .failed:
                try? await shared.recordFailure(Self.identityKey(key), window: perIdentity.window)
                if let address = attempt.address { try? await shared.recordFailure(Self.addressKey(address), window: perAddress.window) }
            case .abandoned:
                break
            }
        }
        Self.release(&identityAttempts, key)
        if let address = attempt.address { Self.release(&addressAttempts, address) }
        ended += 1
        switch outcome {
        case .succeeded:
            identityFailures[key] = nil
        case .failed:
            if shared == nil {
                identityFailures[key, default: []].append(now)
                if let address = attempt.address { addressFailures[address, default: []].append(now) }
                if identityFailures.count + addressFailures.count > sweepAt { sweep(now) }
            }
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

/// The failed logins of every process on one database (PostgreSQL).
/// Keys name the limit and the digest or address (`login_identity|…`, `login_address|…`); the
/// counter stores digests of them only.
public protocol LoginFailureCounter: Sendable {
    /// The failures under `key` within the last `window` seconds, and, when they are `limit` or
    /// more, the seconds until they are fewer.
    func failures(_ key: String, window: TimeInterval, limit: Int) async throws -> (count: Int, resetsIn: Int)
    /// Counts one failure under `key` (limit window `window` seconds).
    func recordFailure(_ key: String, window: TimeInterval) async throws
    /// Forgets every failure under `key` (the right password was given).
    func forget(_ key: String) async throws
}

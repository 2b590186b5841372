import Foundation

/// Counts failed logins in sliding windows: per (account, e-mail) and per client address.
/// Over either limit, a login is refused with a 429 before any password is checked.
public actor LoginRateLimiter {
    public struct Limit: Sendable {
        public var failures: Int
        public var window: TimeInterval
        public init(failures: Int, window: TimeInterval) {
            self.failures = failures
            self.window = window
        }
    }

    private let perIdentity: Limit
    private let perAddress: Limit
    private var identityFailures: [String: [Date]] = [:]
    private var addressFailures: [String: [Date]] = [:]

    public init(perIdentity: Limit = .init(failures: 5, window: 15 * 60), perAddress: Limit = .init(failures: 30, window: 60)) {
        self.perIdentity = perIdentity
        self.perAddress = perAddress
    }

    /// Seconds to wait when either key is over its limit, else nil.
    public func retryAfter(identity: String, address: String?, now: Date = Date()) -> Int? {
        var wait: TimeInterval = 0
        if let times = prune(&identityFailures, identity, perIdentity, now), times.count >= perIdentity.failures {
            wait = max(wait, times[times.count - perIdentity.failures].addingTimeInterval(perIdentity.window).timeIntervalSince(now))
        }
        if let address, let times = prune(&addressFailures, address, perAddress, now), times.count >= perAddress.failures {
            wait = max(wait, times[times.count - perAddress.failures].addingTimeInterval(perAddress.window).timeIntervalSince(now))
        }
        return wait > 0 ? Int(wait.rounded(.up)) : nil
    }

    public func recordFailure(identity: String, address: String?, now: Date = Date()) {
        identityFailures[identity, default: []].append(now)
        if let address { addressFailures[address, default: []].append(now) }
        if identityFailures.count > 100_000 { sweep(now) }
    }

    public func recordSuccess(identity: String) {
        identityFailures[identity] = nil
    }

    private func prune(_ table: inout [String: [Date]], _ key: String, _ limit: Limit, _ now: Date) -> [Date]? {
        guard var times = table[key] else { return nil }
        times.removeAll { now.timeIntervalSince($0) >= limit.window }
        table[key] = times.isEmpty ? nil : times
        return times
    }

    private func sweep(_ now: Date) {
        identityFailures = identityFailures.filter { $0.value.contains { now.timeIntervalSince($0) < perIdentity.window } }
        addressFailures = addressFailures.filter { $0.value.contains { now.timeIntervalSince($0) < perAddress.window } }
    }
}

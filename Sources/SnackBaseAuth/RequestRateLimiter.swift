import Crypto
import Foundation

/// Counts requests per key in sliding windows and refuses those over a ``RateLimits/Limit``:
/// every request counts, whatever its outcome (a registration costs a password hash even when it
/// fails later). Keys are digests, so a long key costs 32 bytes.
public actor RequestRateLimiter {
    typealias Digest = SHA256.Digest

    private var times: [Digest: [Date]] = [:]
    /// Past this many keys, expired ones are dropped (then it doubles the keys left).
    private var sweepAt = 10_000
    private var longestPeriod: TimeInterval = 0

    public init() {}

    /// Counts one request under `key` (for example `register|127.0.0.1`), or refuses it: the
    /// seconds to wait before the oldest counted request leaves the window.
    public func admit(_ key: String, limit: RateLimits.Limit, now: Date = Date()) -> (allowed: Bool, retryAfter: Int) {
        longestPeriod = max(longestPeriod, limit.period)
        let digest = SHA256.hash(data: Data(key.utf8))
        var list = times[digest] ?? []
        list.removeAll { now.timeIntervalSince($0) >= limit.period }
        if list.count >= limit.count {
            times[digest] = list
            let wait = list[list.count - limit.count].addingTimeInterval(limit.period).timeIntervalSince(now)
            return (false, max(1, Int(wait.rounded(.up))))
        }
        list.append(now)
        times[digest] = list
        if times.count > sweepAt { sweep(now) }
        return (true, 0)
    }

    private func sweep(_ now: Date) {
        times = times.filter { $0.value.contains { now.timeIntervalSince($0) < longestPeriod } }
        sweepAt = max(10_000, 2 * times.count)
    }
}

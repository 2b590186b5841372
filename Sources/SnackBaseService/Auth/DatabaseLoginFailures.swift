import Crypto
import Foundation
import SnackBaseAuth
import SnackBaseStore

/// Failed logins counted in `rate_limit_windows`, so that every process on one PostgreSQL database
/// refuses the same guesses (identity.md "Limits on unauthenticated routes"); keys are stored as
/// digests only.
///
/// The count slides: the current fixed window of the limit's length, plus the one before weighted by
/// how much of it still lies within one period of now. Plain fixed windows would let twice the limit
/// through around a window's end (the limit at its end, the limit again at the next one's start).
/// The weighted share rounds up: five failures a second before a window's end still count as five
/// a second after it (rounded down they were four, and a sixth guess went through).
struct DatabaseLoginFailures: LoginFailureCounter {
    let database: any Database
    /// Windows that started this long ago are removed now and then (twice the longest limit's period).
    let keepFor: TimeInterval

    func failures(_ key: String, window: TimeInterval, limit: Int) async throws -> (count: Int, resetsIn: Int) {
        try await failures(key, window: window, limit: limit, now: Date())
    }

    func failures(_ key: String, window: TimeInterval, limit: Int, now date: Date) async throws -> (count: Int, resetsIn: Int) {
        let (digest, start, period) = Self.window(key, window, now: date)
        let counts = try await database.read { db in try await RateLimitWindowRepository.counts(key: digest, from: start - period, on: db) }
        let now = date.timeIntervalSince1970
        let current = counts[start] ?? 0
        let previous = Double(counts[start - period] ?? 0)
        // The share of the previous window still within one period of now.
        let weight = 1 - (now - Double(start)) / Double(period)
        let count = current + Int((previous * weight).rounded(.up))
        guard count >= limit else { return (count, 0) }
        if current >= limit { return (count, max(1, Int((Double(start + period) - now).rounded(.up)))) }
        // Under the limit once ⌈previous × weight(t)⌉ ≤ limit − current − 1.
        let until = Double(start) + Double(period) * (1 - Double(limit - current - 1) / previous)
        return (count, max(1, Int((until - now).rounded(.up))))
    }

    func recordFailure(_ key: String, window: TimeInterval) async throws {
        try await recordFailure(key, window: window, now: Date())
    }

    func recordFailure(_ key: String, window: TimeInterval, now: Date) async throws {
        let (digest, start, period) = Self.window(key, window, now: now)
        let expiredBefore = Int64(now.timeIntervalSince1970) - Int64(keepFor.rounded(.up))
        _ = try await database.transaction { db in
            try await RateLimitWindowRepository.increment(key: digest, windowStart: start, keepFrom: start - period, expiredBefore: expiredBefore, on: db)
        }
    }

    func forget(_ key: String) async throws {
        let digest = Self.digest(key)
        try await database.transaction { db in try await RateLimitWindowRepository.delete(key: digest, on: db) }
    }

    private static func window(_ key: String, _ window: TimeInterval, now date: Date) -> (digest: String, start: Int64, period: Int64) {
        let period = max(1, Int64(window.rounded(.up)))
        let now = Int64(date.timeIntervalSince1970)
        return (digest(key), now - now % period, period)
    }

    /// The key's windows are told apart by their start; a window of another length (the limit
    /// changed) is older than the current one and removed by the next failure.
    private static func digest(_ key: String) -> String {
        SHA256.hash(data: Data(key.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

import Foundation
@testable import SnackBaseService
import SnackBaseStore
import SnackBaseTesting
import Testing

/// The failed-login count shared by every process (rate_limit_windows), at the boundary of its
/// fixed windows. CI once ran the cross-process login test across 21:00:00 UTC: five failures
/// seconds before the boundary counted as four a moment after it, and a sixth guess got a 200.
@Suite("Login failures counted in the database: the sliding count at a window's boundary")
struct LoginFailureWindowTests {
    static let period: TimeInterval = 900
    static let limit = 5

    /// A moment `offset` seconds after the start of a window (of `period`), well in the past.
    static func moment(_ offset: TimeInterval) -> Date {
        Date(timeIntervalSince1970: 1_800_000_000 - 1_800_000_000.truncatingRemainder(dividingBy: period) + offset)
    }

    /// A counter over a fresh, migrated database of `kind`.
    static func withCounter(_ kind: DatabaseKind, _ body: (DatabaseLoginFailures) async throws -> Void) async throws {
        try await TestDatabase.with(kind) { database in
            try await Migrator.migrate(database)
            try await body(DatabaseLoginFailures(database: database, keepFor: 2 * period))
        }
    }

    @Test("LIM-010 the limit's failures just before a window ends still refuse the next attempt just after it", arguments: TestDatabase.kinds)
    func boundary(kind: DatabaseKind) async throws {
        try await Self.withCounter(kind) { counter in
            let key = "login_identity|boundary"
            for second in 0..<Self.limit {
                try await counter.recordFailure(key, window: Self.period, now: Self.moment(Self.period - 5 + Double(second)))
            }
            let before = try await counter.failures(key, window: Self.period, limit: Self.limit, now: Self.moment(Self.period - 0.5))
            #expect(before.count == Self.limit)
            #expect(before.resetsIn >= 1)
            // One second into the next window: 5 × (899/900) of the previous one still counts as five.
            let after = try await counter.failures(key, window: Self.period, limit: Self.limit, now: Self.moment(Self.period + 1))
            #expect(after.count == Self.limit)
            #expect(after.resetsIn >= 1)
            // Refused until ⌈5 × weight⌉ ≤ 4, i.e. a fifth of the period into the next window (180 s).
            let resetsAt = Self.period + 1 + Double(after.resetsIn)
            #expect(abs(resetsAt - Self.period * 1.2) <= 1, "told to come back at \(resetsAt)")
            let justBefore = try await counter.failures(key, window: Self.period, limit: Self.limit, now: Self.moment(Self.period * 1.2 - 1))
            #expect(justBefore.count == Self.limit)
            let told = try await counter.failures(key, window: Self.period, limit: Self.limit, now: Self.moment(resetsAt))
            #expect(told.count == Self.limit - 1, "still \(told.count) when told it would be under the limit")
            #expect(told.resetsIn == 0)
            // A whole period after the last failure nothing counts.
            let gone = try await counter.failures(key, window: Self.period, limit: Self.limit, now: Self.moment(2 * Self.period))
            #expect(gone.count == 0)
        }
    }

    @Test("LIM-011 a failure in the current window adds to the previous window's weighted share", arguments: TestDatabase.kinds)
    func sliding(kind: DatabaseKind) async throws {
        try await Self.withCounter(kind) { counter in
            let key = "login_identity|sliding"
            for second in 0..<3 { try await counter.recordFailure(key, window: Self.period, now: Self.moment(Double(second))) }
            // Half-way through the next window: ⌈3 × 0.5⌉ = 2 of the previous, plus 2 now.
            for second in 0..<2 { try await counter.recordFailure(key, window: Self.period, now: Self.moment(Self.period + Double(second))) }
            let half = try await counter.failures(key, window: Self.period, limit: Self.limit, now: Self.moment(Self.period * 1.5))
            #expect(half.count == 4)
            #expect(half.resetsIn == 0)
            // Another key is its own count.
            let other = try await counter.failures("login_identity|other", window: Self.period, limit: Self.limit, now: Self.moment(Self.period * 1.5))
            #expect(other.count == 0)
        }
    }
}

import SQLKit

/// Fixed-window request counters in the database, so that every server process on one
/// PostgreSQL database counts the same requests (identity.md "Limits on unauthenticated routes").
/// Keys are digests made by the caller: no e-mail or client address is stored.
public enum RateLimitWindowRepository {
    /// Counts one request under `key` in the window starting at `windowStart` (seconds since
    /// 1970) and returns the window's count, this request included. The key's older windows are
    /// removed on the way, and now and then every key's windows that started before `expiredBefore`
    /// (which must be older than the start of any limit's current window).
    /// `keepFrom` keeps the key's windows from that start on (the one before, for a sliding count).
    public static func increment(key: String, windowStart: Int64, keepFrom: Int64? = nil, expiredBefore: Int64, on db: any SQLDatabase) async throws -> Int {
        try await db.raw("DELETE FROM rate_limit_windows WHERE key = \(bind: key) AND window_start < \(bind: keepFrom ?? windowStart)").run()
        // A key seen once would stay otherwise.
        if Int.random(in: 0..<100) == 0 {
            try await db.raw("DELETE FROM rate_limit_windows WHERE window_start < \(bind: expiredBefore)").run()
        }
        let row = try await db.raw("""
            INSERT INTO rate_limit_windows (key, window_start, count) VALUES (\(bind: key), \(bind: windowStart), 1)
            ON CONFLICT (key, window_start) DO UPDATE SET count = rate_limit_windows.count + 1
            RETURNING count
            """).first()
        return try row?.decode(column: "count", as: Int.self) ?? Int.max
    }

    /// The counts of `key`'s windows that start at `from` or later, by window start.
    public static func counts(key: String, from: Int64, on db: any SQLDatabase) async throws -> [Int64: Int] {
        var counts: [Int64: Int] = [:]
        for row in try await db.raw("SELECT window_start, count FROM rate_limit_windows WHERE key = \(bind: key) AND window_start >= \(bind: from)").all() {
            counts[try row.decode(column: "window_start", as: Int64.self)] = try row.decode(column: "count", as: Int.self)
        }
        return counts
    }

    /// Removes every window of `key`.
    public static func delete(key: String, on db: any SQLDatabase) async throws {
        try await db.raw("DELETE FROM rate_limit_windows WHERE key = \(bind: key)").run()
    }
}

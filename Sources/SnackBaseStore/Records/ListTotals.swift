/// The totals of record lists, remembered until the next committed write.
///
/// A list answers with the number of records that match (the caller's rule, filter and account), and
/// counting is the one part of a first page that grows with the table: with a million records an
/// owner's count reads half a million index entries. The count of a given query is kept under the
/// store's ``WriteGeneration``, so a total is reused only while nothing at all has been written
/// since it was counted.
///
/// Only for a store whose every write passes through this process (SQLite, one process per data
/// folder, see docs/scaling.md); PostgreSQL has no such memory.
public final class ListTotals: Sendable {
    /// Past this many remembered queries the memory is emptied and refilled.
    static let limit = 1024
    private let known: RememberedUntilWrite<String, Int>

    public init(generation: WriteGeneration) {
        known = RememberedUntilWrite(generation: generation, limit: Self.limit)
    }

    /// The total for `key` (the count query's SQL and binds), counted by `count` unless it was
    /// counted since the last write.
    func total(for key: String, count: () async throws -> Int) async throws -> Int {
        try await known.value(for: key, read: count)
    }

    /// An unambiguous key for a query: its SQL text and each bind with its type and length.
    static func key(sql: String, binds: [any Encodable & Sendable]) -> String {
        var key = sql
        for bind in binds {
            let text = "\(bind)"
            key += "\u{1}\(type(of: bind)):\(text.utf8.count):" + text
        }
        return key
    }
}

import Synchronization

/// The totals of record lists, remembered until the next committed write.
///
/// A list answers with the number of records that match (the caller's rule, filter and account), and
/// counting is the one part of a first page that grows with the table: with a million records an
/// owner's count reads half a million index entries. The count of a given query is kept under the
/// store's write generation, which every committed write transaction advances, so a total is reused
/// only while nothing at all has been written since it was counted.
///
/// Only for a store whose every write passes through this process (SQLite, one process per data
/// folder, see docs/scaling.md); PostgreSQL has no such memory.
public final class ListTotals: Sendable {
    /// Past this many remembered queries the memory is emptied and refilled.
    static let limit = 1024
    private let generation = Atomic<UInt64>(0)
    private let known = Mutex<[String: (generation: UInt64, total: Int)]>([:])

    public init() {}

    /// Called after a write transaction ended (committed or not): every remembered total is stale.
    func written() {
        generation.wrappingAdd(1, ordering: .sequentiallyConsistent)
    }

    /// The total for `key` (the count query's SQL and binds), counted by `count` unless it was
    /// counted since the last write. The generation is read before counting, so a write that
    /// commits during the count leaves the result already stale.
    func total(for key: String, count: () async throws -> Int) async throws -> Int {
        let current = generation.load(ordering: .sequentiallyConsistent)
        if let remembered = known.withLock({ $0[key] }), remembered.generation == current {
            return remembered.total
        }
        let total = try await count()
        known.withLock { known in
            if known.count >= Self.limit { known.removeAll(keepingCapacity: true) }
            known[key] = (current, total)
        }
        return total
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

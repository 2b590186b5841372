import SnackBaseCore
import SnackBaseRules
import Synchronization

/// Record reads (list pages and totals, single records by id), remembered until the next committed
/// write that could change them: of the same collection in the same account, or of anything but records.
///
/// A list answers with one page of the records that match (the caller's rule, filter and account)
/// and how many match in all. Both can read far more than they return: counting an owner's records
/// reads every index entry of them, and a page sorted by anything but `created_at` (a filter on
/// `status`, sorted by `views`) reads and sorts every matching row to keep fifty. Each query's
/// answer, keyed by everything its SQL is built from (``Key``), is kept under the store's
/// ``WriteGeneration`` of its collection's records in its account, so it is reused only while
/// nothing has been written there (nor any schema, role or account changed) since it was read.
/// Every record query reads one table in one account (`WHERE account_id = ?`, and its conditions
/// are the rule, filter and shortcuts on that table's columns), so a write elsewhere cannot change it. What the caller may see of each record (its read rule, field rules) is decided per
/// request, after this, from the rows.
///
/// Only for a store whose every write passes through this process (SQLite, one process per data
/// folder, see docs/scaling.md); PostgreSQL has no such memory.
public final class RememberedReads: Sendable {
    /// Past this many remembered counts the memory of totals is emptied and refilled.
    static let totalsLimit = 1024
    /// Past this many remembered rows (in all pages) the memory of pages is emptied and refilled:
    /// a few MB with what the API prepares from them.
    static let rowsLimit = 2048
    /// Past this many remembered single records the memory of them is emptied and refilled.
    static let recordsLimit = 2048
    private let totals: RememberedUntilWrite<Key, Int>
    private let pages: RememberedUntilWrite<Key, RecordPage>
    private let records: RememberedUntilWrite<Key, StoredRecord?>

    public init(generation: WriteGeneration) {
        let stamp: @Sendable (Key) -> UInt64 = { key in generation.records(table: key.table, account: key.account) }
        totals = RememberedUntilWrite(limit: Self.totalsLimit, stamp: stamp)
        pages = RememberedUntilWrite(limit: Self.rowsLimit, weight: { $0.records.count + 1 }, stamp: stamp)
        records = RememberedUntilWrite(limit: Self.recordsLimit, stamp: stamp)
    }

    /// The total for `key`, counted by `count` unless it was counted since the last write.
    func total(for key: Key, count: () async throws -> Int) async throws -> Int {
        try await totals.value(for: key, read: count)
    }

    /// The page for `key`, read by `read` unless it was read since the last write.
    func page(for key: Key, read: () async throws -> RecordPage) async throws -> RecordPage {
        try await pages.value(for: key, read: read)
    }

    /// The record (or its absence) for `key`, read by `read` unless it was read since the last write.
    func record(for key: Key, read: () async throws -> StoredRecord?) async throws -> StoredRecord? {
        try await records.value(for: key, read: read)
    }

    /// What a remembered read is keyed by: everything ``RecordRepository`` builds its SQL from (the
    /// query, the table, the account, the compiled conditions), so equal keys mean the same SQL and
    /// binds in this process, and the user fields its rows are decoded with.
    struct Key: Hashable, Sendable {
        enum Query: Hashable, Sendable {
            case page(sort: [RecordRepository.Sort], skip: Int, limit: Int)
            case count
            case record(id: String)
        }
        let query: Query
        let table: String
        let account: String
        let conditions: [SQLFragment]
        let shape: [Column]
    }

    /// A user field as rows are decoded with it.
    struct Column: Hashable, Sendable {
        let name: String
        let type: FieldType
    }
}

import SQLKit
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
/// folder, see docs/scaling.md), or whose other processes' writes are told to it as they commit
/// (PostgreSQL while its change listener listens, see ``WriteGeneration/suspend()``).
///
/// PostgreSQL's periodic expiry (for the writes no message tells, ``WriteGeneration/expire()``) makes
/// every read stale though nothing is known to have changed: the first list after it reads again (a
/// count of an owner's half million rows takes 45–300 ms), and the callers who come meanwhile are
/// answered what was read before it rather than all waiting for that read, as long as nothing was
/// written in the collection and account since (``WriteGeneration/onlyExpired(table:account:from:to:)``).
/// So such a write is seen within two expiries (1 s) instead of one.
public final class RememberedReads: Sendable {
    /// Past this many remembered counts the memory of totals is emptied and refilled.
    static let totalsLimit = 1024
    /// Past this many remembered rows (in all pages) the memory of pages is emptied and refilled:
    /// a few MB with what the API prepares from them.
    static let rowsLimit = 2048
    /// Past this many remembered single records the memory of them is emptied and refilled.
    static let recordsLimit = 2048
    private let totals: RememberedUntilWrite<Key, Total>
    private let pages: RememberedUntilWrite<Key, RecordPage>
    /// A record by id as a page of it alone (none when there is no such record), so that what is derived from it is kept with it.
    private let records: RememberedUntilWrite<Key, RecordPage>

    let generation: WriteGeneration
    /// How a total outlives a create of its collection in its account.
    let totalsAfterCreates: TotalsAfterCreates
    private let counted = Atomic(0)
    private let caughtUp = Atomic(0)

    /// How a remembered total outlives the creates of its collection in its account, instead of being
    /// counted again after each.
    public enum TotalsAfterCreates: Sendable {
        /// SQLite, where every write passes through this process's one writer: each create examines the
        /// remembered totals in its transaction and carries them to the new generation (``TotalsCarry``).
        case carried
        /// PostgreSQL, where several writes run at once and a count can take longer than the time
        /// between two creates: a count is remembered with the snapshot it saw, each create of this
        /// process with its transaction (``WriteGeneration/advance(records:account:by:)``), and a total
        /// made stale only by such creates is brought up to date by counting those of them its snapshot
        /// did not see (``total(for:count:catchUp:)``).
        case caughtUp
    }

    /// Whether the database sorts text by its UTF-8 bytes (SQLite's `BINARY` collation, the one every
    /// column has here; PostgreSQL's `C` collations), so that the order of a page can be decided here
    /// (``page(for:read:catchUp:)``).
    let textSortsBytewise: Bool
    private let pagesCaughtUp = Atomic(0)

    public init(generation: WriteGeneration, totalsAfterCreates: TotalsAfterCreates, textSortsBytewise: Bool = false) {
        self.generation = generation
        self.totalsAfterCreates = totalsAfterCreates
        self.textSortsBytewise = textSortsBytewise
        let stamp: @Sendable (Key) -> UInt64 = { key in generation.records(table: key.table, account: key.account) }
        let onlyExpired: @Sendable (Key, UInt64, UInt64) -> Bool = { key, from, to in
            generation.onlyExpired(table: key.table, account: key.account, from: from, to: to)
        }
        // Each is read on the caller's session: concurrent misses of one key share the read. What only
        // the expiry made stale is answered while the first caller after it reads it again.
        totals = RememberedUntilWrite(limit: Self.totalsLimit, sharesReads: true, stamp: stamp, onlyExpired: onlyExpired)
        pages = RememberedUntilWrite(limit: Self.rowsLimit, weight: { $0.records.count + 1 }, sharesReads: true, stamp: stamp, onlyExpired: onlyExpired)
        records = RememberedUntilWrite(limit: Self.recordsLimit, sharesReads: true, stamp: stamp, onlyExpired: onlyExpired)
    }

    /// At most this many created records are counted to catch a total up; past it, it is counted again.
    static let catchUpLimit = 256

    /// A remembered total: how many records met its conditions, and (PostgreSQL) in what snapshot.
    struct Total: Sendable {
        let value: Int
        let snapshot: PostgresSnapshot?
    }

    /// The total for `key`, counted by `count` unless it was counted since the last write. Where totals
    /// are caught up (``TotalsAfterCreates/caughtUp``) and only this process's creates have committed
    /// in the key's collection and account since it was counted, `catchUp` counts instead those of
    /// their records the count's snapshot did not see (the records of the creates since, by id; they
    /// have committed, so any later statement sees them), and the total is the one counted plus them.
    func total(for key: Key, count: () async throws -> Total, catchUp: ([String]) async throws -> Int) async throws -> Int {
        let generation = generation
        let catches = totalsAfterCreates == .caughtUp
        // A count under way when creates commit is waited for and caught up too, rather than counted
        // again by every list that comes after each of them (a count of half a million rows outlasts
        // several creates).
        let joinsEarlier: ((UInt64, UInt64) -> Bool)? = catches ? { earlier, current in
            generation.creates(table: key.table, account: key.account, from: earlier, to: current) != nil
        } : nil
        return try await totals.value(for: key, joinsEarlier: joinsEarlier) { stale in
            if catches, let stale, let snapshot = stale.value.snapshot,
               let creates = generation.creates(table: key.table, account: key.account, from: stale.stamp, to: stale.current) {
                let unseen = creates.filter { !snapshot.sees(committed: $0.transaction) }.flatMap(\.ids)
                if unseen.count <= Self.catchUpLimit {
                    let added = unseen.isEmpty ? 0 : try await catchUp(unseen)
                    caughtUp.add(1, ordering: .relaxed)
                    return Total(value: stale.value.value + added, snapshot: snapshot)
                }
            }
            let total = try await count()
            counted.add(1, ordering: .relaxed)
            return total
        }.value
    }

    /// The page for `key`, read by `read` unless it was read since the last write. Where text sorts by
    /// its bytes (``textSortsBytewise``), a first page made stale only by this process's creates since
    /// it was read is brought up to date instead: `catchUp` reads those of their records that meet the
    /// page's conditions (by id, at most ``catchUpLimit``), and they are put in their places by the
    /// page's order (``RecordOrder``); one already on the page (it committed before the page's
    /// statement) is not added twice. What was derived from the records kept is kept with them
    /// (``RecordPage/init(records:following:)``). When the order cannot be decided here (a null, NaN),
    /// the page is read again.
    func page(
        for key: Key, read: () async throws -> RecordPage, catchUp: ([String]) async throws -> [StoredRecord]
    ) async throws -> RecordPage {
        guard textSortsBytewise, case .page(let sort, 0, let limit) = key.query else {
            return try await pages.value(for: key, read: read)
        }
        let generation = generation
        // As for totals: the lists after creates that commit while a page is read wait for it and catch it up.
        let joinsEarlier: (UInt64, UInt64) -> Bool = { earlier, current in
            generation.creates(table: key.table, account: key.account, from: earlier, to: current) != nil
        }
        return try await pages.value(for: key, joinsEarlier: joinsEarlier) { stale in
            if let stale, let creates = generation.creates(table: key.table, account: key.account, from: stale.stamp, to: stale.current) {
                let ids = creates.flatMap(\.ids)
                if ids.count <= Self.catchUpLimit,
                   let records = RecordOrder(sort).merged(stale.value.records, with: try await catchUp(ids), limit: limit) {
                    pagesCaughtUp.add(1, ordering: .relaxed)
                    return RecordPage(records: records, following: stale.value)
                }
            }
            return try await read()
        }
    }

    /// The record (or its absence: an empty page) for `key`, read by `read` unless it was read since the last write.
    func record(for key: Key, read: () async throws -> StoredRecord?) async throws -> RecordPage {
        try await records.value(for: key) { _ in RecordPage(records: try await read().map { [$0] } ?? []) }
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

extension RememberedReads {
    /// At most this many remembered totals of one collection in one account are carried past a create.
    static let carriedTotalsLimit = 8

    /// The totals of `scope`'s collection in its account that are current now.
    func currentTotals(in scope: RecordScope) -> [(key: Key, value: Int)] {
        let table = scope.table, account = scope.account.accountID.rawValue
        return totals.current(limit: Self.carriedTotalsLimit) { $0.table == table && $0.account == account && $0.query == .count }
            .map { ($0.key, $0.value.value) }
    }

    func remember(total: Int, for key: Key, stamp: UInt64) {
        totals.remember(Total(value: total, snapshot: nil), for: key, stamp: stamp)
    }

    /// How many totals were counted in the database rather than answered from memory or caught up (for tests).
    var totalsCounted: Int { counted.load(ordering: .relaxed) }
    /// How many totals were caught up past creates rather than counted again (for tests).
    var totalsCaughtUp: Int { caughtUp.load(ordering: .relaxed) }
    /// How many pages were brought up to date past creates rather than read again (for tests).
    var pagesBroughtUpToDate: Int { pagesCaughtUp.load(ordering: .relaxed) }
}

/// What the creates of one write transaction add to the remembered totals of their collection in
/// their account, so that a create does not make the next list count every matching row again.
///
/// On SQLite (``RememberedReads/TotalsAfterCreates/carried``), after each insert (inside the
/// transaction, on the writer) ``created(id:on:)`` asks the database whether the new record meets
/// each remembered total's conditions, the same SQL the count runs with `id = ?` added. When the
/// batch has committed, ``WriteBatcher`` gives each total the value it had plus what was added, under
/// the new generation (``carry(_:to:)``), only when every job of that collection and account in the
/// batch that committed was such a create and each of them examined that total (a job that failed was
/// rolled back: it changed nothing). The value examined is the one held before the batch, read before
/// it committed; anything else (an update, a delete, a failed job, any other write) leaves the totals stale.
///
/// On PostgreSQL (``RememberedReads/TotalsAfterCreates/caughtUp``) it only notes the ids inserted:
/// ``PostgresStore`` remembers them with the transaction once it committed
/// (``WriteGeneration/advance(records:account:by:)``), and the next list catches its total up from them.
/// On both the ids inserted are remembered with the advance (SQLite: ``WriteBatcher``, for the batch's
/// creates), so that a first page made stale only by creates is brought up to date with their records.
public final class TotalsCarry: Sendable {
    private struct Examined {
        let stamp: UInt64
        var totals: [RememberedReads.Key: (value: Int, added: Int)]
    }
    private let remembered: RememberedReads
    private let generation: WriteGeneration
    private let scope: RecordScope
    private let examined = Mutex<Examined?>(nil)
    private let inserted = Mutex<[String]>([])

    public init?(_ remembered: RememberedReads?, scope: RecordScope) {
        guard let remembered else { return nil }
        self.remembered = remembered
        self.generation = remembered.generation
        self.scope = scope
    }

    var footprint: WriteGeneration.Footprint { .records(table: scope.table, account: scope.account.accountID.rawValue) }

    /// The ids of the records inserted so far.
    var insertedIDs: [String] { inserted.withLock { $0 } }

    /// Called after the record `id` was inserted in this transaction.
    public func created(id: String, on db: any SQLDatabase) async throws {
        // Noted in both: the first pages this makes stale are brought up to date with the records inserted.
        inserted.withLock { $0.append(id) }
        switch remembered.totalsAfterCreates {
        case .caughtUp:
            break
        case .carried:
            let table = scope.table, account = scope.account.accountID.rawValue
            let held = examined.withLock { examined in
                if examined == nil {
                    let stamp = generation.records(table: table, account: account)
                    let current = remembered.currentTotals(in: scope)
                    examined = Examined(stamp: stamp, totals: Dictionary(uniqueKeysWithValues: current.map { ($0.key, (value: $0.value, added: 0)) }))
                }
                return examined.map { Array($0.totals.keys) } ?? []
            }
            for key in held where try await RecordRepository.contains(id: id, in: scope, conditions: key.conditions, on: db) {
                examined.withLock { $0?.totals[key]?.added += 1 }
            }
        }
    }

    /// Gives each total examined by every carry of `carries` (one batch's jobs of one collection in
    /// one account, all committed) its value plus what they added, under `stamp`.
    static func carry(_ carries: [TotalsCarry], to stamp: UInt64) {
        let examined = carries.map { carry in carry.examined.withLock { $0 } }
        guard let first = examined.first, let first,
              examined.allSatisfy({ $0?.stamp == first.stamp }) else { return }
        for (key, held) in first.totals {
            var added = 0
            var everyOne = true
            for carry in examined {
                // Each job examined the same value (the one held before the batch), or nothing is carried.
                guard let entry = carry?.totals[key], entry.value == held.value else { everyOne = false; break }
                added += entry.added
            }
            if everyOne { carries[0].remembered.remember(total: held.value + added, for: key, stamp: stamp) }
        }
    }
}

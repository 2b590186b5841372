import Synchronization

/// One page of records as read. Where lists are remembered, every request that asks the same query
/// before the next write is answered from the same page, and what the API derives from each of its
/// records alone (its JSON, its values for the rule engine, what a caller may see of it) is derived
/// once, kept beside them. A page brought up to date past creates (``RememberedReads``) keeps what was
/// derived from the records it kept.
public final class RecordPage: Sendable {
    public let records: [StoredRecord]
    private let derived = Mutex<(any Sendable)?>(nil)
    /// What was decided for its records by key (``decided(for:limit:each:)``), at most a few.
    private let decisions = Mutex<[(key: any Sendable, value: any Sendable)]>([])
    /// What the page this one was brought up to date from had derived and decided when this one was made,
    /// by the place of each of its records' ids in it (no reference to that page, so pages do not chain).
    private let inherited: Inherited?

    private struct Inherited: Sendable {
        let places: [String: Int]
        let derived: (any Sendable)?
        let decisions: [(key: any Sendable, value: any Sendable)]
    }

    public init(records: [StoredRecord]) {
        self.records = records
        inherited = nil
    }

    /// `records`, made of those of `previous` and new ones: each record with the id of one of
    /// `previous`'s must be that very record unchanged (only creates came between the two), so what was
    /// derived from it and decided for it is taken from `previous` instead of made again.
    init(records: [StoredRecord], following previous: RecordPage) {
        self.records = records
        var places: [String: Int] = [:]
        for (place, record) in previous.records.enumerated() {
            if let id = RecordOrder.id(record) { places[id] = place }
        }
        inherited = Inherited(places: places, derived: previous.derived.withLock { $0 }, decisions: previous.decisions.withLock { $0 })
    }

    /// What `derive` makes of each of ``records``: made by the first caller, the same values for the
    /// next ones. `derive` must depend on nothing but the record and the user fields' names and types
    /// (which are part of the page's key).
    public func derived<T: Sendable>(each derive: (StoredRecord) -> T) -> [T] {
        if let known = derived.withLock({ $0 }) as? [T] { return known }
        let kept = inherited?.derived as? [T]
        let value = records.map { record in inherited(kept, for: record) ?? derive(record) }
        derived.withLock { $0 = value }
        return value
    }

    /// What `decide` makes of each of ``records`` (by its index) for `key`: made by the first caller with
    /// that key, the same values for the next ones with an equal key (at most `limit` keys are kept; past
    /// them, each decides for itself). `decide` must depend on nothing but the record and what `key` holds.
    public func decided<Key: Equatable & Sendable, Value: Sendable>(for key: Key, limit: Int, each decide: (Int) -> Value) -> [Value] {
        let known = decisions.withLock { decisions in
            decisions.first(where: { ($0.key as? Key) == key })?.value as? [Value]
        }
        if let known { return known }
        let kept = inherited?.decisions.first(where: { ($0.key as? Key) == key })?.value as? [Value]
        let value = records.indices.map { index in inherited(kept, for: records[index]) ?? decide(index) }
        decisions.withLock { decisions in
            if decisions.count < limit, !decisions.contains(where: { ($0.key as? Key) == key }) { decisions.append((key, value)) }
        }
        return value
    }

    /// The value `kept` (of the page this one followed) holds for `record`, when it held that record.
    private func inherited<T>(_ kept: [T]?, for record: StoredRecord) -> T? {
        guard let kept, let id = RecordOrder.id(record), let place = inherited?.places[id], place < kept.count else { return nil }
        return kept[place]
    }
}

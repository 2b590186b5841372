import Synchronization

/// One page of records as read. Where lists are remembered, every request that asks the same query
/// before the next write is answered from the same page, and what the API derives from its records
/// alone (their JSON, their values for the rule engine) is derived once, kept beside them.
public final class RecordPage: Sendable {
    public let records: [StoredRecord]
    private let derived = Mutex<(any Sendable)?>(nil)
    /// What was decided for its records by key (``decided(for:limit:_:)``), at most a few.
    private let decisions = Mutex<[(key: any Sendable, value: any Sendable)]>([])

    public init(records: [StoredRecord]) {
        self.records = records
    }

    /// What `derive` makes of ``records``: made by the first caller, the same value for the next ones.
    /// `derive` must depend on nothing but the records and the user fields' names and types (which
    /// are part of the page's key).
    public func derived<T: Sendable>(_ derive: ([StoredRecord]) -> T) -> T {
        if let known = derived.withLock({ $0 }) as? T { return known }
        let value = derive(records)
        derived.withLock { $0 = value }
        return value
    }

    /// What `decide` makes of ``records`` for `key`: made by the first caller with that key, the same
    /// value for the next ones with an equal key (at most `limit` keys are kept; past them, each decides
    /// for itself). `decide` must depend on nothing but the records and what `key` holds.
    public func decided<Key: Equatable & Sendable, Value: Sendable>(for key: Key, limit: Int, _ decide: () -> Value) -> Value {
        let known = decisions.withLock { decisions in
            decisions.first(where: { ($0.key as? Key) == key })?.value as? Value
        }
        if let known { return known }
        let value = decide()
        decisions.withLock { decisions in
            if decisions.count < limit, !decisions.contains(where: { ($0.key as? Key) == key }) { decisions.append((key, value)) }
        }
        return value
    }
}

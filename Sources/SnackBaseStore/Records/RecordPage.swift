import Synchronization

/// One page of records as read. Where lists are remembered, every request that asks the same query
/// before the next write is answered from the same page, and what the API derives from its records
/// alone (their JSON, their values for the rule engine) is derived once, kept beside them.
public final class RecordPage: Sendable {
    public let records: [StoredRecord]
    private let derived = Mutex<(any Sendable)?>(nil)

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
}

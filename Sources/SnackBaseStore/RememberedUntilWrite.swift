import Synchronization

/// A counter that every write transaction of this process advances when it ends, before its caller
/// is answered. Only meaningful for a store whose every write passes through this process (SQLite,
/// one process per data folder, see docs/scaling.md); PostgreSQL has none.
public final class WriteGeneration: Sendable {
    private let value = Atomic<UInt64>(0)

    public init() {}

    var current: UInt64 { value.load(ordering: .sequentiallyConsistent) }

    /// Called after a write transaction ended (committed or not): everything read before is stale.
    func advance() {
        value.wrappingAdd(1, ordering: .sequentiallyConsistent)
    }
}

/// Values read from the database, each reused only while nothing at all has been written since it
/// was read. The generation is read *before* reading the value, so a write that commits while the
/// value is being read leaves it already stale. Past `limit` entries the memory is emptied and refilled.
public final class RememberedUntilWrite<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let generation: WriteGeneration
    private let limit: Int
    private let known: Mutex<[Key: (generation: UInt64, value: Value)]>

    public init(generation: WriteGeneration, limit: Int) {
        self.generation = generation
        self.limit = limit
        self.known = Mutex([:])
    }

    /// The value for `key`, read by `read` unless it was read since the last write. A value for
    /// which `keep` is false is answered but not remembered.
    public func value(for key: Key, keep: (Value) -> Bool = { _ in true }, read: () async throws -> Value) async throws -> Value {
        let current = generation.current
        if let remembered = known.withLock({ $0[key] }), remembered.generation == current {
            return remembered.value
        }
        let value = try await read()
        guard keep(value) else { return value }
        known.withLock { known in
            if known.count >= limit { known.removeAll(keepingCapacity: true) }
            known[key] = (current, value)
        }
        return value
    }
}

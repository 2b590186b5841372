import Synchronization

/// Values read from the database, each reused only while nothing it depends on has been written
/// since it was read. What a key depends on is its `stamp`: a ``WriteGeneration`` number that any
/// write which could change the value advances. The stamp is read *before* reading the value, so a
/// write that commits while the value is being read leaves it already stale. A value read again
/// replaces the stale one of its key; past `limit` (the sum of the values' `weight`) the memory is
/// emptied and refilled.
public final class RememberedUntilWrite<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Entry {
        let stamp: UInt64
        let value: Value
        let weight: Int
    }
    private struct Memory {
        var values: [Key: Entry] = [:]
        var weight = 0
    }
    private let stamp: @Sendable (Key) -> UInt64
    private let limit: Int
    private let weight: @Sendable (Value) -> Int
    private let memory = Mutex(Memory())
    private let misses = Atomic(0)
    /// How many values were read from the database rather than answered from memory (for tests; a read
    /// that threw is not counted).
    var readsMade: Int { misses.load(ordering: .relaxed) }

    /// Values that any write at all makes stale, except a write of records only (a sign-in, an API key).
    public convenience init(generation: WriteGeneration, limit: Int, weight: @escaping @Sendable (Value) -> Int = { _ in 1 }) {
        self.init(limit: limit, weight: weight, stamp: { _ in generation.current })
    }

    init(limit: Int, weight: @escaping @Sendable (Value) -> Int = { _ in 1 }, stamp: @escaping @Sendable (Key) -> UInt64) {
        self.stamp = stamp
        self.limit = limit
        self.weight = weight
    }

    /// The value for `key`, read by `read` unless it was read since the last write it depends on. A
    /// value for which `keep` is false is answered but not remembered.
    public func value(for key: Key, keep: (Value) -> Bool = { _ in true }, read: () async throws -> Value) async throws -> Value {
        let current = stamp(key)
        if current != WriteGeneration.notRemembered,
           let remembered = memory.withLock({ memory in memory.values[key].flatMap { $0.stamp == current ? $0.value : nil } }) {
            return remembered
        }
        let value = try await read()
        misses.add(1, ordering: .relaxed)
        guard keep(value) else { return value }
        remember(value, for: key, stamp: current)
        return value
    }

    /// Remembers `value` for `key` as read under `stamp`, unless the key holds a value read under a later one.
    func remember(_ value: Value, for key: Key, stamp: UInt64) {
        let cost = weight(value)
        guard cost <= limit, stamp != WriteGeneration.notRemembered else { return }
        memory.withLock { memory in
            let held = memory.values[key]
            // Read again since by a request that began later: that one is at least as fresh.
            if let held, held.stamp > stamp { return }
            memory.weight -= held?.weight ?? 0
            if memory.weight + cost > limit {
                memory = Memory()
            }
            memory.values[key] = Entry(stamp: stamp, value: value, weight: cost)
            memory.weight += cost
        }
    }

    /// Up to `limit` of the values remembered under their key's current stamp, among the keys that `include` picks.
    func current(limit: Int, where include: (Key) -> Bool) -> [(key: Key, value: Value)] {
        memory.withLock { memory in
            var found: [(key: Key, value: Value)] = []
            for (key, entry) in memory.values where found.count < limit && include(key) && entry.stamp == stamp(key)
                && entry.stamp != WriteGeneration.notRemembered {
                found.append((key, entry.value))
            }
            return found
        }
    }
}

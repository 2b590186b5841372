import Synchronization

/// Values read from the database, each reused only while nothing at all has been written since it
/// was read. The generation is read *before* reading the value, so a write that commits while the
/// value is being read leaves it already stale. Only values of the current generation are held: the
/// first value remembered after a write frees all the earlier ones. Past `limit` (the sum of the
/// values' `weight`) the memory is emptied and refilled.
public final class RememberedUntilWrite<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Memory {
        var generation: UInt64 = 0
        var values: [Key: Value] = [:]
        var weight = 0
    }
    private let generation: WriteGeneration
    private let limit: Int
    private let weight: @Sendable (Value) -> Int
    private let memory: Mutex<Memory>

    public init(generation: WriteGeneration, limit: Int, weight: @escaping @Sendable (Value) -> Int = { _ in 1 }) {
        self.generation = generation
        self.limit = limit
        self.weight = weight
        self.memory = Mutex(Memory(generation: generation.current))
    }

    /// The value for `key`, read by `read` unless it was read since the last write. A value for
    /// which `keep` is false is answered but not remembered.
    public func value(for key: Key, keep: (Value) -> Bool = { _ in true }, read: () async throws -> Value) async throws -> Value {
        let current = generation.current
        if let remembered = memory.withLock({ $0.generation == current ? $0.values[key] : nil }) {
            return remembered
        }
        let value = try await read()
        guard keep(value) else { return value }
        let cost = weight(value)
        memory.withLock { memory in
            // A write ended while this value was read: it is already stale (and so is nothing held).
            guard memory.generation <= current else { return }
            if memory.generation < current || memory.weight + cost > limit {
                memory = Memory(generation: current)
            }
            guard cost <= limit else { return }
            if memory.values.updateValue(value, forKey: key) == nil { memory.weight += cost }
        }
        return value
    }
}

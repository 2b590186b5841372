import Synchronization

/// Values read from the database, each reused only while nothing it depends on has been written
/// since it was read. What a key depends on is its `stamp`: a ``WriteGeneration`` number that any
/// write which could change the value advances. The stamp is read *before* reading the value, so a
/// write that commits while the value is being read leaves it already stale. A value read again
/// replaces the stale one of its key; past `limit` (the sum of the values' `weight`) the memory is
/// emptied and refilled.
///
/// With `sharesReads`, callers that miss the same key under the same stamp while it is being read
/// wait for that one read instead of each reading it (after a write, the 32 lists in flight count
/// once, not 32 times). Only where a read cannot wait for a connection that a waiter holds: reads
/// made on the caller's own session (records), or by callers that hold none while they wait (sign-ins,
/// checked before a request's transaction); otherwise the read could wait behind waiters that hold the pool's.
public final class RememberedUntilWrite<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Entry {
        let stamp: UInt64
        let value: Value
        let weight: Int
    }
    /// A read under way that others with the same stamp wait for.
    private struct Flight {
        let id: UInt64
        let stamp: UInt64
        var waiters: [CheckedContinuation<Value?, Never>] = []
    }
    private struct Memory {
        var values: [Key: Entry] = [:]
        var weight = 0
        /// Per key, the reads under way, one per stamp, oldest first.
        var flights: [Key: [Flight]] = [:]
        var flightCount: UInt64 = 0
    }
    private enum Step {
        case remembered(Value)
        /// Read it, and hand it to the waiters of this flight (nil: no flight); `stale`: the value the
        /// key held, read under an earlier stamp.
        case read(flight: UInt64?, stale: Stale?)
        case wait(stale: Stale?)
        /// Wait for the flight under the earlier stamp `stamp`, then bring its value up to date and
        /// hand it to the waiters of `flight`.
        case waitEarlier(stamp: UInt64, flight: UInt64, stale: Stale?)
    }

    /// The value a key held when it was read again, read under `stamp`; `current` is the stamp the
    /// new read is made under.
    struct Stale {
        let value: Value
        let stamp: UInt64
        let current: UInt64
    }
    private let sharesReads: Bool
    private let stamp: @Sendable (Key) -> UInt64
    private let onlyExpired: (@Sendable (Key, _ from: UInt64, _ to: UInt64) -> Bool)?
    private let limit: Int
    private let weight: @Sendable (Value) -> Int
    private let memory = Mutex(Memory())
    private let misses = Atomic(0)
    /// How many values were read from the database rather than answered from memory (for tests; a read
    /// that threw is not counted).
    var readsMade: Int { misses.load(ordering: .relaxed) }

    /// Values that any write at all makes stale, except a write of records only (a sign-in, an API key).
    /// `sharesReads`: only where no caller holds a connection while it waits (see above).
    public convenience init(
        generation: WriteGeneration, limit: Int, weight: @escaping @Sendable (Value) -> Int = { _ in 1 }, sharesReads: Bool = false
    ) {
        self.init(limit: limit, weight: weight, sharesReads: sharesReads, stamp: { _ in generation.current })
    }

    /// `onlyExpired(key, from, to)`: whether the key's stamp moved from `from` to `to` by an expiry
    /// alone (``WriteGeneration/onlyExpired(table:account:from:to:)``), nothing known to be written;
    /// then, with `sharesReads`, the value read under `from` is answered to the callers who come while
    /// the first one under `to` reads it again, instead of their waiting for that read.
    init(
        limit: Int, weight: @escaping @Sendable (Value) -> Int = { _ in 1 }, sharesReads: Bool = false, stamp: @escaping @Sendable (Key) -> UInt64,
        onlyExpired: (@Sendable (Key, _ from: UInt64, _ to: UInt64) -> Bool)? = nil
    ) {
        self.sharesReads = sharesReads
        self.stamp = stamp
        self.onlyExpired = onlyExpired
        self.limit = limit
        self.weight = weight
    }

    /// The value for `key`, read by `read` unless it was read since the last write it depends on. A
    /// value for which `keep` is false is answered but not remembered.
    public func value(for key: Key, keep: (Value) -> Bool = { _ in true }, read: () async throws -> Value) async throws -> Value {
        try await value(for: key, keep: keep) { _ in try await read() }
    }

    /// ``value(for:keep:read:)``, where `read` is also given the value the key held when it was read
    /// under an earlier stamp (``Stale``), for a read that can bring it up to date for less. When a
    /// read of the key under an earlier stamp is under way and `joinsEarlier(that stamp, current)`, the
    /// caller waits for it (with `sharesReads`) and `read` is given its value as the stale one: a
    /// read that outlasts the writes made while it runs is still shared, each caller bringing it up to date.
    func value(
        for key: Key, keep: (Value) -> Bool = { _ in true }, joinsEarlier: ((_ earlier: UInt64, _ current: UInt64) -> Bool)? = nil,
        refresh read: (Stale?) async throws -> Value
    ) async throws -> Value {
        let current = stamp(key)
        guard current != WriteGeneration.notRemembered else {
            let value = try await read(nil)
            misses.add(1, ordering: .relaxed)
            return value
        }
        let sharesReads = sharesReads
        let step = memory.withLock { memory -> Step in
            let held = memory.values[key]
            if let held, held.stamp == current { return .remembered(held.value) }
            let stale = held.flatMap { $0.stamp < current ? Stale(value: $0.value, stamp: $0.stamp, current: current) : nil }
            guard sharesReads else { return .read(flight: nil, stale: stale) }
            let flights = memory.flights[key] ?? []
            if flights.contains(where: { $0.stamp == current }) {
                // Made stale by the expiry alone: the value from before it, while the first caller after it reads.
                if let stale, let onlyExpired, onlyExpired(key, stale.stamp, current) { return .remembered(stale.value) }
                return .wait(stale: stale)
            }
            // The first caller under this stamp reads for the later ones, even while a read under an
            // earlier stamp (from before a write) is still under way.
            memory.flightCount &+= 1
            memory.flights[key, default: []].append(Flight(id: memory.flightCount, stamp: current))
            // A flight under an earlier stamp may be from before a write: joined only to be brought up to date.
            if let earlier = flights.last(where: { $0.stamp < current }), let joinsEarlier, joinsEarlier(earlier.stamp, current) {
                return .waitEarlier(stamp: earlier.stamp, flight: memory.flightCount, stale: stale)
            }
            return .read(flight: memory.flightCount, stale: stale)
        }
        let flight: UInt64?
        let stale: Stale?
        switch step {
        case .remembered(let value):
            return value
        case .wait(let held):
            if let shared = await shared(key, stamp: current) { return shared }
            // The read waited for ended without a value (it failed, perhaps for its caller alone).
            flight = nil
            stale = held
        case .waitEarlier(let earlier, let id, let held):
            flight = id
            stale = await shared(key, stamp: earlier).map { Stale(value: $0, stamp: earlier, current: current) } ?? held
        case .read(let id, let held):
            flight = id
            stale = held
        }
        let value: Value
        do {
            value = try await read(stale)
        } catch {
            // The waiters read for themselves (this read may have failed for this caller alone).
            if let flight { land(flight, of: key, with: nil) }
            throw error
        }
        misses.add(1, ordering: .relaxed)
        let kept = keep(value)
        if kept { remember(value, for: key, stamp: current) }
        if let flight { land(flight, of: key, with: kept ? value : nil) }
        return value
    }

    /// Waits for the flight of `key` under `stamp`; nil when it ended without a value to share (or
    /// had ended already), and the caller reads for itself.
    private func shared(_ key: Key, stamp: UInt64) async -> Value? {
        await withCheckedContinuation { (waiter: CheckedContinuation<Value?, Never>) in
            let joined = memory.withLock { memory in
                guard let index = memory.flights[key]?.firstIndex(where: { $0.stamp == stamp }) else { return false }
                memory.flights[key]![index].waiters.append(waiter)
                return true
            }
            if !joined { waiter.resume(returning: nil) }
        }
    }

    /// Ends flight `id` of `key`: its waiters get `value`.
    private func land(_ id: UInt64, of key: Key, with value: Value?) {
        let waiters = memory.withLock { memory -> [CheckedContinuation<Value?, Never>] in
            guard var flights = memory.flights[key], let index = flights.firstIndex(where: { $0.id == id }) else { return [] }
            let flight = flights.remove(at: index)
            memory.flights[key] = flights.isEmpty ? nil : flights
            return flight.waiters
        }
        for waiter in waiters { waiter.resume(returning: value) }
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

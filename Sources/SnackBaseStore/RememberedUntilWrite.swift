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
///
/// With `maxAge` (PostgreSQL, where a write no message tells must be seen within it), a value is also
/// answered only while younger than that, counted from when its read began (a value brought up to date
/// from a stale one keeps the stale one's age: what it was not told of is as old). With `sharesReads`,
/// once a value is close to that age the first caller reads it again while the others are still answered
/// from it, so that nobody waits for it to expire (a count of half a million rows every 500 ms stalled
/// every list for its length). That begins as long before its age as the read took and a tenth of the age
/// more (``ReadTime/readAgainAfter(_:)``): a quick read is not made much more often.
public final class RememberedUntilWrite<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Entry {
        let stamp: UInt64
        let value: Value
        let weight: Int
        /// When the read it came from began (for a value brought up to date: the stale one's).
        let readTime: ReadTime
    }
    /// A read under way that others with the same stamp wait for.
    private struct Flight {
        let id: UInt64
        let stamp: UInt64
        /// A whole read made ahead of a value's age while the others are still answered from it (or
        /// bring it up to date): never joined to be brought up to date, so that nobody waits for it
        /// who need not.
        var ahead = false
        var waiters: [CheckedContinuation<Shared?, Never>] = []
    }
    private struct Memory {
        var values: [Key: Entry] = [:]
        var weight = 0
        /// Per key, the reads under way (one per stamp, and one read ahead), oldest first.
        var flights: [Key: [Flight]] = [:]
        var flightCount: UInt64 = 0
    }
    private enum Step {
        case remembered(Value)
        /// Read it, and hand it to the waiters of this flight (nil: no flight); `stale`: the value the
        /// key held, read under an earlier stamp.
        case read(flight: UInt64?, stale: Stale?)
        /// Read it afresh ahead of the age of the value held, and hand it to the waiters of `flight`.
        case readAhead(flight: UInt64)
        /// Wait for flight `flight` (under the current stamp).
        case wait(flight: UInt64, stale: Stale?)
        /// Wait for `earlier`, a flight under the earlier stamp `stamp`, then bring its value up to date and
        /// hand it to the waiters of `flight`.
        case waitEarlier(earlier: UInt64, stamp: UInt64, flight: UInt64, stale: Stale?)
    }

    /// The value a key held when it was read again, read under `stamp`; `current` is the stamp the
    /// new read is made under.
    struct Stale {
        let value: Value
        let stamp: UInt64
        let current: UInt64
        let readTime: ReadTime
    }
    /// What a flight hands its waiters: the value and the age it is remembered with.
    private struct Shared {
        let value: Value
        let readTime: ReadTime
    }
    private let sharesReads: Bool
    private let maxAge: Duration?
    /// The clock ages are counted on (a test's own, to move it without waiting).
    private let now: @Sendable () -> ContinuousClock.Instant
    private let stamp: @Sendable (Key) -> UInt64
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
        self.init(limit: limit, weight: weight, sharesReads: sharesReads, maxAge: generation.maxAge, stamp: { _ in generation.current })
    }

    init(
        limit: Int, weight: @escaping @Sendable (Value) -> Int = { _ in 1 }, sharesReads: Bool = false, maxAge: Duration? = nil,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }, stamp: @escaping @Sendable (Key) -> UInt64
    ) {
        self.sharesReads = sharesReads
        self.maxAge = maxAge
        self.now = now
        self.stamp = stamp
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
        // Before the stamp: whatever is read from here is at most this old.
        let start = now()
        let current = stamp(key)
        guard current != WriteGeneration.notRemembered else {
            let value = try await read(nil)
            misses.add(1, ordering: .relaxed)
            return value
        }
        let sharesReads = sharesReads, maxAge = maxAge
        let step = memory.withLock { memory -> Step in
            let held = memory.values[key]
            // Young enough to be answered (any age where there is no bound).
            let young = held.map { held in maxAge.map { start - held.readTime.began < $0 } ?? true } ?? false
            let flights = memory.flights[key] ?? []
            func flight(ahead: Bool = false) -> UInt64 {
                memory.flightCount &+= 1
                memory.flights[key, default: []].append(Flight(id: memory.flightCount, stamp: current, ahead: ahead))
                return memory.flightCount
            }
            // Close to its age, the first caller reads it afresh while the others are answered from it, or
            // bring it up to date as before (with creates in between, a value is rarely current for long).
            let due = sharesReads && young && held.map { held in
                maxAge.map { start - held.readTime.began >= held.readTime.readAgainAfter($0) } ?? false
            } ?? false
            if let held, held.stamp == current, young {
                guard due else { return .remembered(held.value) }
                if flights.contains(where: { $0.stamp == current || $0.ahead }) { return .remembered(held.value) }
                return .readAhead(flight: flight(ahead: true))
            }
            if due, !flights.contains(where: \.ahead) { return .readAhead(flight: flight(ahead: true)) }
            // Past its age a value cannot be brought up to date: it may miss what no message told.
            let stale = held.flatMap { $0.stamp < current && young ? Stale(value: $0.value, stamp: $0.stamp, current: current, readTime: $0.readTime) : nil }
            guard sharesReads else { return .read(flight: nil, stale: stale) }
            // Under way for this stamp: the read that brings it up to date, or else, when nothing held can be
            // brought up to date, one ahead.
            if let joined = flights.first(where: { $0.stamp == current && !$0.ahead })
                ?? (stale == nil ? flights.first(where: { $0.stamp == current }) : nil) {
                return .wait(flight: joined.id, stale: stale)
            }
            // The first caller under this stamp reads for the later ones, even while a read under an
            // earlier stamp (from before a write) is still under way.
            let id = flight()
            // A flight under an earlier stamp may be from before a write: joined only to be brought up to date.
            if let earlier = flights.last(where: { $0.stamp < current && !$0.ahead }), let joinsEarlier, joinsEarlier(earlier.stamp, current) {
                return .waitEarlier(earlier: earlier.id, stamp: earlier.stamp, flight: id, stale: stale)
            }
            return .read(flight: id, stale: stale)
        }
        let flight: UInt64?
        let stale: Stale?
        var ahead = false
        switch step {
        case .remembered(let value):
            return value
        case .wait(let joined, let held):
            if let shared = await shared(key, flight: joined) { return shared.value }
            // The read waited for ended without a value (it failed, perhaps for its caller alone).
            flight = nil
            stale = held
        case .waitEarlier(let earlier, let earlierStamp, let id, let held):
            flight = id
            stale = await shared(key, flight: earlier).map { Stale(value: $0.value, stamp: earlierStamp, current: current, readTime: $0.readTime) } ?? held
        case .read(let id, let held):
            flight = id
            stale = held
        case .readAhead(let id):
            flight = id
            stale = nil
            ahead = true
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
        // A value made from a stale one is as old as it (the read may also have ignored it: then it
        // is only remembered for less than it could be).
        let readTime = ReadTime(began: start, took: now() - start).keepingTheAge(of: stale?.readTime)
        if kept { remember(value, for: key, stamp: current, readTime: readTime, ahead: ahead) }
        if let flight { land(flight, of: key, with: kept ? Shared(value: value, readTime: readTime) : nil) }
        return value
    }

    /// Waits for the flight of `key` under `stamp`; nil when it ended without a value to share (or
    /// had ended already), and the caller reads for itself.
    private func shared(_ key: Key, flight id: UInt64) async -> Shared? {
        await withCheckedContinuation { (waiter: CheckedContinuation<Shared?, Never>) in
            let joined = memory.withLock { memory in
                guard let index = memory.flights[key]?.firstIndex(where: { $0.id == id }) else { return false }
                memory.flights[key]![index].waiters.append(waiter)
                return true
            }
            if !joined { waiter.resume(returning: nil) }
        }
    }

    /// Ends flight `id` of `key`: its waiters get `value`.
    private func land(_ id: UInt64, of key: Key, with value: Shared?) {
        let waiters = memory.withLock { memory -> [CheckedContinuation<Shared?, Never>] in
            guard var flights = memory.flights[key], let index = flights.firstIndex(where: { $0.id == id }) else { return [] }
            let flight = flights.remove(at: index)
            memory.flights[key] = flights.isEmpty ? nil : flights
            return flight.waiters
        }
        for waiter in waiters { waiter.resume(returning: value) }
    }

    /// Remembers `value` for `key` as read under `stamp` at `readTime`, unless the key holds a
    /// value read under a later stamp, or under the same one later. A read `ahead` of the held value's
    /// age replaces it even when the held one was brought up to date past `stamp` since (as it began
    /// later, it is younger): the next caller brings it up to date from `stamp`, or reads it again.
    func remember(_ value: Value, for key: Key, stamp: UInt64, readTime: ReadTime, ahead: Bool = false) {
        let cost = weight(value)
        guard cost <= limit, stamp != WriteGeneration.notRemembered else { return }
        memory.withLock { memory in
            let held = memory.values[key]
            // Read again since by a request that began later: that one is at least as fresh.
            if let held, held.readTime.began > readTime.began ? held.stamp >= stamp : held.stamp > stamp && !ahead { return }
            memory.weight -= held?.weight ?? 0
            if memory.weight + cost > limit {
                memory = Memory()
            }
            memory.values[key] = Entry(stamp: stamp, value: value, weight: cost, readTime: readTime)
            memory.weight += cost
        }
    }

    /// Up to `limit` of the values remembered under their key's current stamp (and young enough), among
    /// the keys that `include` picks, with when their read began.
    func current(limit: Int, where include: (Key) -> Bool) -> [(key: Key, value: Value, readTime: ReadTime)] {
        let instant = self.now()
        return memory.withLock { memory in
            var found: [(key: Key, value: Value, readTime: ReadTime)] = []
            for (key, entry) in memory.values where found.count < limit && include(key) && entry.stamp == stamp(key)
                && entry.stamp != WriteGeneration.notRemembered && maxAge.map({ instant - entry.readTime.began < $0 }) ?? true {
                found.append((key, entry.value, entry.readTime))
            }
            return found
        }
    }
}

/// When the read a remembered value came from began, and how long it took.
struct ReadTime: Sendable {
    let began: ContinuousClock.Instant
    let took: Duration

    /// How old a value may grow before, with `maxAge`, the first caller reads it again for the others:
    /// as long before `maxAge` as the read took and a tenth of `maxAge` more (so that the next read
    /// lands before it), at most half of `maxAge` before. A read ahead is a whole one (a count of every
    /// record of a list, for a total): it is not made more often than that takes.
    func readAgainAfter(_ maxAge: Duration) -> Duration {
        maxAge - min(took + maxAge / 10, maxAge / 2)
    }

    /// This read's time for a value made from `stale` (brought up to date): as old as the stale one (what
    /// it was not told of is as old), as long as the longer of the two (its read again will be a whole one).
    func keepingTheAge(of stale: ReadTime?) -> ReadTime {
        guard let stale else { return self }
        return ReadTime(began: min(began, stale.began), took: max(took, stale.took))
    }
}

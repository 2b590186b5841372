import Synchronization
import Testing
@testable import SnackBaseStore

/// Concurrent misses of one key under one stamp share one read (``RememberedUntilWrite`` with
/// `sharesReads`), never across a write, and a failed read leaves the others to read for themselves.
@Suite struct SharedReadsTests {
    /// A read that takes `delay` and counts itself; its value is the stamp it was made under and its number.
    final class CountingReads: Sendable {
        let count = Atomic(0)
        func read(_ generation: WriteGeneration, delay: Duration = .milliseconds(50), failing: Bool = false) async throws -> [Int] {
            let number = count.add(1, ordering: .relaxed).newValue
            try await Task.sleep(for: delay)
            if failing { throw CancellationError() }
            return [Int(generation.current), number]
        }
    }

    @Test func concurrentMissesOfOneKeyShareOneReadAndAWriteStartsAnother() async throws {
        let generation = WriteGeneration()
        let memory = RememberedUntilWrite<String, [Int]>(limit: 100, sharesReads: true, stamp: { _ in generation.current })
        let reads = CountingReads()
        let values = try await withThrowingTaskGroup(of: [Int].self) { group in
            for _ in 0..<8 { group.addTask { try await memory.value(for: "k") { try await reads.read(generation) } } }
            return try await group.reduce(into: [[Int]]()) { $0.append($1) }
        }
        #expect(reads.count.load(ordering: .relaxed) == 1)
        #expect(Set(values).count == 1)
        #expect(memory.readsMade == 1)
        // Another key is its own read.
        _ = try await memory.value(for: "other") { try await reads.read(generation) }
        #expect(reads.count.load(ordering: .relaxed) == 2)

        // A read under way when a write ends is not joined by a caller that comes after the write.
        let before = Task { try await memory.value(for: "k2") { try await reads.read(generation, delay: .milliseconds(200)) } }
        while reads.count.load(ordering: .relaxed) < 3 { try await Task.sleep(for: .milliseconds(1)) }
        generation.advance(CollectionOfOne(.everything))
        let after = try await memory.value(for: "k2") { try await reads.read(generation) }
        #expect(reads.count.load(ordering: .relaxed) == 4, "a caller after the write joined the read from before it")
        #expect(after[0] == Int(generation.current))
        _ = try await before.value
    }

    @Test func callersAfterAWriteShareOneReadWhileTheReadFromBeforeItIsUnderWay() async throws {
        let generation = WriteGeneration()
        let memory = RememberedUntilWrite<String, [Int]>(limit: 100, sharesReads: true, stamp: { _ in generation.current })
        let reads = CountingReads()
        let before = Task { try await memory.value(for: "k") { try await reads.read(generation, delay: .milliseconds(300)) } }
        while reads.count.load(ordering: .relaxed) < 1 { try await Task.sleep(for: .milliseconds(1)) }
        generation.advance(CollectionOfOne(.everything))
        let after = try await withThrowingTaskGroup(of: [Int].self) { group in
            for _ in 0..<6 { group.addTask { try await memory.value(for: "k") { try await reads.read(generation) } } }
            return try await group.reduce(into: [[Int]]()) { $0.append($1) }
        }
        #expect(reads.count.load(ordering: .relaxed) == 2, "each caller after the write read for itself beside the read from before it")
        #expect(Set(after).count == 1)
        #expect(after[0][1] == 2)
        // The read from before the write answers its own caller, and is not remembered over the later one.
        let early = try await before.value
        #expect(early[1] == 1)
        #expect(try await memory.value(for: "k") { try await reads.read(generation) } == after[0])
    }

    /// A clock that moves only when told.
    final class ManualClock: Sendable {
        private let origin = ContinuousClock.now
        private let elapsed = Atomic<Int64>(0)
        var now: ContinuousClock.Instant { origin + .nanoseconds(elapsed.load(ordering: .relaxed)) }
        func advance(by duration: Duration) {
            elapsed.add(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000, ordering: .relaxed)
        }
    }

    final class Counter: Sendable {
        private let count = Atomic(0)
        var value: Int { count.load(ordering: .relaxed) }
        func add() -> Int { count.add(1, ordering: .relaxed).newValue }
    }

    final class Flag: Sendable {
        private let flag: Atomic<Bool>
        init(_ value: Bool) { flag = Atomic(value) }
        var value: Bool { flag.load(ordering: .relaxed) }
        func set(_ value: Bool) { flag.store(value, ordering: .relaxed) }
    }

    /// Waits (a few seconds at most) until `condition` holds, and says whether it did.
    func eventually(_ condition: () -> Bool) async throws -> Bool {
        for _ in 0..<5_000 {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(1))
        }
        return condition()
    }

    @Test("with a bound on age: a value past it is read again; close to it one caller reads it again while the others are answered from it")
    func valuesAreHeldToTheirAgeAndReadAgainAheadOfIt() async throws {
        let generation = WriteGeneration()
        let clock = ManualClock()
        let memory = RememberedUntilWrite<String, [Int]>(
            limit: 100, sharesReads: true, maxAge: .seconds(1), now: { clock.now }, stamp: { _ in generation.current })
        let reads = CountingReads()
        func value() async throws -> [Int] { try await memory.value(for: "k") { try await reads.read(generation, delay: .zero) } }
        #expect(try await value() == [0, 1])
        clock.advance(by: .milliseconds(400))
        #expect(try await value() == [0, 1])
        #expect(reads.count.load(ordering: .relaxed) == 1)

        // Close to its age (a tenth of it left, as the read took no time): the first caller reads it again (held until
        // let go); the others are answered from the value held.
        clock.advance(by: .milliseconds(550))
        let letGo = Atomic(false)
        let refresher = Task {
            try await memory.value(for: "k") { _ in
                let number = reads.count.add(1, ordering: .relaxed).newValue
                while !letGo.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(1)) }
                return [Int(generation.current), number]
            }
        }
        let refreshing = try await eventually { reads.count.load(ordering: .relaxed) == 2 }
        #expect(refreshing, "nobody read the value again close to its age")
        let answered = Atomic(0)
        let others = Task {
            for _ in 0..<8 {
                if try await value() == [0, 1] { answered.add(1, ordering: .relaxed) }
            }
        }
        let answeredMeanwhile = try await eventually { answered.load(ordering: .relaxed) == 8 }
        #expect(answeredMeanwhile, "callers waited for the read ahead of the value's age")
        try await others.value
        // Past its whole age, the value held is not answered even while it is being read again: the caller waits for that read.
        clock.advance(by: .milliseconds(450))
        let late = Task { try await value() }
        try await Task.sleep(for: .milliseconds(20))  // lets it start: answered from what is held, it would end with [0, 1]
        letGo.store(true, ordering: .relaxed)
        #expect(try await late.value == [0, 2], "a value past its age was answered")
        #expect(try await refresher.value == [0, 2])
        #expect(reads.count.load(ordering: .relaxed) == 2)
        // The value read again is as old as that read (450 ms, as long as it took): answered without a read; past its age, read again.
        #expect(try await value() == [0, 2])
        #expect(reads.count.load(ordering: .relaxed) == 2)
        clock.advance(by: .milliseconds(1_000))
        #expect(try await value() == [0, 3])
        #expect(reads.count.load(ordering: .relaxed) == 3)
    }

    @Test func withoutSharedReadsAValuePastItsAgeIsReadAgainAndNoneAhead() async throws {
        let generation = WriteGeneration()
        let clock = ManualClock()
        let memory = RememberedUntilWrite<String, [Int]>(limit: 100, maxAge: .seconds(1), now: { clock.now }, stamp: { _ in generation.current })
        let reads = CountingReads()
        func value() async throws -> [Int] { try await memory.value(for: "k") { try await reads.read(generation, delay: .zero) } }
        #expect(try await value() == [0, 1])
        clock.advance(by: .milliseconds(999))
        #expect(try await value() == [0, 1])
        clock.advance(by: .milliseconds(1))
        #expect(try await value() == [0, 2])
    }

    @Test func aSlowReadIsReadAgainFurtherAheadOfItsAge() async throws {
        let generation = WriteGeneration()
        let clock = ManualClock()
        let memory = RememberedUntilWrite<String, [Int]>(
            limit: 100, sharesReads: true, maxAge: .seconds(1), now: { clock.now }, stamp: { _ in generation.current })
        let reads = CountingReads()
        // The first read takes 300 ms: read again 400 ms (as long as it took, and a tenth of the age) before its age.
        _ = try await memory.value(for: "k") { _ in
            clock.advance(by: .milliseconds(300))
            return try await reads.read(generation, delay: .zero)
        }
        func value() async throws -> [Int] { try await memory.value(for: "k") { try await reads.read(generation, delay: .zero) } }
        clock.advance(by: .milliseconds(290))
        #expect(try await value() == [0, 1])
        clock.advance(by: .milliseconds(10))
        #expect(try await value() == [0, 2], "a slow read was not read again ahead of its age by as long as it took")
        // That read took no time: read again a tenth of the age before it.
        clock.advance(by: .milliseconds(850))
        #expect(try await value() == [0, 2])
        clock.advance(by: .milliseconds(50))
        #expect(try await value() == [0, 3])
    }

    @Test("a value brought up to date after each write is read afresh ahead of its age while the others still bring it up to date, and the fresh read replaces it")
    func aValueKeptUpToDateIsReadAfreshAheadOfItsAge() async throws {
        let generation = WriteGeneration()
        let clock = ManualClock()
        let memory = RememberedUntilWrite<String, [Int]>(
            limit: 100, sharesReads: true, maxAge: .seconds(1), now: { clock.now }, stamp: { _ in generation.current })
        let whole = Counter()
        let letGo = Flag(true)
        /// A whole read answers [100 × its number]; bringing a value up to date appends 1.
        @Sendable func value() async throws -> [Int] {
            try await memory.value(for: "k") { stale in
                if let stale { return stale.value + [1] }
                let number = whole.add()
                while !letGo.value { try await Task.sleep(for: .milliseconds(1)) }
                return [100 * number]
            }
        }
        @Sendable func write() { generation.advance(CollectionOfOne(.everything)) }
        #expect(try await value() == [100])
        clock.advance(by: .milliseconds(200))
        write()
        #expect(try await value() == [100, 1])
        // 950 ms after the whole read: the first caller reads afresh (held until let go) ...
        clock.advance(by: .milliseconds(750))
        write()
        letGo.set(false)
        let ahead = Task { try await value() }
        let readingAhead = try await eventually { whole.value == 2 }
        #expect(readingAhead, "nobody read afresh a value close to its age")
        // ... while the others bring the value held up to date, after this write and the next, without waiting.
        let answered = Atomic(0)
        let others = Task {
            if try await value() == [100, 1, 1] { answered.add(1, ordering: .relaxed) }
            write()
            if try await value() == [100, 1, 1, 1] { answered.add(1, ordering: .relaxed) }
        }
        let answeredMeanwhile = try await eventually { answered.load(ordering: .relaxed) == 2 }
        #expect(answeredMeanwhile, "callers waited for the read ahead, or were not brought up to date")
        letGo.set(true)
        try await others.value
        #expect(try await ahead.value == [200])
        // The fresh read took the place of the older value brought up to date since: 1,100 ms after the first
        // read, the next caller brings the fresh one up to date past the write after it (the old one is too old).
        clock.advance(by: .milliseconds(150))
        #expect(try await value() == [200, 1])
        #expect(whole.value == 2)
    }

    @Test func aValueBroughtUpToDateKeepsTheAgeOfTheOneItCameFrom() async throws {
        let generation = WriteGeneration()
        let clock = ManualClock()
        let memory = RememberedUntilWrite<String, [Int]>(
            limit: 100, sharesReads: true, maxAge: .seconds(1), now: { clock.now }, stamp: { _ in generation.current })
        let brought = Atomic(0)
        func value() async throws -> [Int] {
            try await memory.value(for: "k") { stale in
                guard let stale else { return [0] }
                brought.add(1, ordering: .relaxed)
                return stale.value + [1]
            }
        }
        #expect(try await value() == [0])
        clock.advance(by: .milliseconds(600))
        generation.advance(CollectionOfOne(.everything))
        #expect(try await value() == [0, 1], "a stale value younger than its age was not handed to the read")
        // 920 ms after the first read, 320 ms after it was brought up to date: as old as the first, so close to its
        // age, and read afresh (were it counted from 600 ms, it would be answered).
        clock.advance(by: .milliseconds(320))
        #expect(try await value() == [0])
        // Past its age, a stale value is not handed to the read either.
        generation.advance(CollectionOfOne(.everything))
        clock.advance(by: .milliseconds(1_000))
        #expect(try await value() == [0])
        #expect(brought.load(ordering: .relaxed) == 1)
    }

    @Test func whenTheSharedReadFailsTheOthersReadForThemselves() async throws {
        let generation = WriteGeneration()
        let memory = RememberedUntilWrite<String, [Int]>(limit: 100, sharesReads: true, stamp: { _ in generation.current })
        let reads = CountingReads()
        let failing = Task { try await memory.value(for: "k") { try await reads.read(generation, delay: .milliseconds(100), failing: true) } }
        while reads.count.load(ordering: .relaxed) < 1 { try await Task.sleep(for: .milliseconds(1)) }
        let waiters = Task {
            try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<4 { group.addTask { try await memory.value(for: "k") { try await reads.read(generation) } } }
                return try await group.reduce(into: [[Int]]()) { $0.append($1) }
            }
        }
        await #expect(throws: CancellationError.self) { try await failing.value }
        let values = try await waiters.value
        #expect(values.count == 4)
        // The four waited for the failed read, then shared a read of their own (or read alone): never the failure.
        #expect((2...5).contains(reads.count.load(ordering: .relaxed)))
    }

    @Test func withoutSharingEachMissReads() async throws {
        let generation = WriteGeneration()
        let memory = RememberedUntilWrite<String, [Int]>(limit: 100, stamp: { _ in generation.current })
        let reads = CountingReads()
        try await withThrowingTaskGroup(of: [Int].self) { group in
            for _ in 0..<4 { group.addTask { try await memory.value(for: "k") { try await reads.read(generation) } } }
            try await group.waitForAll()
        }
        #expect(reads.count.load(ordering: .relaxed) == 4)
    }
}

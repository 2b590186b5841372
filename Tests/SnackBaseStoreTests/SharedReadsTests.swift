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

    /// A memory of one collection's records in one account, answering what the expiry alone made stale while it is read again.
    static func recordsMemory(_ generation: WriteGeneration) -> RememberedUntilWrite<String, [Int]> {
        RememberedUntilWrite(limit: 100, sharesReads: true, stamp: { _ in generation.records(table: "posts", account: "AA0001") },
                             onlyExpired: { _, from, to in generation.onlyExpired(table: "posts", account: "AA0001", from: from, to: to) })
    }

    /// Starts a read of `key` that takes `delay` and waits until it is under way.
    static func slowRead(_ memory: RememberedUntilWrite<String, [Int]>, _ key: String, _ reads: CountingReads, _ generation: WriteGeneration,
                         delay: Duration = .milliseconds(300)) async throws -> Task<[Int], any Error> {
        let started = reads.count.load(ordering: .relaxed)
        let task = Task { try await memory.value(for: key) { try await reads.read(generation, delay: delay) } }
        while reads.count.load(ordering: .relaxed) == started { try await Task.sleep(for: .milliseconds(1)) }
        return task
    }

    @Test("after the expiry alone, the callers who come while the first one reads again are answered what was read before it; after a write, or a second expiry, they wait for the new read")
    func whatOnlyTheExpiryMadeStaleIsAnsweredWhileItIsReadAgain() async throws {
        let generation = WriteGeneration()
        let memory = Self.recordsMemory(generation)
        let reads = CountingReads()
        let first = try await memory.value(for: "k") { try await reads.read(generation) }
        #expect(first[1] == 1)

        // The expiry: the first caller reads again (and waits for it); the four after it are answered the old value at once.
        generation.expire()
        var again = try await Self.slowRead(memory, "k", reads, generation)
        let meanwhile = try await withThrowingTaskGroup(of: [Int].self) { group in
            for _ in 0..<4 { group.addTask { try await memory.value(for: "k") { try await reads.read(generation) } } }
            return try await group.reduce(into: [[Int]]()) { $0.append($1) }
        }
        #expect(meanwhile == Array(repeating: first, count: 4), "the callers during the read after the expiry were not answered the value from before it")
        #expect(reads.count.load(ordering: .relaxed) == 2)
        let fresh = try await again.value
        #expect(fresh[1] == 2)
        // Once read, the new value is the one answered.
        #expect(try await memory.value(for: "k") { try await reads.read(generation) } == fresh)

        // A write to the collection in the account, then the expiry: nothing from before the write is answered.
        generation.advance(CollectionOfOne(.records(table: "posts", account: "AA0001")))
        generation.expire()
        again = try await Self.slowRead(memory, "k", reads, generation)
        let afterWrite = try await memory.value(for: "k") { try await reads.read(generation) }
        #expect(afterWrite[1] == 3, "a caller after a write was answered the value read before it")
        _ = try await again.value
        // A write made while the first caller after an expiry reads: the callers after it do not get the old value either.
        _ = try await memory.value(for: "k") { try await reads.read(generation) }
        generation.expire()
        again = try await Self.slowRead(memory, "k", reads, generation)
        generation.advance(CollectionOfOne(.everything))
        #expect(try await memory.value(for: "k") { try await reads.read(generation) }[1] == 5)
        _ = try await again.value

        // Two expiries since it was read: older than one expiry's time, so the callers wait for the new read.
        let held = try await memory.value(for: "k") { try await reads.read(generation) }
        generation.expire()
        generation.expire()
        again = try await Self.slowRead(memory, "k", reads, generation)
        let late = try await memory.value(for: "k") { try await reads.read(generation) }
        #expect(late != held, "a value from before two expiries was answered")
        #expect(late == (try await again.value), "the caller after two expiries did not wait for the read under way")

        // Writes elsewhere (another account, another collection) do not count as writes here.
        _ = try await memory.value(for: "k") { try await reads.read(generation) }
        let before = try await memory.value(for: "k") { try await reads.read(generation) }
        generation.advance(CollectionOfOne(.records(table: "posts", account: "AA0002")))
        generation.advance(CollectionOfOne(.records(table: "notes", account: "AA0001")))
        generation.expire()
        again = try await Self.slowRead(memory, "k", reads, generation)
        #expect(try await memory.value(for: "k") { try await reads.read(generation) } == before)
        _ = try await again.value
    }

    @Test("what is remembered of everything but records (sign-ins, access) is never answered past an expiry")
    func signInsAreNeverAnsweredPastAnExpiry() async throws {
        let generation = WriteGeneration()
        let memory = RememberedUntilWrite<String, [Int]>(generation: generation, limit: 100, sharesReads: true)
        let reads = CountingReads()
        let first = try await memory.value(for: "k") { try await reads.read(generation) }
        generation.expire()
        let again = Task { try await memory.value(for: "k") { try await reads.read(generation, delay: .milliseconds(300)) } }
        while reads.count.load(ordering: .relaxed) < 2 { try await Task.sleep(for: .milliseconds(1)) }
        let waited = try await memory.value(for: "k") { try await reads.read(generation) }
        #expect(waited != first)
        #expect(waited == (try await again.value))
    }
}

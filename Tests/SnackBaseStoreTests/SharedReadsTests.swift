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
}

import SQLKit
import SnackBaseCore
@testable import SnackBaseStore
import SnackBaseTesting
import Synchronization
import Testing

/// What a write makes stale on SQLite: a record write only what was read of its collection's records
/// in its account; any other write everything. (The answers through the API: HotPathTests.)
@Suite struct WriteGenerationTests {
    /// Counts the reads that were not answered from memory.
    final class Reads: Sendable {
        private let count = Mutex(0)
        var made: Int { count.withLock { $0 } }
        func read() -> Int { count.withLock { $0 += 1; return $0 } }
    }

    static func total(_ table: String, _ account: String) -> RememberedReads.Key {
        RememberedReads.Key(query: .count, table: table, account: account, conditions: [], shape: [])
    }

    @Test func aRecordWriteMakesStaleOnlyItsCollectionInItsAccountAndAnyOtherWriteEverything() async throws {
        try await TestDatabase.with(.sqlite) { database in
            let generation = try #require(database.writeGeneration)
            let remembered = try #require(database.rememberedReads)
            let signIns = RememberedUntilWrite<String, Int>(generation: generation, limit: 16)
            let keys = [Self.total("posts", "AA0001"), Self.total("posts", "BB0002"), Self.total("notes", "AA0001")]
            let reads = Reads()
            /// Reads every key and the sign-in; returns which of them were read from the database.
            func readAll() async throws -> [Bool] {
                var fresh: [Bool] = []
                for key in keys {
                    let before = reads.made
                    _ = try await remembered.total(for: key) { reads.read() }
                    fresh.append(reads.made > before)
                }
                let before = reads.made
                _ = try await signIns.value(for: "bob") { reads.read() }
                fresh.append(reads.made > before)
                return fresh
            }
            #expect(try await readAll() == [true, true, true, true])
            #expect(try await readAll() == [false, false, false, false])

            try await database.transaction(touching: .records(table: "posts", account: "AA0001")) { _ in }
            #expect(try await readAll() == [true, false, false, false])
            // A record write that failed (rolled back to its savepoint) is counted all the same.
            await #expect(throws: StoreTestFailure.self) {
                try await database.transaction(touching: .records(table: "notes", account: "AA0001")) { _ in throw StoreTestFailure() }
            }
            #expect(try await readAll() == [false, false, true, false])
            // Any other write: a role, a user, a schema.
            try await database.transaction { _ in }
            #expect(try await readAll() == [true, true, true, true])
            #expect(try await readAll() == [false, false, false, false])
        }
    }

    @Test func writesInOneBatchMakeStaleEachOfTheirFootprints() async throws {
        try await TestDatabase.with(.sqlite) { database in
            let generation = try #require(database.writeGeneration)
            let before = (generation.current, generation.records(table: "posts", account: "AA0001"),
                          generation.records(table: "notes", account: "BB0002"), generation.records(table: "posts", account: "CC0003"))
            // Started together, so that the batcher puts them into one commit.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for footprint in [WriteGeneration.Footprint.records(table: "posts", account: "AA0001"), .records(table: "notes", account: "BB0002")] {
                    group.addTask { try await database.transaction(touching: footprint) { _ in } }
                }
                try await group.waitForAll()
            }
            #expect(generation.current == before.0)
            #expect(generation.records(table: "posts", account: "AA0001") > before.1)
            #expect(generation.records(table: "notes", account: "BB0002") > before.2)
            #expect(generation.records(table: "posts", account: "CC0003") == before.3)
        }
    }

    @Test func pastItsLimitOfCollectionsWrittenTheGenerationTreatsAWriteAsEverything() {
        let generation = WriteGeneration()
        let start = generation.current
        for index in 0..<WriteGeneration.recordsLimit {
            generation.advance([.records(table: "t\(index)", account: "AA0001")])
        }
        #expect(generation.current == start)
        let first = generation.records(table: "t0", account: "AA0001")
        generation.advance([.records(table: "one-more", account: "AA0001")])
        // Everything is stale now, and what was known per collection is let go.
        #expect(generation.current > start)
        #expect(generation.records(table: "t0", account: "AA0001") > first)
        #expect(generation.records(table: "never-written", account: "AA0001") == generation.current)
    }

    @Test func aHookOfOnesOwnMakesARecordWriteStaleEverything() {
        let collection = CollectionSchema(id: "col_1", name: "notes", description: "", fields: [FieldSchema(name: "title", type: .text)],
                                          createdAt: "2026-01-01T00:00:00.000Z", updatedAt: "2026-01-01T00:00:00.000Z")
        let scope = RecordScope(account: AccountScope(.system), collection: collection)
        #expect(RecordHooks.audited.footprint(of: scope) == .records(table: collection.tableName, account: AccountID.system.rawValue))
        #expect(RecordHooks().footprint(of: scope) == .records(table: collection.tableName, account: AccountID.system.rawValue))
        let custom = RecordHooks([(priority: 0, hook: WritesElsewhere()), (priority: 1_000_000, hook: AuditRecordHook())])
        #expect(custom.footprint(of: scope) == .everything)
    }

    struct WritesElsewhere: RecordHook {}
    struct StoreTestFailure: Error {}

    @Test("a record write's advance answers its footprint's stamp before and after, under one lock; nil while suspended")
    func advanceAnswersTheStamps() throws {
        let generation = WriteGeneration()
        let start = generation.records(table: "posts", account: "AA0001")
        let first = try #require(generation.advance(records: "posts", account: "AA0001"))
        #expect(first.before == start && first.after == generation.records(table: "posts", account: "AA0001") && first.after > start)
        // Another footprint's write leaves this one's stamp: the next advance starts from where this one ended.
        generation.advance(CollectionOfOne(.records(table: "posts", account: "BB0002")))
        #expect(try #require(generation.advance(records: "posts", account: "AA0001")).before == first.after)
        let second = generation.records(table: "posts", account: "AA0001")
        // A write of everything moves it: a carry examined before it must see a different stamp before.
        generation.advance(CollectionOfOne(.everything))
        let third = try #require(generation.advance(records: "posts", account: "AA0001"))
        #expect(third.before != second && third.before > second)
        generation.suspend()
        #expect(generation.advance(records: "posts", account: "AA0001") == nil)
    }
}

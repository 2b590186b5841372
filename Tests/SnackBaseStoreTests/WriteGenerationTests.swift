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
                    _ = try await remembered.total(for: key, count: { .init(value: reads.read(), snapshot: nil) }, catchUp: { _ in 0 })
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

    @Test("the creates between two stamps of a collection in an account are answered only when nothing else advanced it between them")
    func createsBetweenStamps() throws {
        let generation = WriteGeneration()
        func stamp() -> UInt64 { generation.records(table: "posts", account: "AA0001") }
        let start = stamp()
        #expect(generation.creates(table: "posts", account: "AA0001", from: start, to: start) == [])
        let first = WriteGeneration.Create(transaction: 700, ids: ["a"])
        generation.advance(records: "posts", account: "AA0001", by: first)
        // Another footprint's write, and another account's create, leave this one's chain whole.
        generation.advance(CollectionOfOne(.records(table: "posts", account: "BB0002")))
        generation.advance(records: "posts", account: "BB0002", by: .init(transaction: 701, ids: ["x"]))
        let second = WriteGeneration.Create(transaction: 702, ids: ["b", "c"])
        generation.advance(records: "posts", account: "AA0001", by: second)
        let afterTwo = stamp()
        #expect(generation.creates(table: "posts", account: "AA0001", from: start, to: afterTwo) == [first, second])
        #expect(generation.creates(table: "posts", account: "BB0002", from: start, to: afterTwo) == nil)
        // Any other write of these records (an update, a failed create, another process's) breaks the chain
        // for every span across it, not for the spans after it.
        generation.advance(CollectionOfOne(.records(table: "posts", account: "AA0001")))
        let afterUpdate = stamp()
        #expect(generation.creates(table: "posts", account: "AA0001", from: start, to: afterUpdate) == nil)
        #expect(generation.creates(table: "posts", account: "AA0001", from: afterTwo, to: afterUpdate) == nil)
        let third = WriteGeneration.Create(transaction: 703, ids: ["d"])
        generation.advance(records: "posts", account: "AA0001", by: third)
        #expect(generation.creates(table: "posts", account: "AA0001", from: afterUpdate, to: stamp()) == [third])
        #expect(generation.creates(table: "posts", account: "AA0001", from: start, to: stamp()) == nil)
        // A stamp that is not one of this footprint's (another account's create made it) starts no chain.
        #expect(generation.creates(table: "posts", account: "AA0001", from: afterTwo - 1, to: afterTwo) == nil)
        // A write of everything forgets every create before it.
        let beforeEverything = stamp()
        generation.advance(CollectionOfOne(.everything))
        generation.advance(records: "posts", account: "AA0001", by: .init(transaction: 704, ids: ["e"]))
        #expect(generation.creates(table: "posts", account: "AA0001", from: beforeEverything, to: stamp()) == nil)
        // Only the most recent creates are remembered.
        let old = stamp()
        for index in 0...WriteGeneration.createsLimit {
            generation.advance(records: "posts", account: "AA0001", by: .init(transaction: 800 + UInt64(index), ids: ["m\(index)"]))
        }
        #expect(generation.creates(table: "posts", account: "AA0001", from: old, to: stamp()) == nil)
        // While suspended nothing is remembered.
        generation.suspend()
        #expect(generation.creates(table: "posts", account: "AA0001", from: old, to: stamp()) == nil)
    }

    @Test("an expiry alone is told apart from writes: only one, with nothing written to the collection in the account since; creates after it are caught up, none across it")
    func onlyExpired() {
        let generation = WriteGeneration()
        func stamp(_ account: String = "AA0001") -> UInt64 { generation.records(table: "posts", account: account) }
        func only(_ from: UInt64, _ to: UInt64) -> Bool { generation.onlyExpired(table: "posts", account: "AA0001", from: from, to: to) }
        let s0 = stamp()
        #expect(!only(s0, s0), "no advance is not an expiry")
        generation.expire()
        let s1 = stamp()
        #expect(s1 > s0 && generation.current > s0, "the expiry makes everything stale")
        #expect(only(s0, s1))
        generation.advance(CollectionOfOne(.records(table: "posts", account: "AA0001")))
        let s2 = stamp()
        #expect(!only(s1, s2) && !only(s0, s2), "a write is not an expiry")
        generation.expire()
        let s3 = stamp()
        #expect(only(s2, s3) && !only(s1, s3) && !only(s0, s3))
        generation.expire()
        let s4 = stamp()
        #expect(only(s3, s4) && !only(s2, s4), "two expiries are more than one")
        // Writes to other collections or accounts are not writes here; a write of everything is.
        generation.advance([.records(table: "posts", account: "AA0002"), .records(table: "notes", account: "AA0001")])
        #expect(stamp() == s4)
        generation.expire()
        let s5 = stamp()
        #expect(only(s4, s5))
        generation.advance(CollectionOfOne(.everything))
        generation.expire()
        #expect(!only(s5, stamp()))
        // Suspended, nothing is remembered, so nothing is answered.
        let s6 = stamp()
        generation.expire()
        let s7 = stamp()
        generation.suspend()
        #expect(!only(s6, s7))
        generation.resume()

        // A create after an expiry is caught up from the stamp after it; creates are never bridged across one.
        let c0 = stamp()
        generation.advance(records: "posts", account: "AA0001", by: .init(transaction: 1, ids: ["rec_1"]))
        let c1 = stamp()
        generation.expire()
        let c2 = stamp()
        generation.advance(records: "posts", account: "AA0001", by: .init(transaction: 2, ids: ["rec_2"]))
        let c3 = stamp()
        #expect(generation.creates(table: "posts", account: "AA0001", from: c0, to: c1)?.map(\.ids) == [["rec_1"]])
        #expect(generation.creates(table: "posts", account: "AA0001", from: c2, to: c3)?.map(\.ids) == [["rec_2"]])
        #expect(generation.creates(table: "posts", account: "AA0001", from: c0, to: c3) == nil, "creates were bridged across an expiry")
        #expect(generation.creates(table: "posts", account: "AA0001", from: c1, to: c3) == nil, "creates were bridged across an expiry")
        #expect(!only(c1, c3))
    }

    @Test("on SQLite a batch's creates are remembered with its advance only where every job of their collection in their account committed and was a create")
    func aBatchsCreatesAreRememberedOnlyWhereTheyAreAllItWrote() async throws {
        try await TestDatabase.with(.sqlite) { database in
            let store = try #require(database as? SQLiteStore)
            let generation = try #require(database.writeGeneration)
            let collection = CollectionSchema(id: "col_1", name: "notes", description: "", fields: [FieldSchema(name: "title", type: .text)],
                                              createdAt: "2026-01-01T00:00:00.000Z", updatedAt: "2026-01-01T00:00:00.000Z")
            let here = RecordScope(account: AccountScope(.system), collection: collection)
            let there = RecordScope(account: AccountScope(try #require(AccountID("BB0002"))), collection: collection)
            enum Job { case create(String, in: RecordScope), failingCreate(String), update(in: RecordScope), everything }
            /// Runs `jobs` in one batch (a first transaction holds the writer until they all wait), and
            /// answers the creates remembered between the stamps before and after, here and there.
            func batch(_ jobs: [Job]) async throws -> (here: [WriteGeneration.Create]?, there: [WriteGeneration.Create]?) {
                func stamp(_ scope: RecordScope) -> UInt64 { generation.records(table: scope.table, account: scope.account.accountID.rawValue) }
                let started = Atomic(false), gate = Atomic(false)
                // Of another collection: the stamps taken while it holds the writer stay those before the batch.
                let holder = Task {
                    try await database.transaction(touching: .records(table: "elsewhere", account: "SY0000")) { _ in
                        started.store(true, ordering: .releasing)
                        while !gate.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(1)) }
                    }
                }
                while !started.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(1)) }
                let before = (stamp(here), stamp(there))
                let tasks = jobs.map { job in
                    Task {
                        switch job {
                        case .create(let id, let scope):
                            let carry = TotalsCarry(database.rememberedReads, scope: scope)
                            try await database.transaction(touching: carry?.footprint ?? .everything, carrying: carry) { db in try await carry?.created(id: id, on: db) }
                        case .failingCreate(let id):
                            let carry = TotalsCarry(database.rememberedReads, scope: here)
                            try await database.transaction(touching: carry?.footprint ?? .everything, carrying: carry) { db in
                                try await carry?.created(id: id, on: db)
                                throw StoreTestFailure()
                            }
                        case .update(let scope):
                            try await database.transaction(touching: .records(table: scope.table, account: scope.account.accountID.rawValue)) { _ in }
                        case .everything:
                            try await database.transaction(touching: .everything) { _ in }
                        }
                    }
                }
                while store.batcher.waiting < jobs.count { try await Task.sleep(for: .milliseconds(1)) }
                gate.store(true, ordering: .releasing)
                try await holder.value
                for task in tasks { _ = await task.result }
                return (generation.creates(table: here.table, account: "SY0000", from: before.0, to: stamp(here)),
                        generation.creates(table: there.table, account: "BB0002", from: before.1, to: stamp(there)))
            }
            // The jobs' order in the batch is the order their tasks ran in.
            let both = try await batch([.create("a", in: here), .create("b", in: here), .create("x", in: there)])
            #expect(both.here?.count == 1 && Set(both.here?.first?.ids ?? []) == ["a", "b"] && both.there == [.init(transaction: 0, ids: ["x"])])
            // An update of the same collection in the same account beside a create: not only creates.
            let updated = try await batch([.create("c", in: here), .update(in: here), .create("y", in: there)])
            #expect(updated.here == nil && updated.there == [.init(transaction: 0, ids: ["y"])])
            // A create that failed was rolled back; still, nothing is taken for granted beside it.
            let failed = try await batch([.create("d", in: here), .failingCreate("e")])
            #expect(failed.here == nil)
            // A write of anything in the batch: everything is stale, and no create is remembered.
            let everything = try await batch([.create("f", in: here), .everything])
            #expect(everything.here == nil)
        }
    }

    @Test("a stale total is caught up with the records of the creates its count's snapshot did not see, and counted again past any other write")
    func totalsAreCaughtUpPastCreates() async throws {
        let generation = WriteGeneration()
        let remembered = RememberedReads(generation: generation, totalsAfterCreates: .caughtUp)
        let key = RememberedReads.Key(query: .count, table: "posts", account: "AA0001", conditions: [], shape: [])
        let asked = Mutex<[[String]]>([])
        func total(counting value: Int, snapshot: String) async throws -> Int {
            try await remembered.total(for: key, count: { .init(value: value, snapshot: PostgresSnapshot(snapshot)) }, catchUp: { ids in
                asked.withLock { $0.append(ids) }
                return ids.filter { !$0.hasPrefix("hidden") }.count
            })
        }
        // Counted once: 10 records, in a snapshot that saw every transaction below 100 and 102, not 101 (in progress) nor 105 on.
        #expect(try await total(counting: 10, snapshot: "100:105:101") == 10)
        #expect(try await total(counting: -1, snapshot: "1:1:") == 10)
        // Creates committed since: 99 and 102 were seen by the count (they committed before it, and were
        // told after), 101 and 200 were not; of 200's two records one does not meet the conditions.
        for (transaction, ids) in [(99, ["a"]), (101, ["b"]), (102, ["c"]), (200, ["d", "hidden-e"])] as [(UInt64, [String])] {
            generation.advance(records: "posts", account: "AA0001", by: .init(transaction: transaction, ids: ids))
        }
        #expect(try await total(counting: -1, snapshot: "1:1:") == 12)
        #expect(asked.withLock { $0 } == [["b", "d", "hidden-e"]])
        #expect(remembered.totalsCounted == 1 && remembered.totalsCaughtUp == 1)
        // Remembered again: no catch-up, no count.
        #expect(try await total(counting: -1, snapshot: "1:1:") == 12)
        // Caught up once more, from where it was: only the new create is asked about, still against the count's snapshot.
        generation.advance(records: "posts", account: "AA0001", by: .init(transaction: 201, ids: ["f"]))
        #expect(try await total(counting: -1, snapshot: "1:1:") == 13)
        #expect(asked.withLock { $0.last } == ["f"])
        // Only seen creates: caught up without asking the database.
        generation.advance(records: "posts", account: "AA0001", by: .init(transaction: 50, ids: ["g"]))
        #expect(try await total(counting: -1, snapshot: "1:1:") == 13)
        #expect(asked.withLock { $0.count } == 2 && remembered.totalsCaughtUp == 3)
        // Any other write of these records: counted again.
        generation.advance(CollectionOfOne(.records(table: "posts", account: "AA0001")))
        #expect(try await total(counting: 40, snapshot: "300:300:") == 40)
        #expect(remembered.totalsCounted == 2)
        // Past the limit of records a catch-up counts: counted again.
        let many = (0...RememberedReads.catchUpLimit).map { "r\($0)" }
        generation.advance(records: "posts", account: "AA0001", by: .init(transaction: 400, ids: many))
        #expect(try await total(counting: 41, snapshot: "401:401:") == 41)
        #expect(remembered.totalsCounted == 3)
        // Where totals are carried (SQLite), a stale total is never caught up.
        let carried = RememberedReads(generation: generation, totalsAfterCreates: .carried)
        _ = try await carried.total(for: key, count: { .init(value: 1, snapshot: PostgresSnapshot("1:1:")) }, catchUp: { _ in 100 })
        generation.advance(records: "posts", account: "AA0001", by: .init(transaction: 500, ids: ["z"]))
        #expect(try await carried.total(for: key, count: { .init(value: 2, snapshot: nil) }, catchUp: { _ in 100 }) == 2)
    }

    /// Totals of one key counted slowly, each count noting that it started.
    final class SlowCounts: Sendable {
        let generation = WriteGeneration()
        let remembered: RememberedReads
        let started = Atomic(0)
        init() { remembered = RememberedReads(generation: generation, totalsAfterCreates: .caughtUp) }
        func total(counting value: Int, delay: Duration) async throws -> Int {
            let key = RememberedReads.Key(query: .count, table: "posts", account: "AA0001", conditions: [], shape: [])
            return try await remembered.total(for: key, count: {
                started.add(1, ordering: .relaxed)
                try await Task.sleep(for: delay)
                return .init(value: value, snapshot: PostgresSnapshot("100:100:"))
            }, catchUp: { ids in ids.count })
        }
    }

    @Test("a count under way when this process's creates commit is waited for and caught up by the lists after them; after any other write they count for themselves")
    func aCountUnderWayIsJoinedAcrossCreates() async throws {
        let counts = SlowCounts()
        let generation = counts.generation, remembered = counts.remembered
        for (other, expected) in [(false, 11), (true, 77)] {
            if other { generation.advance(CollectionOfOne(.everything)) }
            let countedBefore = remembered.totalsCounted, startedBefore = counts.started.load(ordering: .relaxed)
            let slow = Task { try await counts.total(counting: 10, delay: .milliseconds(300)) }
            while counts.started.load(ordering: .relaxed) == startedBefore { try await Task.sleep(for: .milliseconds(1)) }
            // Committed while the count runs, and not seen by it (transaction 150 is past its snapshot's xmax).
            generation.advance(records: "posts", account: "AA0001", by: .init(transaction: 150, ids: ["n"]))
            if other { generation.advance(CollectionOfOne(.records(table: "posts", account: "AA0001"))) }
            let after = try await counts.total(counting: 77, delay: .milliseconds(1))
            #expect(try await slow.value == 10)
            #expect(after == expected, "other write: \(other)")
            #expect(remembered.totalsCounted - countedBefore == (other ? 2 : 1), "other write: \(other)")
        }
    }

    @Test("a PostgreSQL snapshot sees a committed transaction below xmin, or below xmax and not in progress; bad text is no snapshot")
    func snapshotVisibility() throws {
        let snapshot = try #require(PostgresSnapshot("100:105:101,103"))
        #expect(snapshot.sees(committed: 99) && snapshot.sees(committed: 100) && snapshot.sees(committed: 102) && snapshot.sees(committed: 104))
        #expect(!snapshot.sees(committed: 101) && !snapshot.sees(committed: 103) && !snapshot.sees(committed: 105) && !snapshot.sees(committed: 9000))
        let empty = try #require(PostgresSnapshot("7:7:"))
        #expect(empty.sees(committed: 6) && !empty.sees(committed: 7))
        for bad in ["", "1:2", "5:4:", "1:5:9", "1:5:x", "a:b:", "1:5:2,", "-1:5:"] {
            #expect(PostgresSnapshot(bad) == nil, "\(bad)")
        }
    }
}

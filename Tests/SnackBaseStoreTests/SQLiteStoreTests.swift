import Foundation
import SQLKit
import SnackBaseStore
import SnackBaseTesting
import Testing

/// SQLiteStore's own shortcuts must not change an answer: statements are prepared once and kept,
/// reads take a connection of their own, transactions share commits, and the WAL is copied back
/// beside the writer.
@Suite struct SQLiteStoreTests {
    // MARK: SQLite statement cache

    @Test func cachedStatementFollowsSchemaChanges() async throws {
        try await TestDatabase.with(.sqlite) { database in
            try await database.transaction { db in
                try await db.raw("CREATE TABLE t (id TEXT PRIMARY KEY, a TEXT, b TEXT)").run()
                try await db.raw("INSERT INTO t (id, a, b) VALUES (\(bind: "1"), \(bind: "A"), \(bind: "B"))").run()
            }
            for _ in 0..<3 {
                let row = try #require(try await database.read { db in try await db.raw("SELECT * FROM t").first() })
                #expect(try row.decode(column: "a", as: String.self) == "A")
            }
            // Same number of columns, different names: the cached statement's names must not be reused.
            try await database.transaction { db in
                try await db.raw("ALTER TABLE t DROP COLUMN a").run()
                try await db.raw("ALTER TABLE t ADD COLUMN c TEXT").run()
                try await db.raw("UPDATE t SET c = \(bind: "C")").run()
            }
            for _ in 0..<3 {
                let row = try #require(try await database.read { db in try await db.raw("SELECT * FROM t").first() })
                #expect(!row.contains(column: "a"))
                #expect(row.allColumns == ["id", "b", "c"])
                #expect(try row.decode(column: "b", as: String.self) == "B")
                #expect(try row.decode(column: "c", as: String.self) == "C")
            }
        }
    }

    @Test func boundValuesRoundTripAndConstraintsReport() async throws {
        try await TestDatabase.with(.sqlite) { database in
            let hostile = "x'); DROP TABLE t; -- \u{00e9}\u{1F600}"
            try await database.transaction { db in
                try await db.raw("CREATE TABLE t (id TEXT PRIMARY KEY, v TEXT, n REAL, i INTEGER)").run()
                try await db.raw("INSERT INTO t (id, v, n, i) VALUES (\(bind: "1"), \(bind: hostile), \(bind: 2.5), \(bind: 7))").run()
                try await db.raw("INSERT INTO t (id, v) VALUES (\(bind: "2"), NULL)").run()
            }
            let rows = try await database.read { db in try await db.raw("SELECT * FROM t ORDER BY id").all() }
            #expect(rows.count == 2)
            #expect(try rows[0].decode(column: "v", as: String.self) == hostile)
            #expect(try rows[0].decode(column: "n", as: Double.self) == 2.5)
            #expect(try rows[0].decode(column: "i", as: Int.self) == 7)
            #expect(try rows[1].decode(column: "v", as: String?.self) == nil)
            #expect(try rows[1].decodeNil(column: "n"))
            await #expect(throws: (any Error).self) { try rows[0].decode(column: "missing", as: String.self) }

            let duplicate = await #expect(throws: (any Error).self) {
                try await database.transaction { db in try await db.raw("INSERT INTO t (id) VALUES (\(bind: "1"))").run() }
            }
            #expect(duplicate.map(isUniqueViolation) == true)
            // The failed transaction rolled back and the connection is usable.
            let count = try await database.read { db in try await db.raw("SELECT COUNT(*) AS n FROM t").first()?.decode(column: "n", as: Int.self) }
            #expect(count == 2)
        }
    }

    /// A transaction whose savepoint journal outgrows memory spills it to a file, and must still
    /// commit. SQLite's unix VFS writes at most 128 KiB - 1 bytes per system call; with a spill
    /// threshold (and so an in-memory journal block) of 256 KiB, the first block's write came back
    /// short and SQLite called the disk full: every write that changed more than 64 existing pages
    /// (a 50,000-line import, an update of a large record) failed with 507 and rolled back.
    @Test func aWriteWhoseJournalSpillsToAFileCommits() async throws {
        try await TestDatabase.with(.sqlite) { database in
            let text = String(repeating: "x", count: 400)
            try await database.transaction { db in
                try await db.raw("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)").run()
                for id in 0..<2_000 { try await db.raw("INSERT INTO t (id, v) VALUES (\(bind: id), \(bind: text))").run() }
            }
            // About 200 existing pages changed in one transaction: some 800 KiB of savepoint journal.
            try await database.transaction { db in
                try await db.raw("UPDATE t SET v = \(bind: text + "y")").run()
            }
            let changed = try await database.read { db in
                try await db.raw("SELECT COUNT(*) AS n FROM t WHERE v = \(bind: text + "y")").first()?.decode(column: "n", as: Int.self)
            }
            #expect(changed == 2_000)
        }
    }

    @Test func concurrentReadsEachGetTheirOwnConnection() async throws {
        try await TestDatabase.with(.sqlite) { database in
            try await database.transaction { db in
                try await db.raw("CREATE TABLE t (id INTEGER PRIMARY KEY)").run()
                for id in 0..<100 { try await db.raw("INSERT INTO t (id) VALUES (\(bind: id))").run() }
            }
            let sums = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<64 {
                    group.addTask {
                        try await database.read { db in
                            try await db.raw("SELECT SUM(id) AS s FROM t").first()?.decode(column: "s", as: Int.self) ?? -1
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(sums.count == 64)
            #expect(sums.allSatisfy { $0 == 4950 })
        }
    }

    // MARK: group commit

    /// SQLite's transactions share commits (WriteBatcher); each must still commit or fail alone.
    @Test func concurrentTransactionsCommitOrFailEachOnTheirOwn() async throws {
        try await TestDatabase.with(.sqlite) { database in
            try await database.transaction { db in try await db.raw("CREATE TABLE t (id INTEGER PRIMARY KEY)").run() }
            let outcomes = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
                for id in 0..<200 {
                    group.addTask {
                        do {
                            try await database.transaction { db in
                                try await db.raw("INSERT INTO t (id) VALUES (\(bind: id))").run()
                                if id % 3 == 0 { throw TestFailure("refused after writing") }
                                if id % 7 == 0 { try await db.raw("INSERT INTO t (id) VALUES (\(bind: id))").run() }
                            }
                            return (id, true)
                        } catch {
                            return (id, false)
                        }
                    }
                }
                return try await group.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
            }
            let stored = try await database.read { db in
                try await db.raw("SELECT id FROM t").all().map { try $0.decode(column: "id", as: Int.self) }
            }
            let expected = Set((0..<200).filter { $0 % 3 != 0 && $0 % 7 != 0 })
            #expect(Set(stored) == expected)
            #expect(Set(outcomes.filter(\.value).map(\.key)) == expected)
            #expect(stored.count == expected.count)
        }
    }

    // MARK: checkpoints

    @Test func theWALIsCopiedBackAndStartsOverWhileWritesGoOn() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("snackbase-wal-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let database = try await SQLiteStore(path: folder + "/data.db", logger: TestDatabase.logger, checkpointFrames: 20)
        try await database.transaction { db in try await db.raw("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)").run() }
        // 1,000 transactions of a 1 KiB row each write some 1,000 pages: far more than 20.
        let value = String(repeating: "x", count: 1024)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<4 {
                group.addTask {
                    for index in 0..<250 {
                        try await database.transaction { db in
                            try await db.raw("INSERT INTO t (id, v) VALUES (\(bind: worker * 1000 + index), \(bind: value))").run()
                        }
                        let rows = try await database.read { db in try await db.raw("SELECT count(*) AS n FROM t").first() }
                        #expect(try rows?.decode(column: "n", as: Int.self) ?? 0 >= index + 1)
                    }
                }
            }
            try await group.waitForAll()
        }
        let walBytes = try FileManager.default.attributesOfItem(atPath: folder + "/data.db-wal")[.size] as? Int ?? 0
        // Without checkpoints the WAL would hold every page written (about 4 MiB); started over, it stays short.
        #expect(walBytes < 1 << 20, "WAL is \(walBytes) bytes")
        let count = try await database.read { db in try await db.raw("SELECT count(*) AS n FROM t").first() }
        #expect(try count?.decode(column: "n", as: Int.self) == 1000)
        await database.shutdown()
        // Everything written is in the database file or the WAL: a new process reads it all.
        let reopened = try await SQLiteStore(path: folder + "/data.db", logger: TestDatabase.logger)
        let again = try await reopened.read { db in try await db.raw("SELECT count(*) AS n, sum(length(v)) AS bytes FROM t").first() }
        #expect(try again?.decode(column: "n", as: Int.self) == 1000 && again?.decode(column: "bytes", as: Int.self) == 1_024_000)
        await reopened.shutdown()
    }
}

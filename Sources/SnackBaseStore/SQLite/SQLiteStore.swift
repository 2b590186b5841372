import Logging
import NIOCore
import NIOPosix
import SQLKit
import Synchronization

/// SQLite in WAL mode: one write connection that transactions take in turn, and read connections
/// for plain reads (WAL lets readers run beside the writer and see only committed data).
/// Statements run on the calling thread through ``SQLiteLink`` (prepared once, no thread hop).
public final class SQLiteStore: Database {
    public let kind = DatabaseKind.sqlite
    public let writeGeneration: WriteGeneration?
    public let rememberedReads: RememberedReads?
    private let writer: SQLiteLink
    private let readers: SQLiteReaderPool
    private let batcher: WriteBatcher
    private let checkpointer: WALCheckpointer
    private let logger: Logger
    private let eventLoop: any EventLoop

    /// `checkpointFrames`: the WAL's length, in pages, at which it is copied back into the database
    /// (see ``WALCheckpointer``; tests make it short). `writerExecutor`: where the writer runs its
    /// batches (the server's only event loop when it has one, see ``EventLoopExecutor``); nil: Swift's
    /// global executor.
    public init(path: String, logger: Logger, checkpointFrames: Int = WALCheckpointer.defaultFrames,
                writerExecutor: (any TaskExecutor)? = nil) async throws {
        self.logger = logger
        self.eventLoop = MultiThreadedEventLoopGroup.singleton.any()
        writer = try SQLiteLink(path: path, readOnly: false)
        for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON", "PRAGMA busy_timeout=5000"] {
            try writer.run(pragma, []) { _ in }
        }
        writer.countWALFrames()
        let generation = WriteGeneration()
        writeGeneration = generation
        rememberedReads = RememberedReads(generation: generation)
        checkpointer = try WALCheckpointer(path: path, frames: checkpointFrames, logger: logger)
        batcher = WriteBatcher(writer: writer, generation: generation, checkpointer: checkpointer, executor: writerExecutor)
        readers = SQLiteReaderPool(path: path)
        // Open one reader now so that a database the process cannot read fails the start.
        try readers.withLink { _ in }
    }

    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let db = SQLiteLinkDatabase(target: .writer(writer), logger: logger, eventLoop: eventLoop)
        let value = try await batcher.submit { try await body(db) }
        guard let value = value as? T else { throw SQLiteFailure(code: SQLITE_INTERNAL_CODE, message: "transaction result of the wrong type") }
        return value
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await body(SQLiteLinkDatabase(target: .readers(readers), logger: logger, eventLoop: eventLoop))
    }

    public func ping() async -> Bool {
        (try? readers.withLink { try $0.run("SELECT 1", []) { _ in } }) != nil
    }

    public func shutdown() async {
        await batcher.close()
        await checkpointer.close()
        writer.close()
        readers.close()
    }
}

private let SQLITE_INTERNAL_CODE: Int32 = 2

/// Group commit: the transactions that arrive while one batch is being written are run together
/// in the next batch, one after another, each inside its own savepoint, under a single
/// `BEGIN IMMEDIATE … COMMIT`. A transaction that throws is rolled back to its savepoint and
/// fails alone; the others of its batch commit. Every caller is answered only after the COMMIT
/// of its batch (or with the error that ended it), so an answer still means "durable as
/// configured", exactly as with one commit per transaction, but a burst of writes pays for the
/// commit (WAL frames and checkpoints) once instead of once per write.
final class WriteBatcher: Sendable {
    private struct Job: Sendable {
        let body: @Sendable () async throws -> any Sendable
        let answer: CheckedContinuation<any Sendable, any Error>
    }
    private struct State {
        var pending: [Job] = []
        var writing = false
        var closed = false
        var idle: [CheckedContinuation<Void, Never>] = []
    }

    /// At most this many transactions share one commit, so an answer never waits for an unbounded queue.
    static let batchLimit = 64
    private let writer: SQLiteLink
    private let generation: WriteGeneration
    private let checkpointer: WALCheckpointer
    private let executor: (any TaskExecutor)?
    private let state = Mutex(State())

    init(writer: SQLiteLink, generation: WriteGeneration, checkpointer: WALCheckpointer, executor: (any TaskExecutor)?) {
        self.writer = writer
        self.generation = generation
        self.checkpointer = checkpointer
        self.executor = executor
    }

    func submit(_ body: @escaping @Sendable () async throws -> any Sendable) async throws -> any Sendable {
        try await withCheckedThrowingContinuation { answer in
            let start = state.withLock { state -> Bool? in
                guard !state.closed else { return nil }
                state.pending.append(Job(body: body, answer: answer))
                if state.writing { return false }
                state.writing = true
                return true
            }
            switch start {
            case nil: answer.resume(throwing: SQLiteFailure(code: 21, message: "database closed"))
            case true?: Task(executorPreference: executor) { await self.writeBatches() }
            case false?: break
            }
        }
    }

    /// Waits for the batch being written and refuses new transactions.
    func close() async {
        await withCheckedContinuation { done in
            let finished = state.withLock { state -> Bool in
                state.closed = true
                if state.writing { state.idle.append(done); return false }
                return true
            }
            if finished { done.resume() }
        }
    }

    private func writeBatches() async {
        while true {
            let batch = state.withLock { state -> [Job] in
                let batch = Array(state.pending.prefix(Self.batchLimit))
                state.pending.removeFirst(batch.count)
                if batch.isEmpty { state.writing = false }
                return batch
            }
            if batch.isEmpty {
                for done in state.withLock({ state in defer { state.idle.removeAll() }; return state.idle }) { done.resume() }
                return
            }
            checkpointer.finishIfCopied(on: writer)
            let results = await write(batch)
            // Before anyone is answered: whatever is read from now on includes this batch.
            generation.advance()
            for (job, result) in zip(batch, results) {
                job.answer.resume(with: result)
            }
            checkpointer.committed(framesInWAL: writer.framesInWAL)
        }
    }

    /// Runs the jobs in one transaction; returns each job's outcome once the transaction has ended.
    private func write(_ batch: [Job]) async -> [Result<any Sendable, any Error>] {
        do {
            try writer.run("BEGIN IMMEDIATE", []) { _ in }
        } catch {
            return batch.map { _ in .failure(error) }
        }
        var results: [Result<any Sendable, any Error>] = []
        for job in batch {
            do {
                try writer.run("SAVEPOINT snackbase_job", []) { _ in }
            } catch {
                return abandon(batch, error)
            }
            do {
                let value = try await job.body()
                try writer.run("RELEASE snackbase_job", []) { _ in }
                results.append(.success(value))
            } catch {
                do {
                    try writer.run("ROLLBACK TO snackbase_job", []) { _ in }
                    try writer.run("RELEASE snackbase_job", []) { _ in }
                } catch let rollback {
                    // The savepoint could not be undone on its own: nothing of the batch may commit.
                    return abandon(batch, rollback)
                }
                results.append(.failure(error))
            }
        }
        do {
            try writer.run("COMMIT", []) { _ in }
        } catch {
            return abandon(batch, error)
        }
        return results
    }

    /// Rolls the whole batch back; every job fails with `error` (none of them committed).
    private func abandon(_ batch: [Job], _ error: any Error) -> [Result<any Sendable, any Error>] {
        try? writer.run("ROLLBACK", []) { _ in }
        return batch.map { _ in .failure(error) }
    }
}

/// Copies the WAL back into the database file (a checkpoint) once it is `frames` pages long, on a
/// connection and a thread of its own, so that the copy and its fsync never hold up a write.
/// SQLite's automatic checkpoint runs in the committing connection, after the commit: every write
/// waited behind it (20–60 ms each time, most of S3's p99). 10,000 pages (40 MiB) rather than
/// SQLite's 1,000: record writes keep changing the same index pages, so fewer copies write far
/// fewer pages and fsync less often; readers find a page in a long WAL through its hash index.
///
/// A checkpoint beside the writer cannot copy what is written while it runs, and the WAL only
/// starts over once all of it is copied. So the checkpoint copies in rounds, each one what was written
/// during the one before, until a round finds at most ``settledFrames`` new pages; then the writer
/// copies the last few itself, between two batches (``finishIfCopied(on:)``, nothing else writing),
/// and its next transaction starts the WAL over. In one round, the writer's part was everything
/// written while the whole WAL was copied — up to 20 ms with the WAL's and the database's fsync, every
/// write of the server waiting behind it (S3: 0.22 s of 13; in rounds 0.03 s, at most 4 ms).
public final class WALCheckpointer: Sendable {
    public static let defaultFrames = 10_000
    /// A round that copied at most this many pages ends the checkpoint.
    static let settledFrames = 50
    /// Under a write load that outruns the copy, the checkpoint stops after this many rounds anyway.
    static let maxRounds = 8
    private struct State {
        var running = false
        var copied = false
        var closed = false
        var idle: [CheckedContinuation<Void, Never>] = []
    }
    private let frames: Int
    private let link: SQLiteLink
    private let logger: Logger
    private let state = Mutex(State())

    init(path: String, frames: Int, logger: Logger) throws {
        self.frames = frames
        self.logger = logger
        link = try SQLiteLink(path: path, readOnly: false)
        try link.run("PRAGMA busy_timeout=5000", []) { _ in }
    }

    /// Called by the writer after each batch with the WAL's length: starts a checkpoint when the
    /// WAL is long and none is running or waiting for the writer's part.
    func committed(framesInWAL: Int) {
        guard framesInWAL >= frames else { return }
        let start = state.withLock { state in
            guard !state.running, !state.copied, !state.closed else { return false }
            state.running = true
            return true
        }
        if start { NIOThreadPool.singleton.submit { _ in self.checkpoint() } }
    }

    /// The writer's part, between two batches: after a checkpoint has finished, copies what was
    /// written while it ran (a PASSIVE checkpoint on the writer's connection).
    func finishIfCopied(on writer: SQLiteLink) {
        let copied = state.withLock { state in
            defer { state.copied = false }
            return state.copied
        }
        guard copied else { return }
        do {
            try writer.run("PRAGMA wal_checkpoint(PASSIVE)", []) { _ in }
        } catch {
            logger.warning("WAL checkpoint failed", metadata: ["error": "\(error)"])
        }
    }

    private func checkpoint() {
        do {
            // `wal_checkpoint` answers (busy, pages in the WAL, pages copied so far).
            var copiedBefore = 0
            for _ in 0..<Self.maxRounds {
                var copied = copiedBefore
                try link.run("PRAGMA wal_checkpoint(PASSIVE)", []) { row in
                    if row.values.count == 3, case .integer(let pages) = row.values[2] { copied = pages }
                }
                let thisRound = copied - copiedBefore
                copiedBefore = copied
                if thisRound <= Self.settledFrames { break }
            }
        } catch {
            logger.warning("WAL checkpoint failed", metadata: ["error": "\(error)"])
        }
        let waiting = state.withLock { state in
            state.running = false
            state.copied = true
            defer { state.idle.removeAll() }
            return state.idle
        }
        for done in waiting { done.resume() }
    }

    /// Waits for a running checkpoint and closes the connection.
    func close() async {
        await withCheckedContinuation { done in
            let now = state.withLock { state in
                state.closed = true
                if state.running { state.idle.append(done) }
                return !state.running
            }
            if now { done.resume() }
        }
        link.close()
    }
}

/// Read connections, each used by one statement at a time: a statement takes an idle one (or
/// opens another when all are busy, which happens only when more threads read at once than ever
/// before) and gives it back when done. No caller ever waits for another's query.
final class SQLiteReaderPool: Sendable {
    private let path: String
    private let idle = Mutex<[SQLiteLink]>([])
    private let closed = Atomic<Bool>(false)

    init(path: String) {
        self.path = path
    }

    func withLink<T>(_ body: (SQLiteLink) throws -> T) throws -> T {
        let link = try idle.withLock { $0.popLast() } ?? open()
        defer { giveBack(link) }
        return try body(link)
    }

    private func open() throws -> SQLiteLink {
        guard !closed.load(ordering: .acquiring) else { throw SQLiteFailure(code: 21, message: "database closed") }
        let link = try SQLiteLink(path: path, readOnly: false)
        // A read connection's page cache is 512 KiB (SQLite's default is 2 MiB for each): the pages
        // that requests share stay cached, the rest come from the OS's file cache, and the process
        // stops growing once these few caches are full (see Benchmarks/soak).
        for pragma in ["PRAGMA busy_timeout=5000", "PRAGMA query_only=ON", "PRAGMA cache_size=-512"] {
            try link.run(pragma, []) { _ in }
        }
        return link
    }

    private func giveBack(_ link: SQLiteLink) {
        if closed.load(ordering: .acquiring) {
            link.close()
        } else {
            idle.withLock { $0.append(link) }
        }
    }

    func close() {
        closed.store(true, ordering: .releasing)
        for link in idle.withLock({ links in defer { links.removeAll() }; return links }) {
            link.close()
        }
    }
}

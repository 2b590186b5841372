import PostgresNIO
import SQLKit
import Synchronization

/// Group commit for the creates of one collection in one account on PostgreSQL: the creates that
/// arrive while ``lanes`` transactions of that collection and account are under way run together in
/// the next one, one after another, under one `COMMIT` (``PostgresStore/writeCreates(_:of:footprint:)``).
///
/// Why: on PostgreSQL a create costs this process more than its work: each statement is a message
/// out and an answer in, through PostgresNIO's channel and the event loop (about a quarter of the
/// server's CPU in S3's profile). A create alone is five statements (`BEGIN`, the opening `SELECT`,
/// the `INSERT`, the audit append, `COMMIT`); in a transaction of several, a create adds its `INSERT`
/// and its part of one statement that makes all the appends. And every write of an account appends to
/// its audit chain under the chain's lock, held from the append to the end of the commit (the flush of
/// the WAL included): one flush per transaction, not per create.
///
/// What stays as it was: each create is answered only after the `COMMIT` of its transaction, so an
/// answer still means durable; the creates of a transaction are appended to the chain in their order,
/// and the appends are its last statement before the `COMMIT` (``PostgresSession/Opening/defersAppends``),
/// so the chain's lock is never held while a create runs (which could then wait for a row another
/// transaction holds while that one waits for the lock). When any create of a transaction of several
/// fails, nothing of it committed, and each of its creates runs again alone, to its own answer. A
/// transaction holds one create when no other waits, and is then exactly the transaction it was.
final class CreateBatcher: Sendable {
    struct Key: Hashable, Sendable {
        let table: String
        let account: String
    }

    /// A create's answer: its value and the id of the transaction that committed it.
    typealias Outcome = (value: any Sendable, transaction: UInt64?)

    /// A create's transaction body.
    typealias Body = @Sendable (any SQLDatabase) async throws -> any Sendable

    private struct Job: Sendable {
        let body: Body
        let answer: CheckedContinuation<Outcome, any Error>
    }

    private struct Queue {
        var pending: [Job] = []
        var writing = 0
    }

    /// Transactions of one collection and account under way at once: their creates run side by side on
    /// as many connections, and each one's appends and commit wait for the one before.
    static let lanes = 4
    /// At most this many creates share one commit, so an answer never waits for an unbounded queue.
    static let batchLimit = 32

    /// Runs `bodies` in one transaction and answers each one's outcome, in their order, once it has ended.
    typealias Writer = @Sendable (_ key: Key, _ bodies: [Body]) async -> [Result<Outcome, any Error>]

    private let queues = Mutex<[Key: Queue]>([:])
    /// The largest transaction written so far, in creates (for tests: batches do form under load).
    private let largest = Atomic<Int>(0)

    /// Where the lanes run: the one event loop when the server has one (as SQLite's writer), else the global executor.
    private let executor: (any TaskExecutor)?

    init(executor: (any TaskExecutor)? = nil) {
        self.executor = executor
    }

    var largestBatch: Int { largest.load(ordering: .relaxed) }

    /// Runs `body` in the next transaction of `key`'s creates; a lane this starts writes with `writer`.
    func submit(
        _ key: Key, writer: @escaping Writer, _ body: @escaping Body
    ) async throws -> Outcome {
        try await withCheckedThrowingContinuation { answer in
            let start = queues.withLock { queues -> Bool in
                queues[key, default: Queue()].pending.append(Job(body: body, answer: answer))
                guard queues[key]!.writing < Self.lanes else { return false }
                queues[key]!.writing += 1
                return true
            }
            if start { Task(executorPreference: executor) { await self.write(key, writer) } }
        }
    }

    /// One lane: takes what waits, writes it, answers, until nothing waits.
    private func write(_ key: Key, _ writer: Writer) async {
        while true {
            let batch = queues.withLock { queues -> [Job] in
                guard var queue = queues[key] else { return [] }
                let batch = Array(queue.pending.prefix(Self.batchLimit))
                queue.pending.removeFirst(batch.count)
                if batch.isEmpty { queue.writing -= 1 }
                queues[key] = queue.writing == 0 && queue.pending.isEmpty ? nil : queue
                return batch
            }
            guard !batch.isEmpty else { return }
            largest.max(batch.count)
            let results = await writer(key, batch.map(\.body))
            for (job, result) in zip(batch, results) {
                job.answer.resume(with: result)
            }
        }
    }
}

private extension Atomic<Int> {
    func max(_ value: Int) {
        var current = load(ordering: .relaxed)
        while current < value {
            let (exchanged, original) = compareExchange(expected: current, desired: value, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }
}

import Synchronization

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
        let footprint: WriteGeneration.Footprint
        let carry: TotalsCarry?
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

    func submit(touching footprint: WriteGeneration.Footprint, carrying carry: TotalsCarry?, _ body: @escaping @Sendable () async throws -> any Sendable) async throws -> any Sendable {
        try await withCheckedThrowingContinuation { answer in
            let start = state.withLock { state -> Bool? in
                guard !state.closed else { return nil }
                state.pending.append(Job(body: body, footprint: footprint, carry: carry, answer: answer))
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

    /// How many transactions wait for the next batch (for tests).
    var waiting: Int { state.withLock { $0.pending.count } }

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
            // Before anyone is answered: whatever is read from now on includes this batch (each job's
            // footprint, whether it committed or not), and where it only inserted records, which.
            generation.advance(batch.lazy.map(\.footprint), creates: creates(batch, results))
            carryTotals(batch, results)
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
                    // A full disk makes SQLite roll the whole transaction back itself, so the savepoint
                    // is gone: the batch fails with the cause, which the API answers 507.
                    // The job that failed is answered with its own error, the others with the rollback's.
                    var failed = abandon(batch, isStorageFull(error) ? error : rollback)
                    failed[results.count] = .failure(error)
                    return failed
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

    /// The records the batch's creates inserted in each collection in each account where every job of
    /// the batch that wrote there was a create (it carries) and committed, so that the remembered
    /// first pages made stale only by them can be brought up to date (``RememberedReads``). None when
    /// any job of the batch may have written anything else.
    private func creates(_ batch: [Job], _ results: [Result<any Sendable, any Error>]) -> [WriteGeneration.Records: WriteGeneration.Create] {
        guard batch.contains(where: { $0.carry != nil }), !batch.contains(where: { $0.footprint == .everything }) else { return [:] }
        var inserted: [WriteGeneration.Records: [String]] = [:]
        var otherwise: Set<WriteGeneration.Records> = []
        for (job, result) in zip(batch, results) {
            guard case .records(let table, let account) = job.footprint else { continue }
            let records = WriteGeneration.Records(table: table, account: account)
            if case .success = result, let carry = job.carry {
                inserted[records, default: []].append(contentsOf: carry.insertedIDs)
            } else {
                otherwise.insert(records)
            }
        }
        return inserted.filter { !otherwise.contains($0.key) && !$0.value.isEmpty }.mapValues { .init(transaction: 0, ids: $0) }
    }

    /// After a batch was written and the generation advanced, before anyone is answered: the totals
    /// the creates of one collection in one account carry to the new generation (``TotalsCarry``),
    /// when every job of that collection and account that committed carried. A job that failed was
    /// rolled back to its savepoint (or the whole batch was, and every job failed), so it changed
    /// nothing. Nothing is carried when any job of the batch may have written anything else.
    private func carryTotals(_ batch: [Job], _ results: [Result<any Sendable, any Error>]) {
        guard batch.contains(where: { $0.carry != nil }), !batch.contains(where: { $0.footprint == .everything }) else { return }
        var jobs: [WriteGeneration.Footprint: [(carry: TotalsCarry?, committed: Bool)]] = [:]
        for (job, result) in zip(batch, results) {
            let committed = if case .success = result { true } else { false }
            jobs[job.footprint, default: []].append((job.carry, committed))
        }
        for (footprint, jobs) in jobs {
            guard case .records(let table, let account) = footprint else { continue }
            let committed = jobs.filter(\.committed)
            let carries = committed.compactMap(\.carry)
            guard !carries.isEmpty, carries.count == committed.count else { continue }
            TotalsCarry.carry(carries, to: generation.records(table: table, account: account))
        }
    }

    /// Rolls the whole batch back; every job fails with `error` (none of them committed).
    private func abandon(_ batch: [Job], _ error: any Error) -> [Result<any Sendable, any Error>] {
        try? writer.run("ROLLBACK", []) { _ in }
        return batch.map { _ in .failure(error) }
    }
}

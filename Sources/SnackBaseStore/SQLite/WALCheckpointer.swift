import SQLiteNIO
import Logging
import NIOPosix
import Synchronization

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
///
/// The WAL starts over only if no reader still reads frames of it when that next transaction writes
/// (a reader that began before the writer's part). When one did, the writer's part is done again
/// before the next batch (it copies that batch's few pages), at most ``restartAttempts`` times, until
/// the WAL has started over: one chance per checkpoint left the WAL growing by a whole length each
/// time it was missed under a steady read load.
public final class WALCheckpointer: Sendable {
    public static let defaultFrames = 10_000
    /// A round that copied at most this many pages ends the checkpoint.
    static let settledFrames = 50
    /// Under a write load that outruns the copy, the checkpoint stops after this many rounds anyway.
    static let maxRounds = 8
    /// How many times the writer's part is done for one checkpoint while the WAL does not start over.
    static let restartAttempts = 16
    private struct State {
        var running = false
        var copied = false
        var closed = false
        /// After the writer's part: the WAL's length then, and how many times it was done for this checkpoint.
        var restart: (framesAtFinish: Int, attempts: Int)?
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
        let start = state.withLock { state in
            if let restart = state.restart {
                // Started over, the WAL holds only what the batch after the writer's part wrote; else it grew.
                if framesInWAL < restart.framesAtFinish || restart.attempts >= Self.restartAttempts {
                    state.restart = nil
                } else {
                    state.copied = true
                    return false
                }
            }
            guard framesInWAL >= frames, !state.running, !state.copied, !state.closed else { return false }
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
        let frames = writer.framesInWAL
        state.withLock { state in
            state.restart = (framesAtFinish: frames, attempts: (state.restart?.attempts ?? 0) + 1)
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

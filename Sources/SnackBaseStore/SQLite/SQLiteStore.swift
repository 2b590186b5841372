import Logging
import NIOCore
import NIOPosix
import SQLKit

/// SQLite in WAL mode: one write connection that transactions take in turn, and read connections
/// for plain reads (WAL lets readers run beside the writer and see only committed data).
/// Statements run on the calling thread through ``SQLiteLink`` (prepared once, no thread hop).
public final class SQLiteStore: Database {
    public let kind = DatabaseKind.sqlite
    public let writeGeneration: WriteGeneration?
    public let rememberedReads: RememberedReads?
    private let writer: SQLiteLink
    private let readers: SQLiteReaderPool
    let batcher: WriteBatcher
    private let checkpointer: WALCheckpointer
    private let logger: Logger
    private let eventLoop: any EventLoop
    /// The database file (for `VACUUM INTO`, which needs a connection that may write).
    public let path: String

    /// `checkpointFrames`: the WAL's length, in pages, at which it is copied back into the database
    /// (see ``WALCheckpointer``; tests make it short). `writerExecutor`: where the writer runs its
    /// batches (the server's only event loop when it has one, see ``EventLoopExecutor``); nil: Swift's
    /// global executor.
    public init(path: String, logger: Logger, checkpointFrames: Int = WALCheckpointer.defaultFrames,
                writerExecutor: (any TaskExecutor)? = nil) async throws {
        self.logger = logger
        self.path = path
        self.eventLoop = MultiThreadedEventLoopGroup.singleton.any()
        writer = try SQLiteLink(path: path, readOnly: false)
        for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON", "PRAGMA busy_timeout=5000"] {
            try writer.run(pragma, []) { _ in }
        }
        writer.countWALFrames()
        let generation = WriteGeneration()
        writeGeneration = generation
        // Every column sorts text by the `BINARY` collation, which compares its UTF-8 bytes.
        rememberedReads = RememberedReads(generation: generation, totalsAfterCreates: .carried, textSortsBytewise: true)
        checkpointer = try WALCheckpointer(path: path, frames: checkpointFrames, logger: logger)
        batcher = WriteBatcher(writer: writer, generation: generation, checkpointer: checkpointer, executor: writerExecutor)
        readers = SQLiteReaderPool(path: path)
        // Open one reader now so that a database the process cannot read fails the start.
        try readers.withLink { _ in }
    }

    public func transaction<T: Sendable>(
        touching footprint: WriteGeneration.Footprint, carrying carry: TotalsCarry?, _ body: @escaping @Sendable (any SQLDatabase) async throws -> T
    ) async throws -> T {
        let db = SQLiteLinkDatabase(target: .writer(writer), logger: logger, eventLoop: eventLoop)
        // A carry only for the collection and account the transaction says it writes.
        let carry = carry.flatMap { $0.footprint == footprint ? $0 : nil }
        let value = try await batcher.submit(touching: footprint, carrying: carry) { try await body(db) }
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

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
    private let writer: SQLiteLink
    private let readers: SQLiteReaderPool
    private let gate = SerialGate()
    private let logger: Logger
    private let eventLoop: any EventLoop

    public init(path: String, logger: Logger) async throws {
        self.logger = logger
        self.eventLoop = MultiThreadedEventLoopGroup.singleton.any()
        writer = try SQLiteLink(path: path, readOnly: false)
        for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON", "PRAGMA busy_timeout=5000"] {
            try writer.run(pragma, []) { _ in }
        }
        readers = SQLiteReaderPool(path: path)
        // Open one reader now so that a database the process cannot read fails the start.
        try readers.withLink { _ in }
    }

    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let writer = self.writer
        let db = SQLiteLinkDatabase(target: .writer(writer), logger: logger, eventLoop: eventLoop)
        return try await gate.withLock {
            try writer.run("BEGIN IMMEDIATE", []) { _ in }
            do {
                let value = try await body(db)
                try writer.run("COMMIT", []) { _ in }
                return value
            } catch {
                try? writer.run("ROLLBACK", []) { _ in }
                throw error
            }
        }
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await body(SQLiteLinkDatabase(target: .readers(readers), logger: logger, eventLoop: eventLoop))
    }

    public func ping() async -> Bool {
        (try? readers.withLink { try $0.run("SELECT 1", []) { _ in } }) != nil
    }

    public func shutdown() async {
        await gate.acquire()
        writer.close()
        readers.close()
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
        for pragma in ["PRAGMA busy_timeout=5000", "PRAGMA query_only=ON"] {
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

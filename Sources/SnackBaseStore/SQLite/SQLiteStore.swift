import Logging
import NIOCore
import SQLKit
import SQLiteKit
import SQLiteNIO

/// SQLite in WAL mode: one write connection that transactions take in turn, and one read
/// connection for plain reads (WAL lets readers run beside the writer and see only committed data).
/// One connection per role beat a pool on these 2-core machines (see the stack notes).
public final class SQLiteStore: Database {
    public let kind = DatabaseKind.sqlite
    private let writer: SQLiteConnection
    private let reader: SQLiteConnection
    private let gate = SerialGate()
    private let logger: Logger

    public init(path: String, logger: Logger) async throws {
        self.logger = logger
        writer = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        reader = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON", "PRAGMA busy_timeout=5000"] {
            _ = try await writer.query(pragma)
            _ = try await reader.query(pragma)
        }
        _ = try await reader.query("PRAGMA query_only=ON")
    }

    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let db = writer.sql(queryLogLevel: .trace)
        let writer = self.writer
        return try await gate.withLock {
            _ = try await writer.query("BEGIN IMMEDIATE")
            do {
                let value = try await body(db)
                _ = try await writer.query("COMMIT")
                return value
            } catch {
                _ = try? await writer.query("ROLLBACK")
                throw error
            }
        }
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await body(reader.sql(queryLogLevel: .trace))
    }

    public func ping() async -> Bool {
        (try? await reader.query("SELECT 1")) != nil
    }

    public func shutdown() async {
        try? await writer.close()
        try? await reader.close()
    }
}

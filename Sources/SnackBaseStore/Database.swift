import Logging
import SQLKit

/// Which database engine a ``Database`` runs on; the few places where SQL differs ask this.
public enum DatabaseKind: String, Sendable {
    case sqlite, postgres
}

/// The storage the server runs on. Work happens in closures that receive one session
/// (`any SQLDatabase`): ``read(_:)`` for queries that need no transaction, ``transaction(_:)``
/// for every change, so that writes that belong together (and, later, their audit entry)
/// commit or roll back as one.
///
/// ```swift
/// let user = try await database.transaction { db in
///     try await UserRepository.insert(user, in: scope, on: db)
/// }
/// ```
public protocol Database: Sendable {
    var kind: DatabaseKind { get }
    /// Runs `body` inside one transaction on one connection; commits when it returns,
    /// rolls back when it throws.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    /// Runs `body` with a session for reads.
    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    /// Advanced by every write transaction, where every write passes through this process (SQLite);
    /// nil elsewhere. What is read under it may be remembered until the next write.
    var writeGeneration: WriteGeneration? { get }
    /// Record reads (list pages and totals, records by id) remembered until the next write (where there is a ``writeGeneration``).
    var rememberedReads: RememberedReads? { get }
    /// True when the database answers a trivial query.
    func ping() async -> Bool
    func shutdown() async
}

/// Opens the database named by a URL or, without one, SQLite in the data folder.
public enum DatabaseFactory {
    /// `writerExecutor`: where SQLite's writer runs (see ``SQLiteStore/init(path:logger:checkpointFrames:writerExecutor:)``).
    public static func open(url: String?, dataDirectory: String, logger: Logger, writerExecutor: (any TaskExecutor)? = nil) async throws -> any Database {
        if let url, url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            return try await PostgresStore(url: url, logger: logger)
        }
        if let url, !url.isEmpty {
            if url.hasPrefix("sqlite://") {
                return try await SQLiteStore(path: String(url.dropFirst("sqlite://".count)), logger: logger, writerExecutor: writerExecutor)
            }
            throw StoreError.configuration("SNACKBASE_DATABASE_URL must start with postgres:// or sqlite://")
        }
        return try await SQLiteStore(path: dataDirectory + "/data.db", logger: logger, writerExecutor: writerExecutor)
    }
}

/// Errors of the storage layer that callers act on.
public enum StoreError: Error, Sendable, Equatable {
    case configuration(String)
    case migrationFailed(String)
}

import SnackBaseRules

extension Database {
    /// The rule compiler's dialect for this database.
    public var ruleDialect: any RuleSQLDialect {
        switch kind {
        case .sqlite: RuleSQLiteDialect()
        case .postgres: RulePostgresDialect()
        }
    }
}

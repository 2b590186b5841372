import Logging

/// Opens the database named by a URL or, without one, SQLite in the data folder.
public enum DatabaseFactory {
    /// The SQLite file that ``open(url:dataDirectory:logger:writerExecutor:)`` opens for these settings; nil for PostgreSQL.
    public static func sqlitePath(url: String?, dataDirectory: String) -> String? {
        if let url, url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") { return nil }
        if let url, url.hasPrefix("sqlite://") { return String(url.dropFirst("sqlite://".count)) }
        return dataDirectory + "/data.db"
    }

    /// `writerExecutor`: where SQLite's writer runs (see ``SQLiteStore/init(path:logger:checkpointFrames:writerExecutor:)``), and
    /// PostgreSQL's shared transactions of creates (``PostgresStore/init(url:logger:connectionWait:rememberedFor:writerExecutor:)``).
    public static func open(url: String?, dataDirectory: String, logger: Logger, writerExecutor: (any TaskExecutor)? = nil) async throws -> any Database {
        if let url, url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            return try await PostgresStore(url: url, logger: logger, writerExecutor: writerExecutor)
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

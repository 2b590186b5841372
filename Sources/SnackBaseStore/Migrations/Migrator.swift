import SQLKit
import SnackBaseCore

/// Applies the migrations a database has not seen yet, each in its own transaction,
/// recording them in `schema_migrations`.
///
/// On PostgreSQL, migrations run as the URL's user (the tables' owner: ``RowSecurity/Bypass/migration``)
/// and hold a transaction-scoped advisory lock, so several processes starting at once on one
/// database apply each migration exactly once.
public enum Migrator {
    public static func migrate(_ database: any Database) async throws {
        let kind = database.kind
        try await asOwner(database) { db in
            try await lock(db, kind)
            try await db.raw("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)").run()
        }
        for migration in Schema.migrations {
            try await asOwner(database) { db in
                try await lock(db, kind)
                let done = try await db.raw("SELECT version FROM schema_migrations WHERE version = \(bind: migration.version)").first() != nil
                guard !done else { return }
                for statement in migration.sql(for: kind) {
                    try await db.raw(SQLQueryString(statement)).run()
                }
                try await db.raw("INSERT INTO schema_migrations (version, name, applied_at) VALUES (\(bind: migration.version), \(bind: migration.name), \(bind: Timestamp.now()))").run()
            }
        }
    }

    /// A transaction as the tables' owner on PostgreSQL; an ordinary transaction on SQLite.
    private static func asOwner(_ database: any Database, _ body: @escaping @Sendable (any SQLDatabase) async throws -> Void) async throws {
        if let postgres = database as? PostgresStore {
            try await postgres.ownerTransaction(.migration, body)
        } else {
            try await database.transaction(body)
        }
    }

    /// Serializes migrators on one PostgreSQL database until the transaction ends (SQLite's
    /// write transactions are serialized already).
    private static func lock(_ db: any SQLDatabase, _ kind: DatabaseKind) async throws {
        guard kind == .postgres else { return }
        try await db.raw("SELECT pg_advisory_xact_lock(\(bind: Self.lockKey))").run()
    }

    /// The advisory-lock key of the migrator ("snackbas" in ASCII, as a number).
    private static let lockKey: Int64 = 0x736E61636B626173
}

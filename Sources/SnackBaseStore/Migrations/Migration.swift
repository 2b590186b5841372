import SQLKit
import SnackBaseCore

/// One versioned step of the schema. Statements are written once, with `{BOOL}` and `{REAL}`
/// standing for the column types that differ between SQLite and PostgreSQL; what cannot be
/// written once (triggers, say) goes in `sqlite` or `postgres`, run after the shared statements.
struct Migration: Sendable {
    let version: Int
    let name: String
    let statements: [String]
    var sqlite: [String] = []
    var postgres: [String] = []

    func sql(for kind: DatabaseKind) -> [String] {
        let specific: [String]
        switch kind {
        case .sqlite: specific = sqlite
        case .postgres: specific = postgres
        }
        return (statements + specific).map { statement in
            switch kind {
            case .sqlite:
                statement.replacingOccurrences(of: "{BOOL}", with: "INTEGER").replacingOccurrences(of: "{REAL}", with: "REAL")
            case .postgres:
                statement.replacingOccurrences(of: "{BOOL}", with: "BOOLEAN").replacingOccurrences(of: "{REAL}", with: "DOUBLE PRECISION")
            }
        }
    }
}

/// Applies the migrations a database has not seen yet, each in its own transaction,
/// recording them in `schema_migrations`.
public enum Migrator {
    public static func migrate(_ database: any Database) async throws {
        try await database.transaction { db in
            try await db.raw("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)").run()
        }
        let applied = try await database.read { db in
            try await db.raw("SELECT version FROM schema_migrations").all().map { try $0.decode(column: "version", as: Int.self) }
        }
        let done = Set(applied)
        let kind = database.kind
        for migration in Schema.migrations where !done.contains(migration.version) {
            try await database.transaction { db in
                for statement in migration.sql(for: kind) {
                    try await db.raw(SQLQueryString(statement)).run()
                }
                try await db.raw("INSERT INTO schema_migrations (version, name, applied_at) VALUES (\(bind: migration.version), \(bind: migration.name), \(bind: Timestamp.now()))").run()
            }
        }
    }
}

import Crypto
import Foundation
import NIOPosix
import Logging
import SQLKit
import SQLiteNIO

/// A backup file as it was written: where, how large, and its SHA-256 (lowercase hex).
public struct BackupFile: Sendable, Equatable {
    public let path: String
    public let size: Int
    public let sha256: String

    /// Reads `path` in 1 MiB pieces (never whole into memory) for its size and digest.
    public static func describe(_ path: String) throws -> BackupFile {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw BackupError("cannot read \(path)") }
        defer { try? handle.close() }
        var hasher = SHA256()
        var size = 0
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
            size += chunk.count
        }
        let hex = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        return BackupFile(path: path, size: size, sha256: hex)
    }
}

/// A backup or restore that did not happen, with a one-line reason that holds no secret.
public struct BackupError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Consistent copies of a live database, and restoring them.
///
/// SQLite: `VACUUM INTO ?` on a read connection (a snapshot of every committed transaction, taken while
/// the writer keeps writing; never a file copy of a live database). PostgreSQL: `pg_dump --format=custom`
/// and `pg_restore`, the password passed in `PGPASSWORD`, never on a command line.
public enum DatabaseBackup {
    /// The kind of a backup file, from its first bytes.
    public enum Kind: Sendable, Equatable { case sqlite, postgresDump }

    public static func kind(of path: String) throws -> Kind {
        guard FileManager.default.fileExists(atPath: path) else { throw BackupError("\(path): no such file") }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw BackupError("\(path): cannot be read") }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 16)) ?? Data()
        if head == Data("SQLite format 3\0".utf8) { return .sqlite }
        if head.starts(with: Data("PGDMP".utf8)) { return .postgresDump }
        throw BackupError("\(path): not a SnackBase backup (neither an SQLite database nor a pg_dump custom-format file)")
    }

    /// Writes a snapshot of `database` to `path` (which must not exist). `url`: the PostgreSQL URL
    /// `database` was opened with (for pg_dump); ignored for SQLite.
    public static func backup(_ database: any Database, url: String?, to path: String) async throws -> BackupFile {
        guard !FileManager.default.fileExists(atPath: path) else { throw BackupError("\(path) exists already") }
        let source: Source
        switch database.kind {
        case .sqlite:
            guard let store = database as? SQLiteStore else { throw BackupError("not an SQLite store") }
            source = .sqlite(path: store.path)
        case .postgres:
            guard let url else { throw BackupError("a PostgreSQL backup needs the database URL") }
            source = .postgres(try PostgresConnectionInfo(url: url))
        }
        // VACUUM INTO and pg_dump block their thread for as long as the copy takes: not one of the
        // concurrency pool's few threads (requests would wait behind it), one of NIO's blocking pool.
        return try await NIOThreadPool.singleton.runIfActive { try write(source, to: path) }
    }

    private enum Source: Sendable {
        case sqlite(path: String)
        case postgres(PostgresConnectionInfo)
    }

    private static func write(_ source: Source, to path: String) throws -> BackupFile {
        switch source {
        case .sqlite(let database):
            do {
                // Its own read-write connection (the readers are read-only), outside any transaction: one snapshot.
                let link = try SQLiteLink(path: database, readOnly: false)
                defer { link.close() }
                try link.run("PRAGMA busy_timeout=5000", []) { _ in }
                try link.run("VACUUM INTO ?", [.text(path)]) { _ in }
            } catch {
                try? FileManager.default.removeItem(atPath: path)
                throw BackupError("VACUUM INTO failed: \(String(describing: error).prefix(200))")
            }
        case .postgres(let connection):
            do {
                try PostgresTool.run("pg_dump", ["--format=custom", "--no-password", "--file=" + path] + connection.arguments, environment: connection.environment)
            } catch {
                try? FileManager.default.removeItem(atPath: path)
                throw error
            }
        }
        return try BackupFile.describe(path)
    }

    /// Replaces the SQLite database at `target` with the backup at `source`: refuses while a server
    /// holds `target`'s lock (``ServerLock``); copies to a temporary file beside `target` and checks it,
    /// then renames it over `target` (atomic: a failure leaves `target` as it was).
    public static func restoreSQLite(from source: String, to target: String) throws {
        guard try kind(of: source) == .sqlite else { throw BackupError("\(source) is a PostgreSQL dump; the target is SQLite") }
        let lock = try ServerLock(databasePath: target)
        defer { lock.release() }
        let folder = (target as NSString).deletingLastPathComponent
        let temporary = (folder.isEmpty ? "." : folder) + "/.restore-\(UUID().uuidString).db"
        do {
            try FileManager.default.copyItem(atPath: source, toPath: temporary)
            let link = try SQLiteLink(path: temporary, readOnly: true)
            var tables = 0
            do {
                try link.run("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'", []) { row in
                    tables = try row.decode(column: "n", as: Int.self)
                }
            } catch {
                link.close()
                throw BackupError("\(source): not a readable SQLite database")
            }
            link.close()
            guard tables == 1 else { throw BackupError("\(source): an SQLite database, but not a SnackBase backup (no audit_log table)") }
            for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: target + suffix) }
            guard rename(temporary, target) == 0 else { throw BackupError("cannot move the restored database into place (errno \(errno))") }
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }

    /// Restores a pg_dump custom-format file into the database at `url`: refuses one that holds any
    /// table unless `force` (then `--clean --if-exists` drops what the dump recreates).
    public static func restorePostgres(from source: String, url: String, force: Bool) async throws {
        guard try kind(of: source) == .postgresDump else { throw BackupError("\(source) is an SQLite database; the target is PostgreSQL") }
        let connection = try PostgresConnectionInfo(url: url)
        if !force {
            let store: PostgresStore
            do { store = try await PostgresStore(url: url, logger: .init(label: "snackbase.restore")) } catch {
                throw BackupError("cannot connect to the target database")
            }
            let tables: Int
            do {
                tables = try await store.read { db in
                    try await db.raw("SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'").first()?.decode(column: "n", as: Int.self) ?? 0
                }
            } catch {
                await store.shutdown()
                throw BackupError("cannot read the target database: \(String(describing: error).prefix(200))")
            }
            await store.shutdown()
            guard tables == 0 else { throw BackupError("the target database is not empty (\(tables) tables); pass --force to replace its contents") }
        }
        let options = force ? ["--clean", "--if-exists"] : []
        try await NIOThreadPool.singleton.runIfActive {
            try PostgresTool.run("pg_restore", ["--no-password", "--exit-on-error", "--single-transaction"] + options + connection.arguments + [source],
                                 environment: connection.environment)
        }
    }
}

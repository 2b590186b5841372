import ArgumentParser
import Foundation
import Logging
import SnackBaseStore

/// `snackbase backup [--output FILE]`: a consistent copy of the database while the server keeps serving.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "backup", abstract: "Write a consistent backup of the database (the server may keep running).")
    @Option(help: "The backup file (default: <data-dir>/backups/snackbase-<time>.db or .dump).") var output: String?
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        try await reportingSettingErrors {
            var logger = Logger(label: "snackbase")
            logger.logLevel = .warning
            let settings = Settings()
            let url = settings.string("SNACKBASE_DATABASE_URL", flag: database.databaseUrl)
            let (db, dataDirectory) = try await database.open(settings, logger: logger)
            let file: BackupFile
            do {
                let path = try output ?? Self.defaultPath(dataDirectory: dataDirectory, kind: db.kind)
                file = try await DatabaseBackup.backup(db, url: url, to: path)
            } catch let error as BackupError {
                await db.shutdown()
                throw SettingError(description: "backup: \(error.description)")
            } catch {
                await db.shutdown()
                throw error
            }
            await db.shutdown()
            print("backup \(file.path) size \(file.size) sha256 \(file.sha256)")
        }
    }

    static func defaultPath(dataDirectory: String, kind: DatabaseKind) throws -> String {
        let folder = dataDirectory + "/backups"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
        return folder + "/snackbase-\(stamp)." + (kind == .sqlite ? "db" : "dump")
    }
}

/// `snackbase restore FILE [--force]`: replaces the database with a backup, then verifies the audit chains.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a backup (SQLite: only while no server runs; PostgreSQL: into an empty database, or --force), then verify the audit chains."
    )
    @Argument(help: "The backup file.") var file: String
    @Flag(help: "PostgreSQL: replace the contents of a non-empty database.") var force = false
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        var broken = false
        try await reportingSettingErrors {
            let settings = Settings()
            let url = settings.string("SNACKBASE_DATABASE_URL", flag: database.databaseUrl)
            let dataDirectory = try settings.dataDirectory(flag: database.dataDir)
            do {
                if let path = DatabaseFactory.sqlitePath(url: url, dataDirectory: dataDirectory) {
                    try DatabaseBackup.restoreSQLite(from: file, to: path)
                } else if let url {
                    try await DatabaseBackup.restorePostgres(from: file, url: url, force: force)
                }
            } catch let error as BackupError {
                throw SettingError(description: "restore: \(error.description)")
            }
            print("restored \(file)")
            broken = try await verifyAuditChains(database, settings: settings)
        }
        if broken { throw ExitCode(1) }
    }
}

import Foundation
import Logging
import SnackBaseCore
import SnackBaseStore

/// One backup in the data folder's `backups/`, as its sidecar `<id>.json` describes it.
public struct BackupEntry: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable { case running, done, failed }
    public let id: String
    public var file: String
    public var size: Int?
    public var sha256: String?
    public var createdAt: String
    public var status: Status
    /// Why it failed (never a secret: ``BackupError`` texts hold none).
    public var error: String?
}

/// The backups of one server: each a file beside a small JSON sidecar in `folder`, so the list
/// survives restarts and a restore (which replaces the database, not this folder). Taking one is
/// superadmin work; it leaves a `backup.create` audit entry in the superadmin's chain.
public actor BackupCatalog {
    public let folder: String
    private let database: any Database
    private let url: String?
    private let logger: Logger
    private var running: [String: Task<Void, Never>] = [:]

    /// `url`: the PostgreSQL URL the database was opened with (pg_dump connects itself).
    public init(folder: String, database: any Database, url: String?, logger: Logger) {
        self.folder = folder
        self.database = database
        self.url = url
        self.logger = logger
    }

    /// Starts a backup and answers at once with its entry (`running`).
    public func start(by principal: Principal) async throws -> BackupEntry {
        guard principal.isSuperadmin else { throw SnackBaseError.forbidden("Only a superadmin can take backups") }
        let entry = try begin()
        try await database.transaction { db in
            try await AuditLog.append(AuditEvent("backup.create", in: principal.accountID, by: principal, status: 202, recordID: entry.id), on: db)
        }
        let id = entry.id
        running[id] = Task { _ = await self.finish(entry) }
        return entry
    }

    /// Takes a backup now and waits for it (the schedule's way).
    @discardableResult
    public func takeNow() async -> BackupEntry? {
        guard let entry = try? begin() else { return nil }
        return await finish(entry)
    }

    /// Waits for the backups under way (tests, shutdown).
    public func waitForRunning() async {
        for task in running.values { await task.value }
    }

    private func begin() throws -> BackupEntry {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let now = Timestamp.now()
        let stamp = String(now.filter { $0.isNumber }.prefix(17))
        let id = stamp + "-" + SecureID.randomHex(bytes: 4)
        let entry = BackupEntry(id: id, file: "snackbase-\(id)." + (database.kind == .sqlite ? "db" : "dump"), size: nil, sha256: nil,
                                createdAt: now, status: .running, error: nil)
        try write(entry)
        return entry
    }

    @discardableResult
    private func finish(_ started: BackupEntry) async -> BackupEntry {
        var entry = started
        do {
            let file = try await DatabaseBackup.backup(database, url: url, to: folder + "/" + entry.file)
            entry.size = file.size
            entry.sha256 = file.sha256
            entry.status = .done
            logger.info("backup.done", metadata: ["backup.id": .string(entry.id), "backup.size": .stringConvertible(file.size)])
        } catch {
            entry.status = .failed
            entry.error = (error as? BackupError)?.description ?? "backup failed"
            logger.error("backup.failed", metadata: ["backup.id": .string(entry.id), "backup.error": .string(entry.error ?? "")])
        }
        try? write(entry)
        running[entry.id] = nil
        return entry
    }

    /// Every backup, newest first.
    public func list() -> [BackupEntry] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return names.filter { $0.hasSuffix(".json") }
            .compactMap { name in
                (try? Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))).flatMap { try? decoder.decode(BackupEntry.self, from: $0) }
            }
            .sorted { $0.id > $1.id }
    }

    /// The file of a finished backup; nil for an unknown id or one not done.
    public func path(of id: String) -> String? {
        guard let entry = list().first(where: { $0.id == id }), entry.status == .done else { return nil }
        return folder + "/" + entry.file
    }

    /// Deletes finished backups beyond the `keep` newest (failed ones are deleted as well; running ones are kept).
    public func prune(keep: Int) {
        let finished = list().filter { $0.status != .running }
        let done = finished.filter { $0.status == .done }
        let kept = Set(done.prefix(keep).map(\.id))
        for entry in finished where !kept.contains(entry.id) {
            try? FileManager.default.removeItem(atPath: folder + "/" + entry.file)
            try? FileManager.default.removeItem(atPath: folder + "/" + entry.id + ".json")
            logger.info("backup.pruned", metadata: ["backup.id": .string(entry.id)])
        }
    }

    private func write(_ entry: BackupEntry) throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let data = try encoder.encode(entry)
        let path = folder + "/" + entry.id + ".json"
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

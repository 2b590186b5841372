import Foundation
import HTTPTypes
import SQLKit
@testable import SnackBaseAPI
import SnackBaseService
import SnackBaseStore
import SnackBaseTesting
import Testing

/// Where a scratch database lives, so that a backup can be restored into a second one.
enum BackupTarget: Sendable {
    case sqlite(path: String)
    case postgres(url: String)

    /// A fresh, empty database of `kind` (opened) and where it is; removed afterwards.
    static func with(_ kind: DatabaseKind, _ body: (any Database, BackupTarget) async throws -> Void) async throws {
        switch kind {
        case .sqlite:
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("snackbase-backup-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let path = folder + "/data.db"
            let database = try await SQLiteStore(path: path, logger: TestDatabase.logger)
            do { try await body(database, .sqlite(path: path)) } catch { await database.shutdown(); throw error }
            await database.shutdown()
        case .postgres:
            try await PostgresScratch.with { url in
                let database = try await PostgresStore(url: url, logger: TestDatabase.logger, connectionWait: TestDatabase.connectionWait)
                do { try await body(database, .postgres(url: url)) } catch { await database.shutdown(); throw error }
                await database.shutdown()
            }
        }
    }

    var url: String? { if case .postgres(let url) = self { url } else { nil } }

    /// Restores `file` here (the database must not be open), then opens it.
    func restore(_ file: String, force: Bool = false) async throws -> any Database {
        switch self {
        case .sqlite(let path):
            try DatabaseBackup.restoreSQLite(from: file, to: path)
            return try await SQLiteStore(path: path, logger: TestDatabase.logger)
        case .postgres(let url):
            try await DatabaseBackup.restorePostgres(from: file, url: url, force: force)
            return try await PostgresStore(url: url, logger: TestDatabase.logger, connectionWait: TestDatabase.connectionWait)
        }
    }
}

/// Records the ids of writes the server acknowledged, in order.
actor Acknowledged {
    private(set) var ids: [String] = []
    private(set) var failures = 0
    private(set) var before: [String] = []
    private(set) var token = ""
    func finish(before: [String], token: String) { self.before = before; self.token = token }
    func add(_ id: String) { ids.append(id) }
    func failed() { failures += 1 }
}

@Suite("Backups and restore")
struct BackupTests {
    static func temporaryFile(_ suffix: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("snackbase-bak-\(UUID().uuidString).\(suffix)").path
    }

    @Test("BAK-001: a backup taken while eight clients write holds every write acknowledged before it started; restored, its audit chains verify")
    func backupUnderLoad() async throws {
        for kind in TestDatabase.kinds {
            let file = Self.temporaryFile(kind == .sqlite ? "db" : "dump")
            defer { try? FileManager.default.removeItem(atPath: file) }
            let (before, acme) = try await Self.writeWhileBackingUp(kind: kind, to: file)
            #expect(before.count >= 8, "[\(kind)] too few writes before the backup to mean anything: \(before.count)")
            let described = try BackupFile.describe(file)
            #expect(described.size > 0 && described.sha256.count == 64)

            try await BackupTarget.with(kind) { fresh, target in
                await fresh.shutdown()
                let restored = try await target.restore(file)
                do {
                    let verification = try await AuditLog.verify(account: nil, on: restored)
                    #expect(verification.valid, "[\(kind)] \(String(describing: verification.broken))")
                    #expect(verification.checked > before.count, "[\(kind)] every record write leaves an audit entry")
                    try await TestApp.run(on: restored, live: false) { app in
                        var missing: [String] = []
                        for id in before {
                            let response = try await app.request(.get, "/api/v1/records/notes/\(id)", token: acme)
                            if response.status != 200 { missing.append(id) }
                        }
                        #expect(missing.isEmpty, "[\(kind)] \(missing.count) of \(before.count) acknowledged writes missing from the backup")
                    }
                } catch {
                    await restored.shutdown()
                    throw error
                }
                await restored.shutdown()
            }
        }
    }

    /// Eight clients create records over HTTP; once some are acknowledged, a backup is taken of the
    /// live database. Returns the ids acknowledged before the backup started, and the tenant's token.
    static func writeWhileBackingUp(kind: DatabaseKind, to file: String) async throws -> ([String], String) {
        let acked = Acknowledged()
        try await BackupTarget.with(kind) { database, target in
            try await TestApp.run(on: database, live: true) { app in
                let root = try await app.superadminToken()
                try await app.createCollection("notes", fields: #"[{"name":"title","type":"text"}]"#, root: root)
                let acme = try await app.register("acme")
                let stop = Stop()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for writer in 0..<8 {
                        group.addTask {
                            var index = 0
                            while await !stop.stopped {
                                let response = try await app.request(.post, "/api/v1/records/notes", json: #"{"title":"w\#(writer)-\#(index)"}"#, token: acme.token)
                                if response.status == 201, let id = response.string("id") { await acked.add(id) } else { await acked.failed() }
                                index += 1
                            }
                        }
                    }
                    while await acked.ids.count < 40 { try await Task.sleep(for: .milliseconds(5)) }
                    let before = await acked.ids
                    _ = try await DatabaseBackup.backup(database, url: target.url, to: file)
                    try await Task.sleep(for: .milliseconds(50))
                    await stop.stop()
                    try await group.waitForAll()
                    await acked.finish(before: before, token: acme.token)
                }
                #expect(await acked.failures == 0)
            }
        }
        return await (acked.before, acked.token)
    }

    @Test("BAK-002: restore refuses a live SQLite target, a non-empty PostgreSQL target without --force, and a file that is no backup; the target is kept")
    func restoreRefuses() async throws {
        for kind in TestDatabase.kinds {
            let file = Self.temporaryFile(kind == .sqlite ? "db" : "dump")
            let junk = Self.temporaryFile("txt")
            defer { try? FileManager.default.removeItem(atPath: file); try? FileManager.default.removeItem(atPath: junk) }
            try Data("not a backup".utf8).write(to: URL(fileURLWithPath: junk))
            try await BackupTarget.with(kind) { database, target in
                try await Migrator.migrate(database)
                try await database.transaction { db in try await SystemAccount.ensure(on: db) }
                _ = try await DatabaseBackup.backup(database, url: target.url, to: file)
                await #expect(throws: BackupError.self) { _ = try await DatabaseBackup.backup(database, url: target.url, to: file) }
                switch target {
                case .sqlite(let path):
                    // As `serve` holds it for its lifetime.
                    let lock = try ServerLock(databasePath: path)
                    let refused = #expect(throws: BackupError.self) { try DatabaseBackup.restoreSQLite(from: file, to: path) }
                    #expect(refused?.description.contains("server is using") == true)
                    lock.release()
                    let sizeBefore = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
                    #expect(throws: BackupError.self) { try DatabaseBackup.restoreSQLite(from: junk, to: path) }
                    #expect(throws: BackupError.self) { try DatabaseBackup.restoreSQLite(from: junk + ".missing", to: path) }
                    #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int == sizeBefore)
                    #expect(FileManager.default.fileExists(atPath: path))
                case .postgres(let url):
                    let refused = await #expect(throws: BackupError.self) { try await DatabaseBackup.restorePostgres(from: file, url: url, force: false) }
                    #expect(refused?.description.contains("not empty") == true)
                    await #expect(throws: BackupError.self) { try await DatabaseBackup.restorePostgres(from: junk, url: url, force: true) }
                    // With --force it replaces the contents, and the chains still verify.
                    try await DatabaseBackup.restorePostgres(from: file, url: url, force: true)
                    #expect(try await AuditLog.verify(account: nil, on: database).valid)
                }
            }
        }
    }

    @Test("BAK-SEC-001: a PostgreSQL password never appears in a backup error")
    func passwordNotInErrors() async throws {
        let secret = "Hunter2-secret-\(UUID().uuidString.prefix(8))"
        let url = "postgres://snackbase:\(secret)@127.0.0.1:1/snackbase"
        // The restore of a dump into an unreachable server fails in pg_restore or in the emptiness check.
        let dump = Self.temporaryFile("dump")
        try Data("PGDMP-not-really".utf8).write(to: URL(fileURLWithPath: dump))
        defer { try? FileManager.default.removeItem(atPath: dump) }
        for force in [false, true] {
            do {
                try await DatabaseBackup.restorePostgres(from: dump, url: url, force: force)
                Issue.record("restore into an unreachable server succeeded")
            } catch {
                #expect(!String(describing: error).contains(secret), "\(error)")
            }
        }
    }
}

actor Stop {
    private(set) var stopped = false
    func stop() { stopped = true }
}

@Suite("Backup routes")
struct BackupRouteTests {
    @Test("BAK-API-001: only a superadmin starts, lists and downloads backups (401 anonymous, 403 account admin); 202, then listed with the file's sha256; the download is the file")
    func routes() async throws {
        for kind in TestDatabase.kinds {
            try await BackupTarget.with(kind) { database, target in
                let folder = FileManager.default.temporaryDirectory.appendingPathComponent("snackbase-backups-\(UUID().uuidString)").path
                defer { try? FileManager.default.removeItem(atPath: folder) }
                let catalog = BackupCatalog(folder: folder, database: database, url: target.url, logger: TestDatabase.logger)
                try await TestApp.run(on: database, live: true, configure: { $0.backups = catalog }) { app in
                    let root = try await app.superadminToken()
                    let acme = try await app.register("acme")
                    for (token, status) in [(nil, 401), (acme.token, 403)] as [(String?, Int)] {
                        #expect(try await app.request(.post, "/api/v1/backups", token: token).status == status, "[\(kind)]")
                        #expect(try await app.request(.get, "/api/v1/backups", token: token).status == status, "[\(kind)]")
                        #expect(try await app.request(.get, "/api/v1/backups/x/download", token: token).status == status, "[\(kind)]")
                    }
                    #expect(await catalog.list().isEmpty, "[\(kind)] a refused request took a backup")

                    let started = try await app.request(.post, "/api/v1/backups", token: root)
                    #expect(started.status == 202, "[\(kind)] \(String(decoding: started.data, as: UTF8.self))")
                    let id = try #require(started.string("id"))
                    #expect(["running", "done"].contains(started.string("status") ?? ""))
                    await catalog.waitForRunning()

                    let list = try await app.request(.get, "/api/v1/backups", token: root)
                    #expect(list.status == 200)
                    let item = try #require(list.array("items")?.first as? [String: Any])
                    #expect(item["id"] as? String == id)
                    #expect(item["status"] as? String == "done", "[\(kind)] \(item)")
                    let file = try #require(item["file"] as? String)
                    let onDisk = try BackupFile.describe(folder + "/" + file)
                    #expect(item["sha256"] as? String == onDisk.sha256)
                    #expect(item["size"] as? Int == onDisk.size)
                    #expect(item["created_at"] is String)

                    let download = try await app.request(.get, "/api/v1/backups/\(id)/download", token: root)
                    #expect(download.status == 200)
                    #expect(download.data == (try Data(contentsOf: URL(fileURLWithPath: folder + "/" + file))), "[\(kind)] downloaded bytes differ")
                    #expect(try await app.request(.get, "/api/v1/backups/../../etc/passwd/download", token: root).status == 404)
                    #expect(try await app.request(.get, "/api/v1/backups/nope/download", token: root).status == 404)

                    // The superadmin's action is in the audit log.
                    let entries = try await database.read { db in
                        try await RowSecurity.bypassing(.crossAccountAudit, on: db) { db in
                            try await db.raw("SELECT count(*) AS n FROM audit_log WHERE action = 'backup.create' AND record_id = \(bind: id)").first()?
                                .decode(column: "n", as: Int.self) ?? 0
                        }
                    }
                    #expect(entries == 1, "[\(kind)]")
                }
            }
        }
    }

    @Test("BAK-API-002: a running backup is listed with every key, size and sha256 null (as the OpenAPI document requires)")
    func runningBackupKeys() throws {
        let running = try JSONDecoder().decode(BackupEntry.self, from: Data(#"""
            {"id":"20261204200210452-e4a11c30","file":"snackbase-20261204200210452-e4a11c30.db","createdAt":"2026-12-04T20:02:10.452Z","status":"running"}
            """#.utf8))
        let object = try JSONSerialization.jsonObject(with: JSONBody.encoder.encode(BackupController.BackupDTO(running))) as? [String: Any]
        #expect(object.map { Set($0.keys) } == ["id", "file", "size", "sha256", "created_at", "status"])
        #expect(object?["size"] is NSNull)
        #expect(object?["sha256"] is NSNull)
        #expect(object?["status"] as? String == "running")
    }

    @Test("BAK-KEEP-001: prune keeps the newest KEEP finished backups and deletes the rest with their sidecars")
    func prune() async throws {
        try await BackupTarget.with(.sqlite) { database, _ in
            try await Migrator.migrate(database)
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("snackbase-backups-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let catalog = BackupCatalog(folder: folder, database: database, url: nil, logger: TestDatabase.logger)
            var ids: [String] = []
            for _ in 0..<4 { if let entry = await catalog.takeNow() { ids.append(entry.id) } }
            #expect(ids.count == 4)
            await catalog.prune(keep: 2)
            let left = await catalog.list()
            #expect(left.map(\.id) == Array(ids.reversed().prefix(2)))
            let files = try FileManager.default.contentsOfDirectory(atPath: folder)
            #expect(files.count == 4, "\(files)")
        }
    }
}

@Suite("Backup schedule")
struct BackupScheduleTests {
    static let valid: [(String, BackupSchedule)] = [
        ("daily@03:00", .daily(hour: 3, minute: 0)), ("daily@23:59", .daily(hour: 23, minute: 59)), ("every 6h", .every(seconds: 21600)),
        ("every 30m", .every(seconds: 1800)), ("every 1d", .every(seconds: 86400)), (" Every 2H ", .every(seconds: 7200)),
    ]
    static let invalid = ["", "daily", "daily@3:00", "daily@24:00", "daily@03:60", "every", "every 0h", "every -1h", "every 6", "every 6w",
                          "every h", "hourly", "daily@03:00:00", "every 99999d", "every ６h"]

    @Test("BAK-SCHED-001: valid schedules parse; anything else is an error naming the expected forms")
    func parse() throws {
        for (text, expected) in Self.valid { #expect(try BackupSchedule(parsing: text) == expected, "\(text)") }
        for text in Self.invalid {
            #expect(throws: BackupSchedule.ParseError.self, "\(text)") { try BackupSchedule(parsing: text) }
        }
    }

    @Test("BAK-SCHED-002: the next run: daily at the UTC time, today if still ahead, else tomorrow; every n after the last")
    func next() throws {
        let midnight: Int = 1_780_000_000 - 1_780_000_000 % 86400
        let base = Date(timeIntervalSince1970: TimeInterval(midnight)) // a UTC midnight
        let daily = BackupSchedule.daily(hour: 3, minute: 0)
        #expect(daily.next(after: base) == base.addingTimeInterval(3 * 3600))
        #expect(daily.next(after: base.addingTimeInterval(3 * 3600)) == base.addingTimeInterval(27 * 3600))
        #expect(daily.next(after: base.addingTimeInterval(5 * 3600)) == base.addingTimeInterval(27 * 3600))
        #expect(BackupSchedule.every(seconds: 21600).next(after: base) == base.addingTimeInterval(21600))
    }
}

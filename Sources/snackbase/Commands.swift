import ArgumentParser
import Foundation
import Hummingbird
import Logging
import NIOPosix
import ServiceLifecycle
import SnackBaseAPI
import SnackBaseAuth
import SnackBaseCore
import SnackBaseMail
import SnackBaseService
import SnackBaseStore
import UnixSignals

/// Options every command that opens the database shares.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "Data folder for SQLite and the --dev secret (env SNACKBASE_DATA_DIR; default ./snackbase-data).")
    var dataDir: String?

    @Option(help: "postgres://user:pass@host:port/db or sqlite://path (env SNACKBASE_DATABASE_URL; default SQLite in the data folder).")
    var databaseUrl: String?

    func open(_ settings: Settings, logger: Logger, writerExecutor: (any TaskExecutor)? = nil) async throws -> (any Database, String) {
        let dataDirectory = try settings.dataDirectory(flag: dataDir)
        let url = settings.string("SNACKBASE_DATABASE_URL", flag: databaseUrl)
        do {
            let database = try await DatabaseFactory.open(url: url, dataDirectory: dataDirectory, logger: logger, writerExecutor: writerExecutor)
            try await Migrator.migrate(database)
            try await database.transaction { db in try await SystemAccount.ensure(on: db) }
            return (database, dataDirectory)
        } catch let error as StoreError {
            throw SettingError(description: "SNACKBASE_DATABASE_URL: \(error)")
        } catch {
            throw SettingError(description: "SNACKBASE_DATABASE_URL: cannot open the database (\(String(describing: error).prefix(200)))")
        }
    }
}

/// Runs `body`, printing a setting error as one line and exiting 1.
func reportingSettingErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as SettingError {
        FileHandle.standardError.write(Data(("snackbase: " + error.description + "\n").utf8))
        throw ExitCode(1)
    }
}

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Migrate if needed, then serve the API.")

    @Option(help: "Address to listen on (env SNACKBASE_HOST; default 127.0.0.1).") var host: String?
    @Option(help: "Port (env SNACKBASE_PORT; default 8090).") var port: Int?
    @Option(help: "Web origins that may call the API from a browser: * or a comma-separated list like https://app.example.com (env SNACKBASE_CORS_ORIGINS; default none).")
    var corsOrigins: String?
    @OptionGroup var database: DatabaseOptions
    @Flag(help: "Development mode: generate a secret key in the data folder when SNACKBASE_SECRET_KEY is unset.") var dev = false

    func run() async throws {
        try await reportingSettingErrors {
            let settings = Settings()
            var logger = Logger(label: "snackbase")
            logger.logLevel = try settings.logLevel()
            let host = settings.string("SNACKBASE_HOST", flag: host) ?? "127.0.0.1"
            let port = try settings.integer("SNACKBASE_PORT", flag: port, default: 8090, range: 1...65535)
            let accessTTL = try settings.integer("SNACKBASE_ACCESS_TOKEN_TTL", default: 3600, range: 1...(30 * 86400))
            let refreshTTL = try settings.integer("SNACKBASE_REFRESH_TOKEN_TTL", default: 7 * 86400, range: 1...(365 * 86400))
            let permissionCacheTTL = try settings.integer("SNACKBASE_PERMISSION_CACHE_TTL", default: 300, range: 0...86400)
            let argon2 = try settings.argon2()
            let cors = try Self.corsSetting(settings.string("SNACKBASE_CORS_ORIGINS", flag: corsOrigins))
            let rateLimits = try Self.rateLimitsSetting(settings.string("SNACKBASE_RATE_LIMITS"))
            var realtime = RealtimeSettings(
                heartbeatSeconds: try settings.integer("SNACKBASE_REALTIME_HEARTBEAT", default: 15, range: 1...3600),
                buffer: try settings.integer("SNACKBASE_REALTIME_BUFFER", default: 1000, range: 1...1_000_000),
                maxStreamsPerUser: try settings.integer("SNACKBASE_REALTIME_MAX_STREAMS_PER_USER", default: 10, range: 1...100_000),
                maxStreams: try settings.integer("SNACKBASE_REALTIME_MAX_STREAMS", default: 10_000, range: 1...1_000_000)
            )
            let backupSchedule = try Self.backupScheduleSetting(settings.string("SNACKBASE_BACKUP_SCHEDULE"))
            let backupKeep = try settings.integer("SNACKBASE_BACKUP_KEEP", default: 7, range: 1...10_000)
            // Every setting is checked before the database is opened.
            let secret = try settings.secretKey(dev: dev, dataDirectory: try settings.dataDirectory(flag: database.dataDir))
            let superadmin = try Self.superadminSetting(settings)
            let mail = try MailSetting.make(settings, dev: dev, dataDirectory: try settings.dataDirectory(flag: database.dataDir), host: host, port: port, logger: logger)
            // One event loop (one CPU allowed): handlers and the SQLite writer run on it, see EventLoopExecutor.
            let onlyLoop = EventLoopExecutor.onlyLoop(of: MultiThreadedEventLoopGroup.singleton)
            realtime.executor = onlyLoop
            // SQLite: held until the process ends, so that `restore` refuses to replace the file under this server.
            let dataDirectory = try settings.dataDirectory(flag: database.dataDir)
            let serverLock: ServerLock?
            if let path = DatabaseFactory.sqlitePath(url: settings.string("SNACKBASE_DATABASE_URL", flag: database.databaseUrl), dataDirectory: dataDirectory) {
                let folder = (path as NSString).deletingLastPathComponent
                if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
                do { serverLock = try ServerLock(databasePath: path) } catch let error as BackupError { throw SettingError(description: error.description) }
            } else {
                serverLock = nil
            }
            defer { serverLock?.release() }
            let (db, _) = try await database.open(settings, logger: logger, writerExecutor: onlyLoop)
            let passwords = try PasswordService(parameters: argon2)
            do {
                try await serve(db: db, passwords: passwords, secret: secret, superadmin: superadmin, host: host, port: port,
                                accessTTL: accessTTL, refreshTTL: refreshTTL, permissionCacheTTL: permissionCacheTTL, cors: cors,
                                rateLimits: rateLimits, mail: mail, realtime: realtime, onlyLoop: onlyLoop,
                                backups: (folder: dataDirectory + "/backups", url: settings.string("SNACKBASE_DATABASE_URL", flag: database.databaseUrl),
                                          schedule: backupSchedule, keep: backupKeep),
                                logger: logger)
            } catch {
                await passwords.shutdown()
                await db.shutdown()
                throw error
            }
            await passwords.shutdown()
            await db.shutdown()
        }
    }

    static func corsSetting(_ text: String?) throws -> CORSPolicy {
        do {
            return try CORSPolicy(parsing: text ?? "")
        } catch {
            throw SettingError(description: error.message)
        }
    }

    static func rateLimitsSetting(_ text: String?) throws -> RateLimits {
        do {
            return try RateLimits(parsing: text ?? "")
        } catch {
            throw SettingError(description: "SNACKBASE_RATE_LIMITS: \(error.message)")
        }
    }

    static func backupScheduleSetting(_ text: String?) throws -> BackupSchedule? {
        guard let text else { return nil }
        do {
            return try BackupSchedule(parsing: text)
        } catch {
            throw SettingError(description: "SNACKBASE_BACKUP_SCHEDULE: \(error.description)")
        }
    }

    static func superadminSetting(_ settings: Settings) throws -> (email: String, password: String)? {
        guard let email = settings.string("SNACKBASE_SUPERADMIN_EMAIL") else { return nil }
        guard let password = settings.string("SNACKBASE_SUPERADMIN_PASSWORD") else {
            throw SettingError(description: "SNACKBASE_SUPERADMIN_PASSWORD is required with SNACKBASE_SUPERADMIN_EMAIL")
        }
        return (email, password)
    }

    private func serve(
        db: any Database, passwords: PasswordService, secret: [UInt8], superadmin: (email: String, password: String)?,
        host: String, port: Int, accessTTL: Int, refreshTTL: Int, permissionCacheTTL: Int, cors: CORSPolicy, rateLimits: RateLimits, mail: MailSettings,
        realtime: RealtimeSettings, onlyLoop: EventLoopExecutor?, backups: (folder: String, url: String?, schedule: BackupSchedule?, keep: Int), logger: Logger
    ) async throws {
        let onConnectionLoop = onlyLoop != nil
        if let superadmin {
            try await CreateSuperadminCommand.create(email: superadmin.email, password: superadmin.password, database: db, passwords: passwords, onlyIfAbsent: true)
        }
        let tokens = await TokenService(secret: secret, accessTTL: accessTTL, refreshTTL: refreshTTL)
        var services = AppServices(database: db, tokens: tokens, passwords: passwords, rateLimits: rateLimits, permissionCacheTTL: .seconds(permissionCacheTTL),
                                   metricsToken: Settings().string("SNACKBASE_METRICS_TOKEN"),
                                   secretSealer: try SecretSealer(secretKey: secret), realtime: realtime, logger: logger)
        services.mail = mail
        let catalog = BackupCatalog(folder: backups.folder, database: db, url: backups.url, logger: logger)
        services.backups = catalog
        let app = SnackBaseApplication.make(services: services, cors: cors, host: host, port: port, onConnectionLoop: onConnectionLoop)
        logger.info("server.start", metadata: ["host": .string(host), "port": .stringConvertible(port), "database": .string(db.kind.rawValue),
                                               "threads": .string(onConnectionLoop ? "one event loop" : "event loops and global executor")])
        // With PostgreSQL, other processes may share the database: listen for their cache invalidations.
        var group: [any Service] = [app, DenialSummaryService(services: services)]
        // First in the group, so it stops last: the mails of the last requests still go out.
        if let queue = mail.queue { group.insert(MailQueueService(queue: queue), at: 0) } else { logger.warning("mail.disabled: no SNACKBASE_SMTP_URL; no mail is sent and invitations are refused") }
        if services.changeFeed != nil { group.append(ChangeListenerService(services: services, executor: onlyLoop)) }
        if let schedule = backups.schedule { group.append(BackupScheduleService(catalog: catalog, schedule: schedule, keep: backups.keep)) }
        // Last, so it stops first: open streams get `closed: shutdown` before the server waits for its connections.
        group.append(RealtimeShutdownService(services: services))
        try await ServiceGroup(configuration: .init(services: group, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)).run()
    }
}

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "migrate", abstract: "Apply schema migrations and exit.")
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        try await reportingSettingErrors {
            let (db, _) = try await database.open(Settings(), logger: Logger(label: "snackbase"))
            await db.shutdown()
            print("migrations applied")
        }
    }
}

struct CreateSuperadminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create-superadmin", abstract: "Create a superadmin, or reset its password.")
    @Option(help: "E-mail of the superadmin.") var email: String
    @Option(help: "Password (at least 12 characters with upper, lower, digit and special character).") var password: String
    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        try await reportingSettingErrors {
            let settings = Settings()
            let parameters = try settings.argon2()
            let (db, _) = try await database.open(settings, logger: Logger(label: "snackbase"))
            let passwords = try PasswordService(parameters: parameters)
            let created: Bool
            do {
                created = try await Self.create(email: email, password: password, database: db, passwords: passwords, onlyIfAbsent: false)
            } catch {
                await passwords.shutdown()
                await db.shutdown()
                throw error
            }
            print(created ? "superadmin \(Validation.normalizedEmail(email)) created" : "superadmin \(Validation.normalizedEmail(email)) password reset")
            await passwords.shutdown()
            await db.shutdown()
        }
    }

    /// Creates (or, unless `onlyIfAbsent`, resets) a superadmin after checking the e-mail and password policy.
    @discardableResult
    static func create(email: String, password: String, database: any Database, passwords: PasswordService, onlyIfAbsent: Bool) async throws -> Bool {
        let email = Validation.normalizedEmail(email)
        guard Validation.isValidEmail(email) else { throw SettingError(description: "superadmin e-mail is not a valid address") }
        let problems = Validation.passwordProblems(password)
        guard problems.isEmpty else { throw SettingError(description: "superadmin password " + problems.joined(separator: ", ")) }
        if onlyIfAbsent, try await database.read({ db in try await SystemAccount.hasSuperadmin(email: email, on: db) }) {
            return false
        }
        let hash = try await passwords.hash(password)
        return try await database.transaction { db in try await SystemAccount.upsertSuperadmin(email: email, passwordHash: hash, on: db) }
    }
}

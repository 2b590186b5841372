import HTTPTypes
import Argon2
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOPosix
import SnackBaseAPI
import SnackBaseAuth
import SnackBaseMail
import SnackBaseCore
import SnackBaseService
import SnackBaseStore
import SnackBaseTesting
import NIOFoundationCompat

/// A response as tests see it: status, headers, and the body parsed on demand.
struct TestResponse: Sendable {
    let status: Int
    let headers: HTTPFields
    let data: Data

    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:] }
    subscript(key: String) -> Any? { json[key] }
    func string(_ path: String...) -> String? { value(path) as? String }
    func int(_ path: String...) -> Int? { value(path) as? Int }
    func array(_ path: String...) -> [Any]? { value(path) as? [Any] }
    func bool(_ path: String...) -> Bool? { value(path) as? Bool }

    func value(_ path: [String]) -> Any? {
        var current: Any? = json
        for key in path { current = (current as? [String: Any])?[key] }
        return current
    }
}

/// A whole SnackBase app on a fresh SQLite database in a temporary folder, driven through
/// Hummingbird's in-memory test client.
struct TestApp: Sendable {
    let services: AppServices
    let client: any TestClientProtocol

    static let tinyArgon2 = Argon2Parameters(memoryKiB: 64, iterations: 1, parallelism: 1)
    static let secret = Array("test-secret-key-that-is-long-enough-0123456789".utf8)
    static let password = "Correct-Horse-9-battery"
    /// The defaults, but registrations as many as a test makes (the limit's own tests use the defaults).
    static let rateLimits: RateLimits = {
        var limits = RateLimits()
        limits.register = .init(100_000, per: 3600)
        limits.passwordResetIdentity = .init(100_000, per: 3600)
        limits.passwordResetAddress = .init(100_000, per: 3600)
        limits.verifyEmail = .init(100_000, per: 60)
        limits.acceptInvitation = .init(100_000, per: 60)
        return limits
    }()

    /// Runs `body` against a new app on each test database (SQLite always; PostgreSQL when
    /// `SNACKBASE_TEST_POSTGRES_URL` is set); each database is new and removed afterwards.
    static func run(
        argon2: Argon2Parameters = tinyArgon2,
        limiter: @autoclosure () -> LoginRateLimiter? = nil,
        rateLimits: RateLimits = TestApp.rateLimits,
        cors: CORSPolicy = .sameOriginOnly,
        live: Bool = false,
        oneLoop: Bool = false,
        logger: Logger = TestDatabase.logger,
        mail: (@Sendable () throws -> MailSettings)? = nil,
        realtime: RealtimeSettings = RealtimeSettings(),
        _ body: @Sendable (TestApp) async throws -> Void
    ) async throws {
        for kind in TestDatabase.kinds {
            // `oneLoop`: as `serve` runs with one CPU: one event loop, and the handlers and SQLite's writer on it.
            let group = oneLoop ? MultiThreadedEventLoopGroup(numberOfThreads: 1) : nil
            let loop = group.flatMap { EventLoopExecutor.onlyLoop(of: $0) }
            do {
                try await TestDatabase.with(kind, logger: logger, writerExecutor: loop) { database in
                    do {
                        try await run(database: database, argon2: argon2, limiter: limiter(), rateLimits: rateLimits, cors: cors, live: live, loop: group,
                                      logger: logger, mail: mail, realtime: realtime, body)
                    } catch {
                        throw TestFailure("[\(kind.rawValue)] \(error)")
                    }
                }
            } catch {
                try? await group?.shutdownGracefully()
                throw error
            }
            try await group?.shutdownGracefully()
        }
    }

    /// An app on `database` (which the caller opened and closes), over real HTTP when `live`.
    /// `configure` adjusts the services before the app is built.
    static func run(on database: any Database, live: Bool = true, configure: (inout AppServices) -> Void = { _ in },
                    _ body: @Sendable (TestApp) async throws -> Void) async throws {
        try await run(database: database, argon2: tinyArgon2, limiter: nil, rateLimits: rateLimits, cors: .sameOriginOnly, live: live,
                      configure: configure, body)
    }

    private static func run(
        database: any Database, argon2: Argon2Parameters, limiter: LoginRateLimiter?, rateLimits: RateLimits, cors: CORSPolicy, live: Bool,
        loop: MultiThreadedEventLoopGroup? = nil, logger: Logger = TestDatabase.logger, mail: (@Sendable () throws -> MailSettings)? = nil,
        realtime: RealtimeSettings = RealtimeSettings(), configure: (inout AppServices) -> Void = { _ in },
        _ body: @Sendable (TestApp) async throws -> Void
    ) async throws {
        try await Migrator.migrate(database)
        try await database.transaction { db in try await SystemAccount.ensure(on: db) }
        let passwords = try PasswordService(parameters: argon2)
        // With one loop, as `serve`: the realtime hub's tasks and the change listener run on it.
        let loopExecutor = loop.flatMap { EventLoopExecutor.onlyLoop(of: $0) }
        var realtime = realtime
        if realtime.executor == nil { realtime.executor = loopExecutor }
        var built = AppServices(
            database: database, tokens: await TokenService(secret: secret), passwords: passwords,
            rateLimits: rateLimits, loginLimiter: limiter, secretSealer: try SecretSealer(secretKey: secret), realtime: realtime, logger: logger
        )
        // `mail`: made anew for each database, its queue running for the test's length.
        if let mail { built.mail = try mail() }
        configure(&built)
        let services = built
        let queue = services.mail.queue
        let queueTask = Task { await queue?.run() }
        defer { queueTask.cancel() }
        // On PostgreSQL, as `serve` does: the listener that receives record changes (realtime) and
        // invalidations, up before the test starts writing.
        let listener = await TestApp.listening(services, on: loopExecutor)
        defer { listener?.cancel() }
        // `live`: a server on a free port of 127.0.0.1, built as the `serve` command builds it.
        let app = Application(
            router: SnackBaseApplication.router(services: services, cors: cors), server: SnackBaseApplication.server(onConnectionLoop: loop != nil),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            eventLoopGroupProvider: loop.map { .shared($0) } ?? .singleton, logger: logger
        )
        do {
            try await app.test(live ? .live : .router) { client in
                do {
                    try await body(TestApp(services: services, client: client))
                } catch {
                    await services.realtime.shutdown()
                    throw error
                }
                // Open streams end before the server waits for its connections.
                await services.realtime.shutdown()
            }
        } catch {
            await services.mail.background.waitForAll()
            await queue?.shutdown()
            await passwords.shutdown()
            throw error
        }
        await services.mail.background.waitForAll()
        await queue?.shutdown()
        await passwords.shutdown()
    }

    /// Starts `services`' change listener where there is one (PostgreSQL) and returns once it listens.
    static func listening(_ services: AppServices, on executor: EventLoopExecutor? = nil) async -> Task<Void, Never>? {
        guard services.changeFeed != nil else { return nil }
        let (ready, signal) = AsyncStream.makeStream(of: Void.self)
        let task = Task(executorPreference: executor) { await services.listenForChanges(onListening: { signal.yield() }) }
        for await _ in ready { break }
        return task
    }

    @discardableResult
    func request(
        _ method: HTTPRequest.Method, _ path: String, json: String? = nil, token: String? = nil,
        headers extra: HTTPFields = [:]
    ) async throws -> TestResponse {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        if json != nil { headers[.contentType] = "application/json" }
        return try await client.execute(uri: path, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) }) { response in
            TestResponse(status: Int(response.status.code), headers: response.headers, data: Data(buffer: response.body))
        }
    }

    /// A registered account with its first (admin) user.
    struct Tenant: Sendable {
        let accountID: String
        let slug: String
        let userID: String
        let email: String
        let token: String
        let refreshToken: String
    }

    func register(_ slug: String, email: String? = nil) async throws -> Tenant {
        let email = email ?? "admin@\(slug).test"
        let response = try await request(.post, "/api/v1/auth/register", json: """
            {"account_name": "\(slug) Inc", "account_slug": "\(slug)", "email": "\(email)", "password": "\(Self.password)"}
            """)
        guard response.status == 201, let accountID = response.string("account", "id"), let userID = response.string("user", "id"),
              let token = response.string("token"), let refresh = response.string("refresh_token")
        else { throw TestFailure("register \(slug) answered \(response.status): \(String(decoding: response.data, as: UTF8.self))") }
        return Tenant(accountID: accountID, slug: slug, userID: userID, email: email, token: token, refreshToken: refresh)
    }

    func login(_ account: String, _ email: String, password: String = TestApp.password) async throws -> TestResponse {
        try await request(.post, "/api/v1/auth/login", json: #"{"account": "\#(account)", "email": "\#(email)", "password": "\#(password)"}"#)
    }

    /// A superadmin's access token.
    func superadminToken() async throws -> String {
        let hash = try await services.passwords.hash(Self.password)
        try await services.database.transaction { db in
            try await SystemAccount.upsertSuperadmin(email: "root@snackbase.test", passwordHash: hash, on: db)
        }
        let response = try await login("system", "root@snackbase.test")
        guard let token = response.string("token") else { throw TestFailure("superadmin login failed: \(response.status)") }
        return token
    }
}

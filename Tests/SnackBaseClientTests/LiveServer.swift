import Argon2
import Foundation
import Hummingbird
import HummingbirdTesting
import SnackBaseAPI
import SnackBaseAuth
import SnackBaseClient
import SnackBaseService
import SnackBaseStore
import SnackBaseTesting

/// A SnackBase server on a free port of 127.0.0.1, as `serve` builds it, on a fresh database of each
/// test kind (SQLite always, PostgreSQL when `SNACKBASE_TEST_POSTGRES_URL` is set). The client under test
/// reaches it over real HTTP, as an app would.
struct LiveServer: Sendable {
    let url: URL
    let services: AppServices
    let kind: DatabaseKind

    static let password = "Correct-Horse-9-battery"
    static let superadminEmail = "root@snackbase.test"

    /// - Parameters:
    ///   - accessTTL: access-token lifetime in seconds (short ones exercise refreshing and `token expired`).
    ///   - limits: adjusts the rate limits (registrations are unlimited for the tests' sake).
    static func run(accessTTL: Int = 3600, limits: (inout RateLimits) -> Void = { _ in },
                    _ body: @Sendable (LiveServer) async throws -> Void) async throws {
        var rateLimits = RateLimits()
        rateLimits.register = .init(100_000, per: 3600)
        limits(&rateLimits)
        for kind in TestDatabase.kinds {
            try await TestDatabase.with(kind) { database in
                try await Migrator.migrate(database)
                let secret = Array("client-tests-secret-key-long-enough-0123456789".utf8)
                let passwords = try PasswordService(parameters: Argon2Parameters(memoryKiB: 64, iterations: 1, parallelism: 1))
                let services = AppServices(
                    database: database, tokens: await TokenService(secret: secret, accessTTL: accessTTL), passwords: passwords,
                    rateLimits: rateLimits, secretSealer: try SecretSealer(secretKey: secret), logger: TestDatabase.logger
                )
                let hash = try await passwords.hash(password)
                try await database.transaction { db in
                    try await SystemAccount.ensure(on: db)
                    _ = try await SystemAccount.upsertSuperadmin(email: superadminEmail, passwordHash: hash, on: db)
                }
                let app = SnackBaseApplication.make(services: services, cors: .sameOriginOnly, host: "127.0.0.1", port: 0)
                let listener = await startListener(services)
                do {
                    try await serve(app, services: services, kind: kind, body)
                } catch {
                    listener?.cancel()
                    await passwords.shutdown()
                    throw error
                }
                listener?.cancel()
                await passwords.shutdown()
            }
        }
    }

    /// On PostgreSQL, as `serve` does: the change listener (cache invalidations, and record changes for the
    /// realtime streams), listening before the test writes anything. Nil on SQLite, which needs none.
    private static func startListener(_ services: AppServices) async -> Task<Void, Never>? {
        guard services.changeFeed != nil else { return nil }
        let listening = AsyncStream<Void>.makeStream()
        let task = Task { await services.listenForChanges(onListening: { listening.continuation.yield() }) }
        var ready = listening.stream.makeAsyncIterator()
        _ = await ready.next()
        return task
    }

    private static func serve(_ app: some ApplicationProtocol, services: AppServices, kind: DatabaseKind,
                              _ body: @Sendable (LiveServer) async throws -> Void) async throws {
        try await app.test(.live) { client in
            guard let port = client.port else { throw TestFailure("the live test server has no port") }
            let server = LiveServer(url: URL(string: "http://127.0.0.1:\(port)")!, services: services, kind: kind)
            // Open streams end before the server waits for its connections, also when the body fails.
            do { try await body(server) } catch {
                await services.realtime.shutdown()
                throw TestFailure("[\(kind.rawValue)] \(error)")
            }
            await services.realtime.shutdown()
        }
    }

    /// A client with nobody signed in.
    func client(apiKey: String? = nil, account: String? = nil) -> SnackBaseClient {
        SnackBaseClient(baseURL: url, apiKey: apiKey, account: account)
    }

    /// The superadmin, signed in.
    func superadmin() async throws -> SnackBaseClient {
        let client = client()
        try await client.auth.login(account: "SY0000", email: Self.superadminEmail, password: Self.password)
        return client
    }

    /// A new account's admin, signed in by registering.
    func register(_ slug: String) async throws -> SnackBaseClient {
        let client = client()
        try await client.auth.register(accountName: "\(slug) Inc", accountSlug: slug, email: "admin@\(slug).test", password: Self.password)
        return client
    }

    /// A collection `posts` (title required, status, views) created by the superadmin.
    func createPosts() async throws {
        try await superadmin().collections.create([
            "name": "posts",
            "schema": ["fields": [
                ["name": "title", "type": "text", "required": true],
                ["name": "status", "type": "text"],
                ["name": "views", "type": "number"],
            ]],
        ] as JSONValue)
    }
}

/// A post as an app would declare it.
struct Post: Codable, Sendable, Equatable {
    var id: String?
    var title: String
    var status: String?
    var views: Int?
    var createdAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, title, status, views
        case createdAt = "created_at"
    }

    init(title: String, status: String? = nil, views: Int? = nil) {
        self.title = title
        self.status = status
        self.views = views
    }
}

/// Waits up to `seconds` for `condition`, polling (no wall-clock assertion: only a generous bound).
func eventually(_ seconds: Double = 20, _ condition: @Sendable () async -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return await condition()
}

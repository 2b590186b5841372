import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SnackBaseAPI
import SnackBaseAuth
import SnackBaseCore
import SnackBaseService
import SnackBaseStore
import SnackBaseTesting
import Testing

@Suite("Metrics: /metrics in Prometheus text format")
struct MetricsTests {
    /// The value of the sample `name{labels}` (labels as written by the registry), or nil.
    static func sample(_ text: String, _ series: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    @Test("MET-001 requests, denials by reason, cross-account and escalation attempts, login failures, rate limits and cache counters")
    func counters() async throws {
        try await TestApp.run(limiter: LoginRateLimiter(perIdentity: .init(failures: 2, window: 60))) { app in
            let root = try await app.superadminToken()
            let acme = try await app.register("acme")
            try await app.createCollection("notes", fields: #"[{"name":"title","type":"text"}]"#, root: root)
            let viewer = try await app.user("vic@acme.test", roles: ["viewer"], in: acme)
            let created = try await app.request(.post, "/api/v1/records/notes", json: #"{"title":"a"}"#, token: acme.token)
            let recordID = try #require(created.string("id"))
            _ = try await app.request(.get, "/api/v1/records/notes/\(recordID)", token: viewer.token)
            _ = try await app.request(.get, "/api/v1/records/notes/\(recordID)", token: viewer.token)
            #expect(try await app.request(.post, "/api/v1/records/notes", json: #"{"title":"b"}"#, token: viewer.token).status == 403)
            #expect(try await app.request(.get, "/api/v1/users?account_id=ZZ0001", token: acme.token).status == 403)
            #expect(try await app.request(.get, "/api/v1/users", token: viewer.token).status == 403)
            #expect(try await app.request(.get, "/api/v1/users", token: "garbage").status == 401)
            for _ in 0..<3 { _ = try await app.login("acme", acme.email, password: "Wrong-password-1!") }

            let response = try await app.request(.get, "/metrics")
            #expect(response.status == 200)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
            let text = response.text
            #expect(Self.sample(text, #"snackbase_authz_denials_total{reason="forbidden"}"#) == 1)
            #expect(Self.sample(text, #"snackbase_authz_denials_total{reason="cross_account"}"#) == 1)
            #expect(Self.sample(text, #"snackbase_authz_denials_total{reason="escalation"}"#) == 1)
            #expect(Self.sample(text, #"snackbase_authz_denials_total{reason="unauthenticated"}"#) == 1)
            #expect(Self.sample(text, "snackbase_cross_account_attempts_total") == 1)
            #expect(Self.sample(text, "snackbase_escalation_attempts_total") == 1)
            #expect(Self.sample(text, "snackbase_login_failures_total") == 2)
            #expect(Self.sample(text, "snackbase_rate_limit_hits_total") == 1)
            #expect((Self.sample(text, "snackbase_permission_cache_hits_total") ?? 0) >= 1)
            #expect((Self.sample(text, "snackbase_permission_cache_misses_total") ?? 0) >= 1)
            #expect(text.contains(#"snackbase_http_requests_total{method="POST",route="/api/v1/records/{collection}",status="201"}"#))
            #expect(text.contains(#"snackbase_http_requests_total{method="GET",route="/api/v1/records/{collection}/{id}",status="200"}"#))
            #expect(text.contains("snackbase_http_request_duration_seconds_bucket{"))
            // No tenant, user or record ids, nor raw paths, in any label.
            for secret in [acme.accountID, acme.userID, viewer.id, recordID, "/notes"] {
                #expect(!text.contains(secret), "\(secret) appears in /metrics")
            }
            // A second scrape adds only what is new to the cache counters.
            let hits = Self.sample(text, "snackbase_permission_cache_hits_total") ?? 0
            let again = try await app.request(.get, "/metrics").text
            #expect(Self.sample(again, "snackbase_permission_cache_hits_total") == hits)
        }
    }

    @Test("MET-002 with SNACKBASE_METRICS_TOKEN set, /metrics needs it as a bearer, or a signed-in superadmin's token")
    func token() async throws {
        try await TestDatabase.with(.sqlite) { database in
            try await Migrator.migrate(database)
            try await database.transaction { db in try await SystemAccount.ensure(on: db) }
            let passwords = try PasswordService(parameters: TestApp.tinyArgon2)
            let services = AppServices(database: database, tokens: await TokenService(secret: TestApp.secret), passwords: passwords,
                                       metricsToken: "scrape-me-0123456789", logger: TestDatabase.logger)
            let app = Application(router: SnackBaseApplication.router(services: services), logger: TestDatabase.logger)
            do {
                try await app.test(.router) { client in
                    func status(_ authorization: String?) async throws -> Int {
                        var headers = HTTPFields()
                        if let authorization { headers[.authorization] = authorization }
                        return try await client.execute(uri: "/metrics", method: .get, headers: headers) { Int($0.status.code) }
                    }
                    #expect(try await status(nil) == 401)
                    #expect(try await status("Bearer wrong") == 401)
                    #expect(try await status("Bearer scrape-me-012345678") == 401)
                    #expect(try await status("Bearer scrape-me-0123456789") == 200)
                    // The console's overview: a signed-in superadmin's own token is admitted; an account admin's is not.
                    func token(_ path: String, _ json: String) async throws -> String {
                        try await client.execute(uri: path, method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: json)) { response in
                            let object = try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8)) as? [String: Any]
                            return try #require(object?["token"] as? String, "\(path): \(response.status)")
                        }
                    }
                    let hash = try await passwords.hash(TestApp.password)
                    try await database.transaction { db in try await SystemAccount.upsertSuperadmin(email: "root@snackbase.test", passwordHash: hash, on: db) }
                    let root = try await token("/api/v1/auth/login", #"{"account":"system","email":"root@snackbase.test","password":"\#(TestApp.password)"}"#)
                    let admin = try await token("/api/v1/auth/register", #"{"account_name":"Acme","account_slug":"acme","email":"a@acme.test","password":"\#(TestApp.password)"}"#)
                    #expect(try await status("Bearer " + root) == 200)
                    #expect(try await status("Bearer " + admin) == 401)
                    // A scraper's failures are not audit denials.
                    let entries = try await database.read { db in try await AuditLog.list(AuditFilter(account: nil), skip: 0, limit: 100, on: db) }
                    #expect(entries.items.allSatisfy { $0.outcome != "denied" }, "\(entries.items.map(\.action))")
                }
            } catch {
                await passwords.shutdown()
                throw error
            }
            await passwords.shutdown()
        }
    }
}

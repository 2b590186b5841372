import Foundation
import HTTPTypes
import Logging
import SnackBaseAuth
import SnackBaseCore
import SnackBaseService
import SnackBaseStore
import SQLKit
import SnackBaseTesting
import Synchronization
import Testing

/// API keys (identity.md): principals of their own that hold roles, on both databases.
@Suite("API keys")
struct APIKeyTests {
    static let apiKeyHeader = HTTPField.Name("X-API-Key")!

    /// Creates a key in the tenant as its admin; returns the whole answer.
    static func createKey(_ app: TestApp, _ tenant: TestApp.Tenant, name: String = "ci", roles: [String], expiresAt: String? = nil) async throws -> TestResponse {
        let rolesJSON = "[" + roles.map { "\"\($0)\"" }.joined(separator: ",") + "]"
        let expiry = expiresAt.map { #","expires_at":"\#($0)""# } ?? ""
        let response = try await app.request(.post, "/api/v1/api-keys", json: #"{"name":"\#(name)","roles":\#(rolesJSON)\#(expiry)}"#, token: tenant.token)
        guard response.status == 201 else { throw TestFailure("create key: \(response.status) \(response.text)") }
        return response
    }

    static func notes(_ app: TestApp) async throws {
        let root = try await app.superadminToken()
        try await app.createCollection("notes", fields: #"[{"name":"title","type":"text"}]"#, root: root)
    }

    @Test("KEY-001: an editor key creates and reads, is denied delete with the seed's 403, and owns what it created")
    func editorKey() async throws {
        try await TestApp.run { app in
            try await Self.notes(app)
            let acme = try await app.register("acme")
            let created = try await Self.createKey(app, acme, roles: ["editor"])
            let key = try #require(created.string("key"))
            let keyID = try #require(created.string("id"))
            #expect(key.hasPrefix("sb_ak_") && key.count >= 6 + 43)
            #expect(keyID.hasPrefix("key_"))
            #expect(created.string("prefix") == String(key.prefix(12)))
            #expect(created.array("roles") as? [String] == ["editor"])
            #expect(created.string("created_by") == acme.userID)

            // Bearer and X-API-Key both work; the key is the author.
            let note = try await app.request(.post, "/api/v1/records/notes", json: #"{"title":"by key"}"#, token: key)
            #expect(note.status == 201, "\(note.text)")
            #expect(note.string("created_by") == keyID)
            let noteID = try #require(note.string("id"))
            let read = try await app.request(.get, "/api/v1/records/notes/\(noteID)", headers: [Self.apiKeyHeader: key])
            #expect(read.status == 200, "\(read.text)")
            let update = try await app.request(.patch, "/api/v1/records/notes/\(noteID)", json: #"{"title":"again"}"#, token: key)
            #expect(update.status == 200)
            #expect(update.string("updated_by") == keyID)
            let delete = try await app.request(.delete, "/api/v1/records/notes/\(noteID)", token: key)
            #expect(delete.status == 403)
            #expect(delete.string("message") == "You cannot delete notes")

            // @owns_record() holds for what the key created, and only that.
            try await app.role(#"{"name":"owner_only","permissions":[{"collection":"notes","read":true,"update":true,"rules":{"update":"@owns_record()"}}]}"#, in: acme)
            let ownerKey = try #require(try await Self.createKey(app, acme, name: "owner", roles: ["owner_only", "editor"]).string("key"))
            let mine = try await app.request(.post, "/api/v1/records/notes", json: #"{"title":"mine"}"#, token: ownerKey)
            let mineID = try #require(mine.string("id"))
            let theirs = try await app.request(.post, "/api/v1/records/notes", json: #"{"title":"theirs"}"#, token: acme.token)
            let theirsID = try #require(theirs.string("id"))
            let restricted = try #require(try await Self.createKey(app, acme, name: "restricted", roles: ["owner_only"]).string("key"))
            let own = try await app.request(.post, "/api/v1/records/notes", json: #"{"title":"x"}"#, token: restricted)
            #expect(own.status == 403, "owner_only cannot create: \(own.status)")
            let updateMine = try await app.request(.patch, "/api/v1/records/notes/\(mineID)", json: #"{"title":"ok"}"#, token: ownerKey)
            #expect(updateMine.status == 200)
            let updateTheirs = try await app.request(.patch, "/api/v1/records/notes/\(theirsID)", json: #"{"title":"no"}"#, token: restricted)
            #expect(updateTheirs.status == 403, "\(updateTheirs.text)")

            // /auth/me says it is a key.
            let me = try await app.request(.get, "/api/v1/auth/me", token: key)
            #expect(me.status == 200)
            #expect(me.string("user_id") == keyID)
            #expect(me.json["email"] is NSNull, "email is null: \(me.text)")
            #expect(me.bool("api_key") == true)
            #expect(me.bool("is_superadmin") == false)
            #expect(me.array("roles") as? [String] == ["editor"])
        }
    }

    @Test("KEY-002: a key's roles are resolved per request: deleting its role applies at once")
    func rolesPerRequest() async throws {
        try await TestApp.run { app in
            try await Self.notes(app)
            let acme = try await app.register("acme")
            let role = try await app.role(#"{"name":"writer","permissions":[{"collection":"notes","create":true,"read":true}]}"#, in: acme)
            let roleID = try #require(role.string("id"))
            let key = try #require(try await Self.createKey(app, acme, roles: ["writer"]).string("key"))
            #expect(try await app.request(.post, "/api/v1/records/notes", json: #"{"title":"a"}"#, token: key).status == 201)
            #expect(try await app.request(.delete, "/api/v1/roles/\(roleID)", token: acme.token).status == 204)
            let after = try await app.request(.post, "/api/v1/records/notes", json: #"{"title":"b"}"#, token: key)
            #expect(after.status == 403, "\(after.text)")
        }
    }

    @Test("KEY-003: a revoked key and an expired key are 401 on the next request")
    func revokedAndExpired() async throws {
        try await TestApp.run { app in
            let acme = try await app.register("acme")
            let created = try await Self.createKey(app, acme, roles: ["viewer"])
            let key = try #require(created.string("key"))
            let id = try #require(created.string("id"))
            #expect(try await app.request(.get, "/api/v1/auth/me", token: key).status == 200)
            #expect(try await app.request(.get, "/api/v1/auth/me", token: key).status == 200)
            #expect(try await app.request(.delete, "/api/v1/api-keys/\(id)", token: acme.token).status == 204)
            #expect(try await app.request(.get, "/api/v1/auth/me", token: key).status == 401)
            #expect(try await app.request(.get, "/api/v1/auth/me", headers: [Self.apiKeyHeader: key]).status == 401)
            let shown = try await app.request(.get, "/api/v1/api-keys/\(id)", token: acme.token)
            #expect(shown.string("revoked_at") != nil)

            // Expired: a key whose expiry has passed (written directly, as time passing would).
            let short = try await Self.createKey(app, acme, name: "short", roles: ["viewer"], expiresAt: "2999-01-01T00:00:00Z")
            let shortKey = try #require(short.string("key"))
            let shortID = try #require(short.string("id"))
            #expect(short.string("expires_at") == "2999-01-01T00:00:00.000Z")
            #expect(try await app.request(.get, "/api/v1/auth/me", token: shortKey).status == 200)
            try await app.services.database.transaction { db in
                try await RowSecurity.bypassing(.tamperingForTests, on: db) { db in
                    try await db.raw("UPDATE api_keys SET expires_at = \(bind: "2000-01-01T00:00:00.000Z") WHERE id = \(bind: shortID)").run()
                }
            }
            #expect(try await app.request(.get, "/api/v1/auth/me", token: shortKey).status == 401)
            let past = try await app.request(.post, "/api/v1/api-keys", json: #"{"name":"old","roles":[],"expires_at":"2000-01-01T00:00:00Z"}"#, token: acme.token)
            #expect(past.status == 422)
        }
    }

    @Test("KEY-004: a key cannot manage keys, change role assignments, turn off two-factor or reach superadmin routes, even an admin key of the system account")
    func keyLimits() async throws {
        try await TestApp.run { app in
            try await Self.notes(app)
            let acme = try await app.register("acme")
            let admin = try #require(try await Self.createKey(app, acme, roles: ["admin"]).string("key"))
            let editor = try #require(try await Self.createKey(app, acme, name: "editor", roles: ["editor"]).string("key"))
            let viewer = try await app.user("viewer@acme.test", roles: ["viewer"], in: acme)
            let attempts: [(HTTPRequest.Method, String, String?)] = [
                (.post, "/api/v1/api-keys", #"{"name":"child","roles":["admin"]}"#),
                (.get, "/api/v1/api-keys", nil),
                (.patch, "/api/v1/users/\(viewer.id)", #"{"roles":["admin"]}"#),
                (.patch, "/api/v1/users/\(viewer.id)", #"{"password":"New-Password-123!"}"#),
                (.post, "/api/v1/users", #"{"email":"new@acme.test","password":"\#(TestApp.password)","roles":["admin"]}"#),
                (.delete, "/api/v1/users/\(viewer.id)/mfa", nil),
                (.get, "/api/v1/accounts", nil),
                (.post, "/api/v1/collections", #"{"name":"evil","schema":{"fields":[]}}"#),
            ]
            for key in [admin, editor] {
                for (method, path, body) in attempts {
                    let response = try await app.request(method, path, json: body, token: key)
                    #expect(response.status == 403, "\(method) \(path): \(response.status) \(response.text)")
                }
            }
            // The viewer still has its roles.
            let shown = try await app.request(.get, "/api/v1/users/\(viewer.id)", token: acme.token)
            #expect(shown.array("roles") as? [String] == ["viewer"])
            // An admin key may still do account administration its role grants: reading users, /permissions/check.
            #expect(try await app.request(.get, "/api/v1/users", token: admin).status == 200)
            let check = try await app.request(.post, "/api/v1/permissions/check",
                                              json: #"{"user_id":"\#(viewer.id)","collection":"notes","operation":"read"}"#, token: admin)
            #expect(check.status == 200, "\(check.text)")

            // A key of the system account is not a superadmin.
            let root = try await app.superadminToken()
            let systemKey = try await app.request(.post, "/api/v1/api-keys", json: #"{"name":"sys","roles":[]}"#, token: root)
            #expect(systemKey.status == 201, "\(systemKey.text)")
            let sys = try #require(systemKey.string("key"))
            let me = try await app.request(.get, "/api/v1/auth/me", token: sys)
            #expect(me.bool("is_superadmin") == false)
            #expect(try await app.request(.get, "/api/v1/accounts", token: sys).status == 403)
            #expect(try await app.request(.get, "/api/v1/users?account_id=\(acme.accountID)", token: sys).status == 403)
        }
    }

    @Test("KEY-005: unknown keys count toward the per-address login limit: 401, then 429")
    func unknownKeysLimited() async throws {
        // Live: a real connection, so the caller has an address (127.0.0.1). A new limiter per database.
        try await TestApp.run(limiter: LoginRateLimiter(perIdentity: .init(failures: 5, window: 900), perAddress: .init(failures: 3, window: 900)),
                              live: true) { app in
            let acme = try await app.register("acme")
            let good = try #require(try await Self.createKey(app, acme, roles: ["viewer"]).string("key"))
            for _ in 0..<3 {
                let unknown = APIKeySecret.generate().key
                let response = try await app.request(.get, "/api/v1/auth/me", token: unknown)
                #expect(response.status == 401)
            }
            let limited = try await app.request(.get, "/api/v1/auth/me", headers: [Self.apiKeyHeader: APIKeySecret.generate().key])
            #expect(limited.status == 429)
            #expect(limited.headers[.retryAfter] != nil)
            // A malformed key is an unknown key too.
            #expect(try await app.request(.get, "/api/v1/auth/me", token: "sb_ak_short").status == 429)
            _ = good
        }
    }

    @Test("KEY-006: no key or digest in any answer after creation, in the audit export or in the server log")
    func secretsStayHidden() async throws {
        let lines = LogLines()
        var logger = Logger(label: "capture") { _ in LogLines.Handler(lines: lines) }
        logger.logLevel = .info
        try await TestApp.run(logger: logger) { app in
            let acme = try await app.register("acme")
            let created = try await Self.createKey(app, acme, roles: ["editor"])
            let key = try #require(created.string("key"))
            let id = try #require(created.string("id"))
            let digest = APIKeySecret.digest(of: key)
            _ = try await app.request(.get, "/api/v1/auth/me", token: key)
            _ = try await app.request(.post, "/api/v1/api-keys", json: #"{"name":"x","roles":["admin"]}"#, token: key)
            _ = try await app.request(.delete, "/api/v1/api-keys/\(id)", token: acme.token)
            _ = try await app.request(.get, "/api/v1/auth/me", token: key)
            var answers: [String] = []
            answers.append(try await app.request(.get, "/api/v1/api-keys", token: acme.token).text)
            answers.append(try await app.request(.get, "/api/v1/api-keys/\(id)", token: acme.token).text)
            answers.append(try await app.request(.get, "/api/v1/audit-logs/export?format=jsonl", token: acme.token).text)
            answers.append(try await app.request(.get, "/api/v1/audit-logs?limit=100", token: acme.token).text)
            let export = answers[2]
            #expect(export.contains("api_key.create") && export.contains("api_key.revoke"), "\(export)")
            let stored = try await app.services.database.read { db in
                try await RowSecurity.bypassing(.tamperingForTests, on: db) { db in
                    try await db.raw("SELECT digest FROM api_keys WHERE id = \(bind: id)").first()?.decode(column: "digest", as: String.self)
                }
            }
            #expect(stored == digest, "the store holds the digest")
            let keyBody = String(key.dropFirst(12))
            for text in answers + lines.all {
                #expect(!text.contains(keyBody), "the key leaked: \(text)")
                #expect(!text.contains(digest), "the digest leaked: \(text)")
            }
        }
    }
}

/// Every log line (message and metadata) a logger wrote.
final class LogLines: Sendable {
    private let box = Mutex<[String]>([])
    var all: [String] { box.withLock { $0 } }
    func append(_ line: String) { box.withLock { $0.append(line) } }

    struct Handler: LogHandler {
        let lines: LogLines
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            lines.append("\(event.level) \(event.message) \(metadata.merging(event.metadata ?? [:]) { $1 })")
        }
    }
}

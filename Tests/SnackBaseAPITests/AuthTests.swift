import HTTPTypes
import Argon2
import Crypto
import Foundation
import JWTKit
import SnackBaseAuth
import SnackBaseCore
import SnackBaseService
import SnackBaseStore
import Testing

@Suite("Authentication: register, login, tokens")
struct AuthTests {
    @Test("register creates the account, its default roles and an admin user")
    func register() async throws {
        try await TestApp.run { app in
            let response = try await app.request(.post, "/api/v1/auth/register", json: """
                {"account_name": "Acme Corp", "email": "Alice@Acme.test", "password": "\(TestApp.password)"}
                """)
            #expect(response.status == 201)
            #expect(response.string("account", "slug") == "acme-corp")
            #expect(AccountID(response.string("account", "id") ?? "") != nil)
            #expect(response.string("user", "email") == "alice@acme.test")
            #expect(response.array("user", "roles") as? [String] == ["admin"])
            #expect(response.bool("user", "is_active") == true)
            #expect(response.int("expires_in") == 3600)
            #expect(response.string("user", "id")?.hasPrefix("usr_") == true)
            let text = String(decoding: response.data, as: UTF8.self)
            #expect(!text.contains("password"))
            let accountID = try #require(AccountID(response.string("account", "id") ?? ""))
            let roles = try await app.services.database.read { db in try await RoleRepository.all(in: AccountScope(accountID), on: db) }
            #expect(Set(roles.map(\.name)) == ["admin", "editor", "viewer", "anonymous"])
        }
    }

    struct BadRegistration: Sendable, CustomTestStringConvertible {
        let name: String
        let body: String
        let status: Int
        let field: String?
        var testDescription: String { name }
    }

    static let badRegistrations: [BadRegistration] = [
        .init(name: "short password", body: #"{"account_name":"A","email":"a@b.test","password":"Short-1a"}"#, status: 422, field: "password"),
        .init(name: "password without digit", body: #"{"account_name":"A","email":"a@b.test","password":"No-digits-here-at-all"}"#, status: 422, field: "password"),
        .init(name: "password without special", body: #"{"account_name":"A","email":"a@b.test","password":"NoSpecial1234abc"}"#, status: 422, field: "password"),
        .init(name: "password without upper", body: #"{"account_name":"A","email":"a@b.test","password":"no-upper-1234abc"}"#, status: 422, field: "password"),
        .init(name: "bad email", body: #"{"account_name":"Acme","email":"not-an-email","password":"Correct-Horse-9-battery"}"#, status: 422, field: "email"),
        .init(name: "bad slug", body: #"{"account_name":"Acme","account_slug":"9-bad","email":"a@b.test","password":"Correct-Horse-9-battery"}"#, status: 422, field: "account_slug"),
        .init(name: "missing email", body: #"{"account_name":"Acme","password":"Correct-Horse-9-battery"}"#, status: 422, field: "email"),
        .init(name: "wrong type", body: #"{"account_name":5,"email":"a@b.test","password":"Correct-Horse-9-battery"}"#, status: 422, field: "account_name"),
        .init(name: "malformed JSON", body: #"{"account_name":"#, status: 400, field: nil),
        .init(name: "key named twice", body: #"{"account_name":"A","email":"a@b.test","email":"c@d.test","password":"Correct-Horse-9-battery"}"#, status: 400, field: "body"),
        .init(name: "trailing comma", body: #"{"account_name":"A","email":"a@b.test","password":"Correct-Horse-9-battery",}"#, status: 400, field: "body"),
    ]

    @Test("bad registrations are refused with the right status and field", arguments: badRegistrations)
    func badRegistration(_ scenario: BadRegistration) async throws {
        try await TestApp.run { app in
            let response = try await app.request(.post, "/api/v1/auth/register", json: scenario.body)
            #expect(response.status == scenario.status)
            #expect(response.string("error") != nil && response.string("message") != nil)
            if let field = scenario.field {
                let fields = (response.array("details") as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
                #expect(fields.contains(field))
            }
        }
    }

    @Test("a taken slug is a 409")
    func duplicateSlug() async throws {
        try await TestApp.run { app in
            _ = try await app.register("acme")
            let response = try await app.request(.post, "/api/v1/auth/register", json: """
                {"account_name": "Other", "account_slug": "acme", "email": "x@y.test", "password": "\(TestApp.password)"}
                """)
            #expect(response.status == 409)
        }
    }

    @Test("login by slug or id; every mismatch is the same generic 401")
    func login() async throws {
        try await TestApp.run { app in
            let tenant = try await app.register("acme")
            let bySlug = try await app.login("acme", tenant.email)
            #expect(bySlug.status == 200)
            #expect(bySlug.string("account", "id") == tenant.accountID)
            #expect(bySlug.array("user", "roles") as? [String] == ["admin"])
            #expect(bySlug.string("refresh_token") != nil)
            #expect(try await app.login(tenant.accountID, tenant.email.uppercased()).status == 200)

            let wrongPassword = try await app.login("acme", tenant.email, password: "Wrong-Horse-9-battery")
            let unknownEmail = try await app.login("acme", "nobody@acme.test")
            let unknownAccount = try await app.login("nope", tenant.email)
            for failure in [wrongPassword, unknownEmail, unknownAccount] {
                #expect(failure.status == 401)
                #expect(failure.string("message") == wrongPassword.string("message"))
            }
        }
    }

    @Test("/me answers who the caller is")
    func me() async throws {
        try await TestApp.run { app in
            let tenant = try await app.register("acme")
            let me = try await app.request(.get, "/api/v1/auth/me", token: tenant.token)
            #expect(me.status == 200)
            #expect(me.string("user_id") == tenant.userID)
            #expect(me.string("account_id") == tenant.accountID)
            #expect(me.string("email") == tenant.email)
            #expect(me.bool("is_superadmin") == false)
        }
    }

    /// Builds a compact JWS by hand, so tests can forge every kind of bad token.
    static func forge(header: String, claims: Claims, key: [UInt8], sha512: Bool = false, signature: Bool = true) throws -> String {
        func b64(_ data: Data) -> String {
            data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let payload = try JSONEncoder().encode(claims)
        let input = b64(Data(header.utf8)) + "." + b64(payload)
        guard signature else { return input + "." }
        let mac: Data = sha512
            ? Data(HMAC<SHA512>.authenticationCode(for: Data(input.utf8), using: SymmetricKey(data: key)))
            : Data(HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: SymmetricKey(data: key)))
        return input + "." + b64(mac)
    }

    @Test("every kind of bad token is a 401")
    func badTokens() async throws {
        try await TestApp.run { app in
            let tenant = try await app.register("acme")
            let now = Int(Date().timeIntervalSince1970)
            let login = try await app.login("acme", tenant.email)
            let family = try await app.services.tokens.verify(try #require(login.string("token")), expecting: .access).family
            func claims(type: Claims.Kind = .access, exp: Int? = nil, iss: String = TokenService.issuer) -> Claims {
                Claims(subject: tenant.userID, accountID: tenant.accountID, type: type, id: SecureID.make("jti"),
                       issuedAt: now, expiresAt: exp ?? now + 600, issuer: iss, family: family)
            }
            let hs256 = #"{"alg":"HS256","typ":"JWT"}"#
            let good = try Self.forge(header: hs256, claims: claims(), key: TestApp.secret)
            #expect(try await app.request(.get, "/api/v1/auth/me", token: good).status == 200, "the forger itself must be right")

            let cases: [(String, String?)] = [
                ("missing", nil),
                ("malformed", "not.a.token"),
                ("garbage", "abc"),
                ("bad signature", try Self.forge(header: hs256, claims: claims(), key: Array("another-secret-key-that-is-long-enough!!".utf8))),
                ("alg HS512", try Self.forge(header: #"{"alg":"HS512","typ":"JWT"}"#, claims: claims(), key: TestApp.secret, sha512: true)),
                ("alg none", try Self.forge(header: #"{"alg":"none","typ":"JWT"}"#, claims: claims(), key: TestApp.secret, signature: false)),
                ("alg none with HS256 signature", try Self.forge(header: #"{"alg":"none","typ":"JWT"}"#, claims: claims(), key: TestApp.secret)),
                ("expired", try Self.forge(header: hs256, claims: claims(exp: now - 31), key: TestApp.secret)),
                ("wrong type", try Self.forge(header: hs256, claims: claims(type: .refresh), key: TestApp.secret)),
                ("wrong issuer", try Self.forge(header: hs256, claims: claims(iss: "someone-else"), key: TestApp.secret)),
                ("refresh token used as access", tenant.refreshToken),
            ]
            for (name, token) in cases {
                let response = try await app.request(.get, "/api/v1/auth/me", token: token)
                #expect(response.status == 401, "\(name)")
                #expect(response.string("error") == "Unauthorized", "\(name)")
            }
            // Within the 30 s leeway an expired token still works.
            let lenient = try Self.forge(header: hs256, claims: claims(exp: now - 10), key: TestApp.secret)
            #expect(try await app.request(.get, "/api/v1/auth/me", token: lenient).status == 200)
        }
    }

    @Test("logout revokes the access token and the refresh family at once")
    func logout() async throws {
        try await TestApp.run { app in
            let tenant = try await app.register("acme")
            #expect(try await app.request(.post, "/api/v1/auth/logout", json: #"{"refresh_token":"\#(tenant.refreshToken)"}"#, token: tenant.token).status == 204)
            #expect(try await app.request(.get, "/api/v1/auth/me", token: tenant.token).status == 401)
            #expect(try await app.request(.post, "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(tenant.refreshToken)"}"#).status == 401)
            #expect(try await app.request(.post, "/api/v1/auth/logout", token: tenant.token).status == 401)
            // Another sign-in of the same user is unaffected.
            #expect(try await app.login("acme", tenant.email).status == 200)
        }
    }

    @Test("refresh rotates; a rotated token presented again revokes the whole family")
    func refreshReuse() async throws {
        try await TestApp.run { app in
            let tenant = try await app.register("acme")
            let first = try await app.request(.post, "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(tenant.refreshToken)"}"#)
            #expect(first.status == 200)
            let newAccess = try #require(first.string("token"))
            let newRefresh = try #require(first.string("refresh_token"))
            #expect(newRefresh != tenant.refreshToken)
            #expect(try await app.request(.get, "/api/v1/auth/me", token: newAccess).status == 200)

            // Reuse of the rotated token: refused, and the family dies with it.
            #expect(try await app.request(.post, "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(tenant.refreshToken)"}"#).status == 401)
            #expect(try await app.request(.post, "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(newRefresh)"}"#).status == 401)
            #expect(try await app.request(.get, "/api/v1/auth/me", token: newAccess).status == 401)
            // An access token is not a refresh token.
            let other = try await app.login("acme", tenant.email)
            #expect(try await app.request(.post, "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(other.string("token") ?? "")"}"#).status == 401)
        }
    }

    @Test("repeated failed logins are rate limited with Retry-After")
    func rateLimit() async throws {
        try await TestApp.run { app in
            let tenant = try await app.register("acme")
            for _ in 0..<5 {
                #expect(try await app.login("acme", tenant.email, password: "Wrong-Horse-9-battery").status == 401)
            }
            let limited = try await app.login("acme", tenant.email)
            #expect(limited.status == 429)
            #expect(Int(limited.headers[.retryAfter] ?? "") ?? 0 > 0)
            // Other identities are not affected by one identity's failures.
            let other = try await app.register("other")
            #expect(try await app.login("other", other.email).status == 200)
        }
    }

    @Test("AUTH-RL-001: a burst of parallel guesses gets no more tries than the limit; parallel correct logins all pass")
    func rateLimitUnderBurst() async throws {
        try await TestApp.run { app in
            let tenant = try await app.register("acme")
            // Correct passwords are never refused for being many at once: they take turns.
            let correct = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<12 { group.addTask { try await app.login("acme", tenant.email).status } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(correct == Array(repeating: 200, count: 12))
            // Each guess counts from the moment it is let through: 5 are checked, 15 refused.
            let guesses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<20 { group.addTask { try await app.login("acme", tenant.email, password: "Wrong-Horse-\(index)").status } }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(guesses.filter { $0 == 401 }.count == 5, "\(guesses)")
            #expect(guesses.filter { $0 == 429 }.count == 15, "\(guesses)")
            #expect(try await app.login("acme", tenant.email).status == 429)
        }
    }

    @Test("the limit counts an account as one whether it is named by slug or by id")
    func rateLimitAcrossNames() async throws {
        try await TestApp.run { app in
            let tenant = try await app.register("acme")
            for name in ["acme", tenant.accountID, "acme", tenant.accountID, "acme"] {
                #expect(try await app.login(name, tenant.email, password: "Wrong-Horse-9-battery").status == 401)
            }
            #expect(try await app.login(tenant.accountID, tenant.email).status == 429)
            #expect(try await app.login("acme", tenant.email).status == 429)
        }
    }

    @Test("a weaker stored hash is upgraded at login")
    func rehash() async throws {
        try await TestApp.run(argon2: Argon2Parameters(memoryKiB: 128, iterations: 2, parallelism: 1)) { app in
            let tenant = try await app.register("acme")
            let scope = AccountScope(try #require(AccountID(tenant.accountID)))
            let weak = try PasswordHasher(parameters: Argon2Parameters(memoryKiB: 64, iterations: 1, parallelism: 1)).hash(TestApp.password)
            try await app.services.database.transaction { db in
                try await UserRepository.update(id: tenant.userID, .init(passwordHash: weak), in: scope, on: db)
            }
            #expect(try await app.login("acme", tenant.email).status == 200)
            let stored = try await app.services.database.read { db in try await UserRepository.find(id: tenant.userID, in: scope, on: db) }
            #expect(stored?.passwordHash != weak)
            #expect(stored?.passwordHash.contains("m=128,t=2,p=1") == true)
            #expect(try await app.login("acme", tenant.email).status == 200)
            // The upgrade writes the hash only while it is the one verified: a password set in
            // between stays (it used to be overwritten, with every other column of the user).
            let newer = try PasswordHasher(parameters: Argon2Parameters(memoryKiB: 128, iterations: 2, parallelism: 1)).hash("Another-Horse-7-battery")
            let written = try await app.services.database.transaction { db in
                try await UserRepository.update(id: tenant.userID, .init(passwordHash: newer), ifPasswordHash: weak, in: scope, on: db)
            }
            #expect(!written)
        }
    }

    @Test("AUTH-SES-001: a new password or a deactivation ends the user's sign-ins; reactivating does not bring them back")
    func sessionsEndWithTheCredential() async throws {
        try await TestApp.run { app in
            let acme = try await app.register("acme")
            let bob = try await app.user("bob@acme.test", roles: ["editor"], in: acme)
            let stolen = try await app.login("acme", "bob@acme.test")
            let stolenRefresh = try #require(stolen.string("refresh_token"))
            func refresh(_ token: String) async throws -> TestResponse {
                try await app.request(.post, "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(token)"}"#)
            }
            // The admin sets a new password: every sign-in of bob ends, refresh tokens included.
            #expect(try await app.request(.patch, "/api/v1/users/\(bob.id)", json: #"{"password":"Another-Horse-7-battery"}"#, token: acme.token).status == 200)
            #expect(try await app.request(.get, "/api/v1/auth/me", token: bob.token).status == 401)
            #expect(try await app.request(.get, "/api/v1/auth/me", token: stolen.string("token")).status == 401)
            #expect(try await refresh(stolenRefresh).status == 401)
            // Deactivated, then reactivated: the sign-ins from before stay ended; a new one works.
            let again = try await app.login("acme", "bob@acme.test", password: "Another-Horse-7-battery")
            #expect(again.status == 200)
            #expect(try await app.request(.delete, "/api/v1/users/\(bob.id)", token: acme.token).status == 204)
            #expect(try await app.request(.patch, "/api/v1/users/\(bob.id)", json: #"{"is_active":true}"#, token: acme.token).status == 200)
            #expect(try await app.request(.get, "/api/v1/auth/me", token: again.string("token")).status == 401)
            #expect(try await refresh(try #require(again.string("refresh_token"))).status == 401)
            #expect(try await app.login("acme", "bob@acme.test", password: "Another-Horse-7-battery").status == 200)
            // Changing one's own password keeps the sign-in that did it and ends the others.
            let other = try await app.login("acme", acme.email)
            #expect(try await app.request(.patch, "/api/v1/users/\(acme.userID)", json: #"{"password":"Third-Horse-5-battery"}"#, token: acme.token).status == 200)
            #expect(try await app.request(.get, "/api/v1/auth/me", token: acme.token).status == 200)
            #expect(try await app.request(.get, "/api/v1/auth/me", token: other.string("token")).status == 401)
            // An e-mail change alone ends nothing.
            let fresh = try await app.login("acme", "bob@acme.test", password: "Another-Horse-7-battery")
            #expect(try await app.request(.patch, "/api/v1/users/\(bob.id)", json: #"{"email":"robert@acme.test"}"#, token: acme.token).status == 200)
            #expect(try await app.request(.get, "/api/v1/auth/me", token: fresh.string("token")).status == 200)
        }
    }
}

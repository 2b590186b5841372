import Foundation
import SnackBaseAuth
@testable import SnackBaseClient
import Synchronization
import Testing

/// Sign-in, two-factor sign-in, refreshing and API keys through the Swift client, against a live server.
@Suite("SnackBaseClient: sign-in and tokens", .serialized)
struct ClientAuthTests {
    @Test("CL-AUTH-001: register, login by slug and by id, me; a wrong password is a 401 with the API's message; logout revokes and forgets")
    func signIn() async throws {
        try await LiveServer.run { server in
            let admin = try await server.register("acme")
            let me = try await admin.auth.me()
            #expect(me.email == "admin@acme.test" && me.roles.contains("admin") && !me.isSuperadmin && !me.isAPIKey)

            let bySlug = server.client()
            let result = try await bySlug.auth.login(account: "acme", email: "admin@acme.test", password: LiveServer.password)
            let session = try #require(result.session)
            #expect(session.account?["slug"]?.stringValue == "acme")
            let byID = server.client()
            try await byID.auth.login(account: me.accountID, email: "admin@acme.test", password: LiveServer.password)
            #expect(try await byID.auth.me().userID == me.userID)

            let wrong = await #expect(throws: SnackBaseClientError.self) {
                try await server.client().auth.login(account: "acme", email: "admin@acme.test", password: "Wrong-password-1!")
            }
            #expect(wrong?.status == 401 && wrong?.message.isEmpty == false && wrong?.error == "Unauthorized", "\(String(describing: wrong))")

            let kept = try #require(await bySlug.auth.tokens)
            try await bySlug.auth.logout()
            #expect(await bySlug.auth.isSignedIn == false)
            let afterLogout = await #expect(throws: SnackBaseClientError.self) { try await bySlug.auth.me() }
            #expect(afterLogout?.status == 401)
            // The revoked tokens, handed to another client: the access token is refused, so is the refresh.
            let stale = server.client()
            await stale.auth.setTokens(kept)
            let refused = await #expect(throws: SnackBaseClientError.self) { try await stale.auth.me() }
            #expect(refused?.status == 401)
            #expect(await stale.auth.isSignedIn == false, "a refused refresh forgets the session")
        }
    }

    @Test("CL-AUTH-002: two-factor sign-in: enrol, confirm with a TOTP code, login answers mfaRequired, verifyMfa with a code or a recovery code")
    func twoFactor() async throws {
        try await LiveServer.run { server in
            let admin = try await server.register("mfa-co")
            let enrolment = try await admin.auth.enrollMfa()
            #expect(enrolment.otpauthURL.hasPrefix("otpauth://totp/SnackBase:") && enrolment.recoveryCodes.count == 10)
            let totp = TOTP(secret: try #require(Base32.decode(enrolment.secret)))
            let step = totp.step(at: Date())
            try await admin.auth.confirmMfa(code: totp.code(forStep: step))

            let user = server.client()
            var observed = 0
            let counter = Counter()
            await user.auth.observe { tokens in if tokens != nil { counter.add() } }
            guard case .mfaRequired(let challenge) = try await user.auth.login(account: "mfa-co", email: "admin@mfa-co.test", password: LiveServer.password)
            else { Issue.record("no second step asked for"); return }
            #expect(await user.auth.isSignedIn == false, "no token before the second step")
            #expect(challenge.expiresIn > 0)
            // A code outside the window of one step either side is refused.
            let wrong = await #expect(throws: SnackBaseClientError.self) { try await user.auth.verifyMfa(challenge, code: totp.code(forStep: step + 9)) }
            #expect(wrong?.status == 401)
            // The next step's code (the confirmation used this one; a code works once).
            let session = try await user.auth.verifyMfa(challenge, code: totp.code(forStep: step + 1))
            #expect(!session.token.isEmpty)
            #expect(try await user.auth.me().email == "admin@mfa-co.test")
            observed = counter.value
            #expect(observed == 1, "observers hear of the new session")

            let other = server.client()
            guard case .mfaRequired(let second) = try await other.auth.login(account: "mfa-co", email: "admin@mfa-co.test", password: LiveServer.password)
            else { Issue.record("no second step asked for"); return }
            try await other.auth.verifyMfa(second, recoveryCode: enrolment.recoveryCodes[0])
            #expect(try await other.auth.me().email == "admin@mfa-co.test")
        }
    }

    @Test("CL-AUTH-006: changePassword: a wrong current password is a 422 naming current_password; then the new one signs in, the other client's session ends, this one goes on")
    func changePassword() async throws {
        try await LiveServer.run { server in
            let admin = try await server.register("pw-co")
            let other = server.client()
            try await other.auth.login(account: "pw-co", email: "admin@pw-co.test", password: LiveServer.password)
            let wrong = await #expect(throws: SnackBaseClientError.self) {
                try await admin.auth.changePassword(current: "Not-the-password-1!", new: "Brand-New-Staple-77!")
            }
            #expect(wrong?.status == 422, "\(String(describing: wrong))")
            #expect(wrong?.details.contains { $0.field == "current_password" } == true, "\(String(describing: wrong?.details))")
            try await admin.auth.changePassword(current: LiveServer.password, new: "Brand-New-Staple-77!")
            #expect(try await admin.auth.me().email == "admin@pw-co.test")
            let ended = await #expect(throws: SnackBaseClientError.self) { try await other.auth.me() }
            #expect(ended?.status == 401)
            let again = server.client()
            try await again.auth.login(account: "pw-co", email: "admin@pw-co.test", password: "Brand-New-Staple-77!")
            #expect(try await again.auth.me().email == "admin@pw-co.test")
        }
    }

    @Test("CL-AUTH-003: an access token about to expire is refreshed before the call: many concurrent callers, one refresh request")
    func refreshOnExpiry() async throws {
        // 10 s tokens: the client refreshes in the last fifth (2 s) of a token's life. Long enough that the
        // new token is nowhere near its own refresh window even on a loaded machine.
        try await LiveServer.run(accessTTL: 10) { server in
            let admin = try await server.register("refresh-co")
            try await Task.sleep(for: .milliseconds(8600)) // into the refresh window (or past `exp`: the same)
            let emails = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<12 { group.addTask { try await admin.auth.me().email } }
                return try await group.reduce(into: [String?]()) { $0.append($1) }
            }
            #expect(emails.count == 12 && emails.allSatisfy { $0 == "admin@refresh-co.test" })
            #expect(await admin.tokens.refreshesSent == 1)
            // Explicit refreshes at once share one request too, and the session survives (no reuse detected).
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<5 { group.addTask { try await admin.auth.refresh() } }
                try await group.waitForAll()
            }
            #expect(await admin.tokens.refreshesSent == 2)
            #expect(try await admin.auth.me().email == "admin@refresh-co.test")
        }
    }

    @Test("CL-AUTH-004: a refused access token refreshes once and the request is retried once")
    func refreshOn401() async throws {
        try await LiveServer.run { server in
            let donor = try await server.register("retry-co")
            let good = try #require(await donor.auth.tokens)
            // One signature character changed: the server refuses it while its `exp` still looks fine.
            var parts = good.accessToken.split(separator: ".").map(String.init)
            parts[2] = (parts[2].first == "A" ? "B" : "A") + parts[2].dropFirst()
            let client = server.client()
            await client.auth.setTokens(SessionTokens(accessToken: parts.joined(separator: "."), refreshToken: good.refreshToken))
            #expect(try await client.auth.me().email == "admin@retry-co.test")
            #expect(await client.tokens.refreshesSent == 1)
            #expect(await client.auth.tokens?.refreshToken != good.refreshToken, "rotated")
        }
    }

    @Test("CL-AUTH-005: too many failed logins is a 429 carrying retryAfter")
    func rateLimited() async throws {
        try await LiveServer.run(limits: { $0.loginIdentity = .init(2, per: 600) }) { server in
            _ = try await server.register("limit-co")
            var last: SnackBaseClientError?
            for _ in 0..<4 {
                do { try await server.client().auth.login(account: "limit-co", email: "admin@limit-co.test", password: "Wrong-password-1!") } catch let error as SnackBaseClientError { last = error }
            }
            #expect(last?.status == 429, "\(String(describing: last))")
            #expect((last?.retryAfter ?? 0) > 0)
        }
    }

    @Test("CL-KEYS-001: API keys: create (the key shown once), list, get, a client with the key makes calls, revoke stops it")
    func apiKeys() async throws {
        try await LiveServer.run { server in
            try await server.createPosts()
            let admin = try await server.register("keys-co")
            let created = try await admin.apiKeys.create(name: "importer", roles: ["editor"])
            let key = try #require(created.key)
            #expect(key.hasPrefix("sb_ak_") && created.prefix == String(key.prefix(12)) && created.roles == ["editor"])
            let listed = try await admin.apiKeys.list()
            #expect(listed.total == 1 && listed.items.first?.id == created.id && listed.items.first?.key == nil)
            #expect(try await admin.apiKeys.get(created.id).name == "importer")

            let bot = server.client(apiKey: key)
            let me = try await bot.auth.me()
            #expect(me.isAPIKey && me.userID == created.id && me.email == nil)
            let record = try await bot.records("posts", as: Post.self).create(Post(title: "by a key"))
            #expect(record.title == "by a key")
            #expect(try await bot.records("posts").list().total == 1)
            let forbidden = await #expect(throws: SnackBaseClientError.self) { try await bot.apiKeys.list() }
            #expect(forbidden?.status == 403, "a key cannot manage keys")

            try await admin.apiKeys.revoke(created.id)
            let revoked = await #expect(throws: SnackBaseClientError.self) { try await bot.auth.me() }
            #expect(revoked?.status == 401)
            #expect(await bot.tokens.refreshesSent == 0, "a key is never refreshed")
        }
    }
}

/// A counter for `@Sendable` callbacks.
final class Counter: Sendable {
    private let count = Mutex(0)
    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

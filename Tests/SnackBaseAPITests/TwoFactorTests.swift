import Foundation
import HTTPTypes
import Logging
import SnackBaseAuth
import SnackBaseCore
import SnackBaseService
import SnackBaseStore
import SnackBaseTesting
import SQLKit
import Synchronization
import Testing

/// Two-factor sign-in (identity.md), on both databases. Codes come from Python's `hmac` (an
/// independent implementation of RFC 4226/6238), given the base32 secret the server answered and a
/// time step; the tests pick steps inside the server's window (current ± 1) and never assert on time.
@Suite("Two-factor sign-in")
struct TwoFactorTests {
    /// The RFC 6238 code of `step` for a base32 `secret`, computed by Python.
    static func pythonCode(_ secret: String, step: Int64) throws -> String {
        let script = """
        import base64, hashlib, hmac, struct, sys
        secret = sys.argv[1]
        key = base64.b32decode(secret + '=' * (-len(secret) % 8))
        mac = hmac.new(key, struct.pack('>Q', int(sys.argv[2])), hashlib.sha1).digest()
        start = mac[-1] & 0x0F
        value = struct.unpack('>I', mac[start:start + 4])[0] & 0x7FFFFFFF
        print('%06d' % (value % 1000000))
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, secret, String(step)]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestFailure("python3 exited \(process.terminationStatus)") }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static var currentStep: Int64 { Int64(Date().timeIntervalSince1970 / 30) }

    /// Hands out steps the server accepts, each later than the one before: the current one when it
    /// is free (so a slow machine has 30–60 s before the server's window moves past it), else the
    /// next; when both are used, it waits for the clock to reach a new step (a wait, never an assertion).
    final class Steps: Sendable {
        private let last = Mutex<Int64?>(nil)
        func next() async throws -> Int64 {
            while true {
                let now = TwoFactorTests.currentStep
                let step: Int64? = last.withLock { last in
                    let candidate = max((last ?? Int64.min) + 1, now)
                    guard candidate <= now + 1 else { return nil }
                    last = candidate
                    return candidate
                }
                if let step { return step }
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Enrols and confirms two-factor sign-in for the bearer of `token`; returns the secret and recovery codes.
    static func enable(_ app: TestApp, token: String, steps: Steps) async throws -> (secret: String, recovery: [String]) {
        let enrol = try await app.request(.post, "/api/v1/auth/mfa/totp", token: token)
        guard enrol.status == 201, let secret = enrol.string("secret"), let codes = enrol.array("recovery_codes") as? [String] else {
            throw TestFailure("enrol: \(enrol.status) \(enrol.text)")
        }
        let confirm = try await app.request(.post, "/api/v1/auth/mfa/totp/confirm", json: #"{"code":"\#(try pythonCode(secret, step: try await steps.next()))"}"#, token: token)
        guard confirm.status == 204 else { throw TestFailure("confirm: \(confirm.status) \(confirm.text)") }
        return (secret, codes)
    }

    static func verify(_ app: TestApp, _ mfaToken: String, code: String? = nil, recovery: String? = nil, headers: HTTPFields = [:]) async throws -> TestResponse {
        let second = code.map { #""code":"\#($0)""# } ?? recovery.map { #""recovery_code":"\#($0)""# } ?? #""code":"""#
        return try await app.request(.post, "/api/v1/auth/mfa/verify", json: #"{"mfa_token":"\#(mfaToken)",\#(second)}"#, headers: headers)
    }

    @Test("MFA-001: enrol, confirm, login in two steps, replay refused, recovery codes single-use, turn off with a code")
    func fullFlow() async throws {
        try await TestApp.run { app in
            let acme = try await app.register("acme")
            let steps = Steps()
            let enrol = try await app.request(.post, "/api/v1/auth/mfa/totp", token: acme.token)
            #expect(enrol.status == 201)
            let secret = try #require(enrol.string("secret"))
            #expect(Base32.decode(secret)?.count == 20)
            #expect(enrol.string("otpauth_url") == "otpauth://totp/SnackBase:admin%40acme.test?secret=\(secret)&issuer=SnackBase")
            let recovery = try #require(enrol.array("recovery_codes") as? [String])
            #expect(recovery.count == 10 && Set(recovery).count == 10)
            // Not on before confirmation: login still answers tokens.
            #expect(try await app.login("acme", acme.email).string("token") != nil)
            let wrong = try await app.request(.post, "/api/v1/auth/mfa/totp/confirm", json: #"{"code":"000000x"}"#, token: acme.token)
            #expect(wrong.status == 422)
            let confirm = try await app.request(.post, "/api/v1/auth/mfa/totp/confirm",
                                                json: #"{"code":"\#(try Self.pythonCode(secret, step: try await steps.next()))"}"#, token: acme.token)
            #expect(confirm.status == 204, "\(confirm.text)")
            let user = try await app.request(.get, "/api/v1/users/\(acme.userID)", token: acme.token)
            #expect(user.bool("mfa_enabled") == true)
            #expect(try await app.request(.post, "/api/v1/auth/mfa/totp", token: acme.token).status == 409)

            // Login: a challenge, no tokens.
            let first = try await app.login("acme", acme.email)
            #expect(first.status == 200)
            #expect(first.bool("mfa_required") == true)
            #expect(first.int("expires_in") == 300)
            #expect(first.string("token") == nil && first.string("refresh_token") == nil)
            let mfaToken = try #require(first.string("mfa_token"))
            let code = try Self.pythonCode(secret, step: try await steps.next())
            let signedIn = try await Self.verify(app, mfaToken, code: code)
            #expect(signedIn.status == 200, "\(signedIn.text)")
            let token = try #require(signedIn.string("token"))
            #expect(signedIn.string("user", "id") == acme.userID)
            #expect(try await app.request(.get, "/api/v1/auth/me", token: token).status == 200)
            // The token is used up, and the code too (on a fresh token).
            #expect(try await Self.verify(app, mfaToken, code: code).status == 401)
            let again = try #require(try await app.login("acme", acme.email).string("mfa_token"))
            #expect(try await Self.verify(app, again, code: code).status == 401, "a replayed code is 401")

            // A recovery code works once (the token of the refused replay still has failures left).
            let withRecovery = try await Self.verify(app, again, recovery: recovery[0].uppercased())
            #expect(withRecovery.status == 200, "\(withRecovery.text)")
            let third = try #require(try await app.login("acme", acme.email).string("mfa_token"))
            #expect(try await Self.verify(app, third, recovery: recovery[0]).status == 401)
            #expect(try await Self.verify(app, third, recovery: recovery[1]).status == 200)

            // The audit log: auth.login with mfa: true, enabling, no secret.
            let export = try await app.request(.get, "/api/v1/audit-logs/export?format=jsonl", token: acme.token).text
            #expect(export.contains("auth.mfa_enabled"))
            let mfaLogins = export.split(separator: "\n").filter { $0.contains("\"auth.login\"") && $0.contains("\"mfa\"") }
            #expect(mfaLogins.count == 3, "\(mfaLogins)")
            for secretText in [secret, code, mfaToken, recovery[0], recovery[1]] {
                #expect(!export.contains(secretText), "a secret in the audit log")
            }
            // The seed is sealed at rest: the stored column is not the secret.
            let stored = try await app.services.database.read { db in
                try await RowSecurity.bypassing(.tamperingForTests, on: db) { db in
                    try await db.raw("SELECT totp_seed FROM users WHERE id = \(bind: acme.userID)").first()?.decode(column: "totp_seed", as: String.self)
                }
            }
            #expect(stored?.hasPrefix("v1.") == true)
            #expect(stored.map { !$0.contains(secret) } == true)

            // Off with a current code; then a login signs in with the password alone.
            let off = try await app.request(.delete, "/api/v1/auth/mfa/totp", json: #"{"code":"\#(try Self.pythonCode(secret, step: try await steps.next()))"}"#, token: acme.token)
            #expect(off.status == 204, "\(off.text)")
            #expect(try await app.login("acme", acme.email).string("token") != nil)
            #expect(try await app.request(.get, "/api/v1/audit-logs/export?format=jsonl", token: acme.token).text.contains("auth.mfa_disabled"))
        }
    }

    @Test("MFA-002: five wrong codes void the mfa_token; the right code is then refused")
    func fiveWrongCodes() async throws {
        // Room for more than 5 failed logins, so that the token's own limit is what refuses.
        try await TestApp.run(limiter: LoginRateLimiter(perIdentity: .init(failures: 20, window: 900), perAddress: .init(failures: 100, window: 60))) { app in
            let acme = try await app.register("acme")
            let steps = Steps()
            let (secret, _) = try await Self.enable(app, token: acme.token, steps: steps)
            let mfaToken = try #require(try await app.login("acme", acme.email).string("mfa_token"))
            let right = try Self.pythonCode(secret, step: try await steps.next())
            let wrongCode = right == "000000" ? "111111" : "000000"
            for _ in 0..<5 {
                #expect(try await Self.verify(app, mfaToken, code: wrongCode).status == 401)
            }
            let afterVoid = try await Self.verify(app, mfaToken, code: right)
            #expect(afterVoid.status == 401, "a void token never signs in: \(afterVoid.text)")
            // The same right code on a new token works: only the token was void.
            let fresh = try #require(try await app.login("acme", acme.email).string("mfa_token"))
            #expect(try await Self.verify(app, fresh, code: right).status == 200)
        }
    }

    @Test("MFA-008: one code raced on many mfa_tokens at once signs in at most once (the database's conditional write decides)")
    func racedCode() async throws {
        try await TestApp.run(limiter: LoginRateLimiter(perIdentity: .init(failures: 50, window: 900), perAddress: .init(failures: 100, window: 60))) { app in
            let acme = try await app.register("acme")
            let steps = Steps()
            let (secret, _) = try await Self.enable(app, token: acme.token, steps: steps)
            var tokens: [String] = []
            for _ in 0..<8 { tokens.append(try #require(try await app.login("acme", acme.email).string("mfa_token"))) }
            let code = try Self.pythonCode(secret, step: try await steps.next())
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for token in tokens { group.addTask { try await Self.verify(app, token, code: code).status } }
                var all: [Int] = []
                for try await status in group { all.append(status) }
                return all
            }
            #expect(statuses.filter { $0 == 200 }.count == 1, "\(statuses)")
            #expect(statuses.filter { $0 == 401 }.count == tokens.count - 1, "\(statuses)")
        }
    }

    @Test("MFA-007: wrong codes count as failed logins: 5 per (account, e-mail), then 429")
    func wrongCodesAreFailedLogins() async throws {
        try await TestApp.run { app in
            let acme = try await app.register("acme")
            _ = try await Self.enable(app, token: acme.token, steps: Steps())
            let mfaToken = try #require(try await app.login("acme", acme.email).string("mfa_token"))
            for _ in 0..<3 {
                #expect(try await Self.verify(app, mfaToken, code: "not-a-code").status == 401)
            }
            // A new password step does not wipe them: two more wrong codes on a new token reach the limit.
            let second = try #require(try await app.login("acme", acme.email).string("mfa_token"))
            for _ in 0..<2 {
                #expect(try await Self.verify(app, second, code: "not-a-code").status == 401)
            }
            #expect(try await app.login("acme", acme.email).status == 429)
        }
    }

    @Test("MFA-003: a role with require_mfa: 403 everywhere but /auth/* until the user enrols")
    func requireMFA() async throws {
        try await TestApp.run { app in
            let acme = try await app.register("acme")
            let role = try await app.role(#"{"name":"auditor","require_mfa":true,"permissions":[{"collection":"*","read":true}]}"#, in: acme)
            #expect(role.bool("require_mfa") == true)
            let auditor = try await app.user("auditor@acme.test", roles: ["auditor"], in: acme)
            let refused = try await app.request(.get, "/api/v1/collections", token: auditor.token)
            #expect(refused.status == 403)
            #expect(refused.string("message") == "Two-factor sign-in required")
            #expect(try await app.request(.get, "/api/v1/auth/me", token: auditor.token).status == 200)
            let steps = Steps()
            _ = try await Self.enable(app, token: auditor.token, steps: steps)
            #expect(try await app.request(.get, "/api/v1/collections", token: auditor.token).status == 200)

            // PATCH turns it off for the role; the admin (no require_mfa role) was never refused.
            let roleID = try #require(role.string("id"))
            let patched = try await app.request(.patch, "/api/v1/roles/\(roleID)", json: #"{"require_mfa":false}"#, token: acme.token)
            #expect(patched.status == 200)
            #expect(patched.bool("require_mfa") == false)
            #expect(try await app.request(.patch, "/api/v1/roles/\(roleID)", json: #"{"require_mfa":true}"#, token: acme.token).bool("require_mfa") == true)
            // An admin turns the auditor's two-factor off: refused again.
            #expect(try await app.request(.delete, "/api/v1/users/\(auditor.id)/mfa", token: acme.token).status == 204)
            #expect(try await app.request(.get, "/api/v1/collections", token: auditor.token).status == 403)
            let user = try await app.request(.get, "/api/v1/users/\(auditor.id)", token: acme.token)
            #expect(user.bool("mfa_enabled") == false)
        }
    }

    @Test("MFA-004: the second step counts toward the mfa_verify limit of the address (429)")
    func verifyLimit() async throws {
        var limits = TestApp.rateLimits
        limits.mfaVerify = .init(3, per: 3600)
        try await TestApp.run(rateLimits: limits, live: true) { app in
            let acme = try await app.register("acme")
            let steps = Steps()
            let (secret, _) = try await Self.enable(app, token: acme.token, steps: steps)
            let bogus = "sb_mfa_\(acme.accountID)_" + String(repeating: "0", count: 64)
            for _ in 0..<3 {
                #expect(try await Self.verify(app, bogus, code: "123456").status == 401)
            }
            let mfaToken = try #require(try await app.login("acme", acme.email).string("mfa_token"))
            let limited = try await Self.verify(app, mfaToken, code: try Self.pythonCode(secret, step: try await steps.next()))
            #expect(limited.status == 429)
        }
    }

    @Test("MFA-005: Python's codes: current step and neighbours accepted, two steps away refused (server's TOTP, sealed seed)")
    func windowAgainstPython() throws {
        let secret = TOTP.generateSecret()
        let base32 = Base32.encode(secret)
        let sealer = try SecretSealer(secretKey: TestApp.secret)
        let opened = try sealer.open(try sealer.seal(secret, associatedData: "usr_1"), associatedData: "usr_1")
        let totp = TOTP(secret: opened)
        let now = Date(timeIntervalSince1970: 1_900_000_015)
        let current = totp.step(at: now)
        for offset: Int64 in [-1, 0, 1] {
            let code = try Self.pythonCode(base32, step: current + offset)
            #expect(totp.verify(code, at: now, lastUsedStep: nil) == current + offset, "offset \(offset)")
            #expect(totp.verify(code, at: now, lastUsedStep: current + offset) == nil, "replay at offset \(offset)")
        }
        for offset: Int64 in [-2, 2] {
            let code = try Self.pythonCode(base32, step: current + offset)
            let matchedNeighbour = (-1...1).contains { totp.code(forStep: current + Int64($0)) == code }
            if !matchedNeighbour { #expect(totp.verify(code, at: now, lastUsedStep: nil) == nil, "offset \(offset) refused") }
        }
        #expect(throws: SecretSealerError.self) { try sealer.open(try sealer.seal(secret, associatedData: "usr_1"), associatedData: "usr_2") }
    }

    @Test("MFA-006: no TOTP seed, code or mfa_token in the server log; API keys cannot enrol")
    func secretsNotLogged() async throws {
        let lines = LogLines()
        var logger = Logger(label: "capture") { _ in LogLines.Handler(lines: lines) }
        logger.logLevel = .info
        try await TestApp.run(logger: logger) { app in
            let acme = try await app.register("acme")
            let steps = Steps()
            let (secret, recovery) = try await Self.enable(app, token: acme.token, steps: steps)
            let mfaToken = try #require(try await app.login("acme", acme.email).string("mfa_token"))
            _ = try await Self.verify(app, mfaToken, code: "000000")
            _ = try await Self.verify(app, mfaToken, recovery: recovery[2])
            for line in lines.all {
                #expect(!line.contains(secret) && !line.contains(mfaToken) && !line.contains(recovery[2]), "\(line)")
            }
            let key = try #require(try await APIKeyTests.createKey(app, acme, roles: ["admin"]).string("key"))
            #expect(try await app.request(.post, "/api/v1/auth/mfa/totp", token: key).status == 403)
        }
    }
}

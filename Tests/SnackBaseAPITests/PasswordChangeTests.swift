import Foundation
import Hummingbird
import SnackBaseAuth
import SnackBaseStore
import Testing

/// `POST /api/v1/auth/password {current_password, new_password}`: a signed-in user changes their own
/// password (console.md "my account"). On SQLite, and on PostgreSQL when it is configured.
@Suite("PasswordChange")
struct PasswordChangeTests {
    static let newPassword = "Brand-New-Staple-77!"

    static func body(current: String, new: String) -> String {
        #"{"current_password":"\#(current)","new_password":"\#(new)"}"#
    }

    @Test("PWD-001: the current password is checked, the new one works, the old one stops, other sign-ins end and this one stays")
    func changes() async throws {
        let capture = LogCapture()
        try await TestApp.run(logger: capture.logger) { app in
            let acme = try await app.register("acme")
            // A second sign-in of the same user, elsewhere.
            let other = try await app.login("acme", acme.email)
            let otherToken = try #require(other.string("token"))
            let otherRefresh = try #require(other.string("refresh_token"))

            let changed = try await app.request(.post, "/api/v1/auth/password", json: Self.body(current: TestApp.password, new: Self.newPassword), token: acme.token)
            #expect(changed.status == 204, "\(changed.text)")
            #expect(changed.data.isEmpty)

            #expect(try await app.login("acme", acme.email).status == 401, "the old password still signs in")
            #expect(try await app.login("acme", acme.email, password: Self.newPassword).status == 200, "the new password does not sign in")
            // The other sign-in ended: its access token and its refresh token.
            #expect(try await app.request(.get, "/api/v1/auth/me", token: otherToken).status == 401)
            #expect(try await app.request(.post, "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(otherRefresh)"}"#).status == 401)
            // The sign-in that changed it goes on, and refreshes.
            #expect(try await app.request(.get, "/api/v1/auth/me", token: acme.token).status == 200)
            #expect(try await app.request(.post, "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(acme.refreshToken)"}"#).status == 200)

            // Audited, with the password redacted; neither password in the log nor in any log line.
            let entry = try await app.onlyEntry("auth.password_change", account: acme.accountID)
            #expect(entry.actorID == acme.userID && entry.recordID == acme.userID && entry.status == 204)
            #expect(entry.change("password")?.new as? String == "[redacted]", "\(entry.changes)")
            let everything = try await app.auditEntries().map { "\($0.changes) \($0.reason ?? "")" }.joined(separator: "\n")
            for secret in [TestApp.password, Self.newPassword] {
                #expect(!everything.contains(secret), "a password in the audit log")
                #expect(!capture.all.contains(secret), "a password in the logs")
            }
        }
    }

    /// The refusals: each answers its status and names the field; the password stays as it was.
    @Test("PWD-002: 401 without a token, 400 for malformed JSON, 422 for a missing field, the policy, the same password or a wrong current one, 403 for an API key")
    func refusals() async throws {
        let capture = LogCapture()
        try await TestApp.run(logger: capture.logger) { app in
            let acme = try await app.register("acme")
            let wrong = "Not-The-Password-1!"
            let cases: [(name: String, json: String, token: String?, status: Int, field: String?)] = [
                ("no token", Self.body(current: TestApp.password, new: Self.newPassword), nil, 401, nil),
                ("malformed JSON", #"{"current_password":"#, acme.token, 400, nil),
                ("no new password", #"{"current_password":"\#(TestApp.password)"}"#, acme.token, 422, "new_password"),
                ("no current password", #"{"new_password":"\#(Self.newPassword)"}"#, acme.token, 422, "current_password"),
                ("empty current password", Self.body(current: "", new: Self.newPassword), acme.token, 422, "current_password"),
                ("too weak", Self.body(current: TestApp.password, new: "short"), acme.token, 422, "new_password"),
                ("no special character", Self.body(current: TestApp.password, new: "NoSpecialChar123"), acme.token, 422, "new_password"),
                ("the same password", Self.body(current: TestApp.password, new: TestApp.password), acme.token, 422, "new_password"),
                ("a wrong current password", Self.body(current: wrong, new: Self.newPassword), acme.token, 422, "current_password"),
            ]
            for scenario in cases {
                let answer = try await app.request(.post, "/api/v1/auth/password", json: scenario.json, token: scenario.token)
                #expect(answer.status == scenario.status, "\(scenario.name): \(answer.status) \(answer.text)")
                #expect(answer.string("message")?.isEmpty == false, "\(scenario.name): \(answer.text)")
                if let field = scenario.field {
                    let fields = (answer.array("details") as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
                    #expect(fields.contains(field), "\(scenario.name): \(answer.text)")
                }
                for secret in [TestApp.password, Self.newPassword, wrong] {
                    #expect(!answer.text.contains(secret), "\(scenario.name): a password in the answer")
                }
            }
            // Nothing changed: the password signs in, and no change was audited; the wrong guess was, without it.
            #expect(try await app.login("acme", acme.email).status == 200)
            #expect(try await app.auditEntries(account: acme.accountID, action: "auth.password_change").isEmpty)
            let failed = try await app.onlyEntry("auth.password_change_failed", account: acme.accountID)
            #expect(failed.outcome == "denied" && failed.reason == "wrong current password")
            let everything = try await app.auditEntries().map { "\($0.changes) \($0.reason ?? "")" }.joined(separator: "\n")
            #expect(!everything.contains(wrong) && !capture.all.contains(wrong))

            // An API key has no password to change.
            let key = try await app.request(.post, "/api/v1/api-keys", json: #"{"name":"ci","roles":["admin"]}"#, token: acme.token)
            let secret = try #require(key.string("key"))
            let byKey = try await app.request(.post, "/api/v1/auth/password", json: Self.body(current: TestApp.password, new: Self.newPassword), token: secret)
            #expect(byKey.status == 403, "\(byKey.text)")
        }
    }

    @Test("PWD-003: guesses of the current password count as failed sign-ins: 429 past the limit, even with the right one")
    func guessesAreLimited() async throws {
        try await TestApp.run(limiter: LoginRateLimiter(perIdentity: .init(failures: 3, window: 900))) { app in
            let acme = try await app.register("acme")
            for attempt in 1...3 {
                let guess = try await app.request(.post, "/api/v1/auth/password", json: Self.body(current: "Guess-number-\(attempt)!", new: Self.newPassword), token: acme.token)
                #expect(guess.status == 422, "guess \(attempt): \(guess.text)")
            }
            let limited = try await app.request(.post, "/api/v1/auth/password", json: Self.body(current: TestApp.password, new: Self.newPassword), token: acme.token)
            #expect(limited.status == 429, "\(limited.text)")
            #expect(limited.headers[.retryAfter] != nil)
            #expect(try await app.login("acme", acme.email).status == 429, "the guesses count toward the login limit of the (account, e-mail)")
        }
    }
}

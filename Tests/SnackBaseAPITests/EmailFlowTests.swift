import Foundation
import HTTPTypes
import Logging
import SQLKit
import SnackBaseAuth
import SnackBaseCore
import SnackBaseMail
import SnackBaseService
import SnackBaseStore
import SnackBaseTesting
import Testing

/// identity.md "Email": every flow end to end through a real SMTP server on loopback (aiosmtpd),
/// following the mailed link's token through the API, on SQLite and (when configured) PostgreSQL.
@Suite("Email: verification, password reset, invitations over SMTP", .serialized)
struct EmailFlowTests {
    /// Every text of the audit log, to search for secrets.
    static func auditText(_ app: TestApp) async throws -> String {
        try await app.auditEntries().map { entry in
            [entry.action, entry.actorEmail ?? "", entry.recordID ?? "", entry.reason ?? "", entry.changes, entry.userAgent ?? ""].joined(separator: " ")
        }.joined(separator: "\n")
    }

    /// Moves every token of a user into the past (expired, or issued long ago).
    static func ageTokens(_ app: TestApp, account: String, column: String) async throws {
        let scope = AccountScope(try #require(AccountID(account)))
        let past = Timestamp.format(Date().addingTimeInterval(-3 * 86400))
        try await app.services.database.transaction { db in
            try await RowSecurity.enter(scope, on: db)
            try await db.raw("UPDATE one_time_tokens SET \(unsafeRaw: column) = \(bind: past) WHERE account_id = \(bind: scope.accountID.rawValue)").run()
        }
    }

    @Test("MAIL-001: register mails a verification link; its token verifies the e-mail once; used, altered and expired tokens are refused")
    func verification() async throws {
        let sink = try await MailSink.start()
        defer { sink.stop() }
        try await TestApp.run(mail: sink.settings()) { app in
            let sink = try sink.fromNow()
            let acme = try await app.register("acme")
            let mails = try await sink.messages(to: acme.email)
            #expect(mails.count == 1)
            let mail = try #require(mails.first)
            #expect(mail.subject?.contains("acme Inc") == true, "\(mail.subject ?? "")")
            #expect(mail.text?.contains("https://app.snackbase.test/verify-email?token=") == true)
            #expect(mail.html?.contains("acme Inc") == true)
            #expect(mail.text?.contains(TestApp.password) == false)
            let token = try linkToken(mail)
            #expect(token.count >= 43 + 7)

            let before = try await app.request(.get, "/api/v1/users/\(acme.userID)", token: acme.token)
            #expect(before.bool("email_verified") == false)
            _ = try await app.onlyEntry("user.email_verification_sent", account: acme.accountID)

            // Altered: the last character changed.
            let altered = String(token.dropLast()) + (token.last == "A" ? "B" : "A")
            let refusedAltered = try await app.request(.post, "/api/v1/auth/verify-email", json: #"{"token":"\#(altered)"}"#)
            #expect(refusedAltered.status == 400)
            let garbage = try await app.request(.post, "/api/v1/auth/verify-email", json: #"{"token":"not-a-token"}"#)
            #expect(garbage.status == 400)

            let verified = try await app.request(.post, "/api/v1/auth/verify-email", json: #"{"token":"\#(token)"}"#)
            #expect(verified.status == 200, "\(verified.status)")
            #expect(verified.string("user_id") == acme.userID && verified.string("email") == acme.email && verified.bool("email_verified") == true)
            _ = try await app.onlyEntry("user.email_verified", account: acme.accountID)
            let after = try await app.request(.get, "/api/v1/users/\(acme.userID)", token: acme.token)
            #expect(after.bool("email_verified") == true)

            // Used: refused the second time.
            let again = try await app.request(.post, "/api/v1/auth/verify-email", json: #"{"token":"\#(token)"}"#)
            #expect(again.status == 400)

            // Expired: a fresh link whose lifetime has passed.
            let beta = try await app.register("beta")
            let betaToken = try linkToken(try await sink.messages(to: beta.email).first)
            try await Self.ageTokens(app, account: beta.accountID, column: "expires_at")
            let expired = try await app.request(.post, "/api/v1/auth/verify-email", json: #"{"token":"\#(betaToken)"}"#)
            #expect(expired.status == 400)
            #expect(try await app.request(.get, "/api/v1/users/\(beta.userID)", token: beta.token).bool("email_verified") == false)

            // Another account's token with this account's id put in front is refused too.
            let crossed = acme.accountID + "." + String(betaToken.split(separator: ".")[1])
            #expect(try await app.request(.post, "/api/v1/auth/verify-email", json: #"{"token":"\#(crossed)"}"#).status == 400)
        }
    }

    @Test("MAIL-002: resend answers 202 and mails at most once a minute; a changed e-mail is unverified and gets its own link")
    func resendAndEmailChange() async throws {
        let sink = try await MailSink.start()
        defer { sink.stop() }
        try await TestApp.run(mail: sink.settings()) { app in
            let sink = try sink.fromNow()
            let acme = try await app.register("acme")
            #expect(try await sink.messages(to: acme.email).count == 1)
            let resent = try await app.request(.post, "/api/v1/auth/verify-email/resend", token: acme.token)
            #expect(resent.status == 202)
            #expect(try await app.request(.post, "/api/v1/auth/verify-email/resend").status == 401)
            await app.services.mail.queue?.waitUntilDrained()
            #expect(try sink.messages().filter { $0.rcpt_tos.contains(acme.email) }.count == 1, "within a minute: no second mail")
            try await Self.ageTokens(app, account: acme.accountID, column: "created_at")
            #expect(try await app.request(.post, "/api/v1/auth/verify-email/resend", token: acme.token).status == 202)
            let two = try await sink.messages(to: acme.email, atLeast: 2)
            #expect(two.count == 2)
            // Both links were issued; the newer one verifies.
            let token = try linkToken(two.last)
            #expect(try await app.request(.post, "/api/v1/auth/verify-email", json: #"{"token":"\#(token)"}"#).status == 200)

            // A changed e-mail: unverified again, a link to the new address, the old links void.
            let oldToken = try linkToken(two.first)
            let patched = try await app.request(.patch, "/api/v1/users/\(acme.userID)", json: #"{"email":"new@acme.test"}"#, token: acme.token)
            #expect(patched.status == 200 && patched.bool("email_verified") == false, "\(patched.status)")
            let newMail = try await sink.messages(to: "new@acme.test")
            #expect(newMail.count == 1)
            #expect(try await app.request(.post, "/api/v1/auth/verify-email", json: #"{"token":"\#(oldToken)"}"#).status == 400)
            let fresh = try await app.request(.post, "/api/v1/auth/verify-email", json: #"{"token":"\#(try linkToken(newMail.first))"}"#)
            #expect(fresh.status == 200 && fresh.string("email") == "new@acme.test")
        }
    }

    @Test("MAIL-003: password reset: an unknown user gets the same answer; the link sets the password once and ends every sign-in")
    func passwordReset() async throws {
        let sink = try await MailSink.start()
        defer { sink.stop() }
        try await TestApp.run(mail: sink.settings()) { app in
            let sink = try sink.fromNow()
            let acme = try await app.register("acme")
            _ = try await sink.messages(to: acme.email)
            let login = try await app.login("acme", acme.email)
            let secondRefresh = try #require(login.string("refresh_token"))

            let known = try await app.request(.post, "/api/v1/auth/password-reset", json: #"{"account":"acme","email":"\#(acme.email)"}"#)
            let unknownUser = try await app.request(.post, "/api/v1/auth/password-reset", json: #"{"account":"acme","email":"nobody@acme.test"}"#)
            let unknownAccount = try await app.request(.post, "/api/v1/auth/password-reset", json: #"{"account":"nosuch","email":"\#(acme.email)"}"#)
            #expect(known.status == 202)
            for other in [unknownUser, unknownAccount] {
                #expect(other.status == known.status)
                #expect(other.data == known.data, "\(String(decoding: other.data, as: UTF8.self)) vs \(String(decoding: known.data, as: UTF8.self))")
                #expect(other.headers[.contentType] == known.headers[.contentType])
            }
            await app.services.mail.background.waitForAll()
            await app.services.mail.queue?.waitUntilDrained()
            let all = try sink.messages()
            #expect(all.filter { $0.rcpt_tos.contains("nobody@acme.test") }.isEmpty)
            let resets = all.filter { $0.rcpt_tos.contains(acme.email) && $0.subject?.contains("Reset") == true }
            #expect(resets.count == 1, "one reset mail: \(all.map { $0.subject ?? "" })")
            let token = try linkToken(resets.first)
            #expect(resets.first?.text?.contains("/reset-password?token=") == true)

            // The policy of api.md: 422, and the token stays usable.
            let weak = try await app.request(.post, "/api/v1/auth/password-reset/confirm", json: #"{"token":"\#(token)","password":"short"}"#)
            #expect(weak.status == 422)
            let newPassword = "New-Battery-Staple-42"
            let confirmed = try await app.request(.post, "/api/v1/auth/password-reset/confirm", json: #"{"token":"\#(token)","password":"\#(newPassword)"}"#)
            #expect(confirmed.status == 204, "\(confirmed.status) \(String(decoding: confirmed.data, as: UTF8.self))")
            let reused = try await app.request(.post, "/api/v1/auth/password-reset/confirm", json: #"{"token":"\#(token)","password":"Another-Battery-43"}"#)
            #expect(reused.status == 400)

            // Every refresh family ended: the one of register and the one of login.
            for refresh in [acme.refreshToken, secondRefresh] {
                let refreshed = try await app.request(.post, "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(refresh)"}"#)
                #expect(refreshed.status == 401)
            }
            #expect(try await app.login("acme", acme.email).status == 401)
            #expect(try await app.login("acme", acme.email, password: newPassword).status == 200)
            let entry = try await app.onlyEntry("auth.password_reset", account: acme.accountID)
            #expect(entry.actorID == acme.userID)

            // An expired reset token is refused.
            _ = try await app.request(.post, "/api/v1/auth/password-reset", json: #"{"account":"acme","email":"\#(acme.email)"}"#)
            await app.services.mail.background.waitForAll()
            let second = try await sink.messages(to: acme.email, atLeast: 3)
            let late = try linkToken(second.last)
            try await Self.ageTokens(app, account: acme.accountID, column: "expires_at")
            #expect(try await app.request(.post, "/api/v1/auth/password-reset/confirm", json: #"{"token":"\#(late)","password":"Another-Battery-43"}"#).status == 400)
        }
    }

    @Test("MAIL-004: invitations: an admin invites with roles, lists, revokes; the link creates a verified user with those roles, once")
    func invitations() async throws {
        let sink = try await MailSink.start()
        defer { sink.stop() }
        try await TestApp.run(mail: sink.settings()) { app in
            let sink = try sink.fromNow()
            let acme = try await app.register("acme")
            let created = try await app.request(.post, "/api/v1/invitations", json: #"{"email":"Bob@Acme.test","roles":["editor"]}"#, token: acme.token)
            #expect(created.status == 201, "\(created.status) \(String(decoding: created.data, as: UTF8.self))")
            #expect(created.string("email") == "bob@acme.test" && created.array("roles") as? [String] == ["editor"])
            #expect(created.string("invited_by") == acme.userID && created.string("expires_at") != nil)
            let invitationID = try #require(created.string("id"))
            _ = try await app.onlyEntry("invitation.create", account: acme.accountID)
            let listed = try await app.request(.get, "/api/v1/invitations", token: acme.token)
            #expect(listed.status == 200 && listed.int("total") == 1)

            let mail = try #require(try await sink.messages(to: "bob@acme.test").first)
            #expect(mail.subject?.contains("acme Inc") == true)
            let token = try linkToken(mail)
            let accepted = try await app.request(.post, "/api/v1/auth/accept-invitation", json: #"{"token":"\#(token)","password":"Bobs-Battery-Staple-1"}"#)
            #expect(accepted.status == 201, "\(accepted.status) \(String(decoding: accepted.data, as: UTF8.self))")
            #expect(accepted.string("user", "email") == "bob@acme.test" && accepted.array("user", "roles") as? [String] == ["editor"])
            #expect(accepted.string("account", "id") == acme.accountID && accepted.string("token") != nil && accepted.string("refresh_token") != nil)
            let bobID = try #require(accepted.string("user", "id"))
            #expect(try await app.request(.get, "/api/v1/users/\(bobID)", token: acme.token).bool("email_verified") == true)
            let accept = try await app.onlyEntry("invitation.accept", account: acme.accountID)
            #expect(accept.recordID == invitationID && accept.actorID == bobID)
            #expect(try await app.login("acme", "bob@acme.test", password: "Bobs-Battery-Staple-1").status == 200)
            #expect(try await app.request(.post, "/api/v1/auth/accept-invitation", json: #"{"token":"\#(token)","password":"Bobs-Battery-Staple-1"}"#).status == 400)
            #expect(try await app.request(.get, "/api/v1/invitations", token: acme.token).int("total") == 0)

            // Revoked: the link no longer works; a second revoke finds nothing.
            let carol = try await app.request(.post, "/api/v1/invitations", json: #"{"email":"carol@acme.test","roles":[]}"#, token: acme.token)
            let carolID = try #require(carol.string("id"))
            let carolToken = try linkToken(try await sink.messages(to: "carol@acme.test").first)
            #expect(try await app.request(.delete, "/api/v1/invitations/\(carolID)", token: acme.token).status == 204)
            _ = try await app.onlyEntry("invitation.revoke", account: acme.accountID)
            #expect(try await app.request(.delete, "/api/v1/invitations/\(carolID)", token: acme.token).status == 404)
            #expect(try await app.request(.post, "/api/v1/auth/accept-invitation", json: #"{"token":"\#(carolToken)","password":"Carols-Battery-1"}"#).status == 400)

            // Only an admin invites; another account cannot revoke; an existing user is a conflict.
            let editor = try await app.login("acme", "bob@acme.test", password: "Bobs-Battery-Staple-1")
            let byEditor = try await app.request(.post, "/api/v1/invitations", json: #"{"email":"eve@acme.test","roles":["admin"]}"#, token: editor.string("token"))
            #expect(byEditor.status == 403)
            #expect(try await app.request(.post, "/api/v1/invitations", json: #"{"email":"bob@acme.test"}"#, token: acme.token).status == 409)
            #expect(try await app.request(.post, "/api/v1/invitations", json: #"{"email":"x@acme.test","roles":["nosuch"]}"#, token: acme.token).status == 422)
            let dave = try await app.request(.post, "/api/v1/invitations", json: #"{"email":"dave@acme.test"}"#, token: acme.token)
            let globex = try await app.register("globex")
            #expect(try await app.request(.delete, "/api/v1/invitations/\(try #require(dave.string("id")))", token: globex.token).status == 404)
            #expect(try await app.request(.get, "/api/v1/invitations", token: globex.token).int("total") == 0)
        }
    }

    @Test("MAIL-005: an SMTP server that is down, or answers 4xx, does not fail register; the mail arrives once it is back")
    func deliveryFailures() async throws {
        let port = try await MailSink.freePort()
        try await TestApp.run(mail: MailSink.settings(port: port)) { app in
            // Nothing listens on the port: register still answers 201.
            let acme = try await app.register("acme\(app.services.database.kind.rawValue)")
            #expect(try await app.request(.get, "/api/v1/users/\(acme.userID)", token: acme.token).status == 200)
            let sink = try await MailSink.start(port: port)
            defer { sink.stop() }
            let arrived = try await sink.messages(to: acme.email)
            #expect(arrived.count == 1, "the mail arrives once the server is up")
            #expect(try await app.request(.post, "/api/v1/auth/verify-email", json: #"{"token":"\#(try linkToken(arrived.first))"}"#).status == 200)
        }
        // Answers 451 to the first two DATA commands of each run: the queue retries.
        let busyPort = try await MailSink.freePort()
        try await TestApp.run(mail: MailSink.settings(port: busyPort)) { app in
            let busy = try await MailSink.start(["--fail-data", "2"], port: busyPort)
            defer { busy.stop() }
            let globex = try await app.register("globex")
            let arrived = try await busy.messages(to: globex.email)
            #expect(arrived.count == 1)
            #expect(busy.events().filter { $0.contains("DATA-451") }.count == 2, "the server answered 451 twice first: \(busy.events())")
        }
    }

    @Test("MAIL-009: a slow SMTP server (DATA held) does not slow register: it answers while the mail waits; the mail arrives after")
    func slowServer() async throws {
        let sink = try await MailSink.start(["--hold-data"])
        defer { sink.stop() }
        try await TestApp.run(mail: sink.settings()) { app in
            let sink = try sink.fromNow()
            let release = sink.sink.directory.appendingPathComponent("release")
            try? FileManager.default.removeItem(at: release)
            let held = sink.sink.events().filter { $0.contains("DATA-HELD") }.count
            // Answered while the server has not accepted the mail: register did not wait for it.
            let acme = try await app.register("acme")
            #expect(try await app.request(.get, "/api/v1/users/\(acme.userID)", token: acme.token).status == 200)
            // The mail is in flight, its DATA held by the server, and nothing has been delivered.
            let deadline = ContinuousClock.now + .seconds(30)
            while sink.sink.events().filter({ $0.contains("DATA-HELD") }).count == held, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(sink.sink.events().filter { $0.contains("DATA-HELD") }.count == held + 1)
            #expect(try sink.messages().isEmpty)
            // The server answers: the mail arrives, once.
            _ = FileManager.default.createFile(atPath: release.path, contents: nil)
            let arrived = try await sink.messages(to: acme.email)
            #expect(arrived.count == 1)
        }
    }

    @Test("TOK-001: no token of a link appears in the server log or the audit log")
    func noTokenInLogs() async throws {
        let sink = try await MailSink.start()
        defer { sink.stop() }
        let capture = LogCapture()
        try await TestApp.run(logger: capture.logger, mail: sink.settings(logger: capture.logger)) { app in
            let sink = try sink.fromNow()
            let acme = try await app.register("acme")
            var tokens = [try linkToken(try await sink.messages(to: acme.email).first)]
            _ = try await app.request(.post, "/api/v1/auth/verify-email", json: #"{"token":"\#(tokens[0])"}"#)
            _ = try await app.request(.post, "/api/v1/auth/password-reset", json: #"{"account":"acme","email":"\#(acme.email)"}"#)
            tokens.append(try linkToken(try await sink.messages(to: acme.email, atLeast: 2).last))
            _ = try await app.request(.post, "/api/v1/auth/password-reset/confirm", json: #"{"token":"\#(tokens[1])","password":"New-Battery-Staple-42"}"#)
            // The reset ended the sign-in of `acme.token`: sign in again.
            let admin = try await app.login("acme", acme.email, password: "New-Battery-Staple-42").string("token")
            let invited = try await app.request(.post, "/api/v1/invitations", json: #"{"email":"bob@acme.test","roles":["viewer"]}"#, token: admin)
            #expect(invited.status == 201)
            tokens.append(try linkToken(try await sink.messages(to: "bob@acme.test").first))
            _ = try await app.request(.post, "/api/v1/auth/accept-invitation", json: #"{"token":"\#(tokens[2])","password":"Bobs-Battery-Staple-1"}"#)
            // Refused tokens are not echoed either.
            let refused = try await app.request(.post, "/api/v1/auth/verify-email", json: #"{"token":"\#(tokens[0])"}"#)
            let audit = try await Self.auditText(app)
            let logs = capture.all
            #expect(!logs.isEmpty)
            for token in tokens {
                let secret = String(token.split(separator: ".").last ?? "")
                #expect(secret.count == 43)
                #expect(!logs.contains(secret), "a token reached the server log")
                #expect(!audit.contains(secret), "a token reached the audit log")
                #expect(!String(decoding: refused.data, as: UTF8.self).contains(secret))
                // (Its digest is what the database holds; PostgresNIO's trace level logs bound values, digests included.)
                #expect(!audit.contains(LinkToken.digest(token)), "nor its digest")
            }
        }
    }

    @Test("MAIL-006: SNACKBASE_REQUIRE_VERIFIED_EMAIL: an unverified user's login is 403 Email not verified, until verified")
    func requireVerified() async throws {
        let sink = try await MailSink.start()
        defer { sink.stop() }
        try await TestApp.run(mail: sink.settings(requireVerified: true)) { app in
            let sink = try sink.fromNow()
            let acme = try await app.register("acme")
            let refused = try await app.login("acme", acme.email)
            #expect(refused.status == 403 && refused.string("message") == "Email not verified", "\(refused.status)")
            // A wrong password is still the 401 of every failed login (nothing told to a guesser).
            #expect(try await app.login("acme", acme.email, password: "Wrong-Battery-9").status == 401)
            let token = try linkToken(try await sink.messages(to: acme.email).first)
            #expect(try await app.request(.post, "/api/v1/auth/verify-email", json: #"{"token":"\#(token)"}"#).status == 200)
            #expect(try await app.login("acme", acme.email).status == 200)
        }
    }

    @Test("RATE-010: password-reset, verify-email and accept-invitation are limited per address and per (account, e-mail), 429 with Retry-After")
    func rateLimits() async throws {
        var limits = TestApp.rateLimits
        limits.passwordResetIdentity = .init(3, per: 3600)
        limits.passwordResetAddress = .init(10, per: 3600)
        limits.verifyEmail = .init(10, per: 60)
        limits.acceptInvitation = .init(10, per: 60)
        try await TestApp.run(rateLimits: limits) { app in
            let acme = try await app.register("acme")
            let reset = #"{"account":"acme","email":"a@acme.test"}"#
            for _ in 0..<3 { #expect(try await app.request(.post, "/api/v1/auth/password-reset", json: reset).status == 202) }
            let limited = try await app.request(.post, "/api/v1/auth/password-reset", json: reset)
            #expect(limited.status == 429 && Int(limited.headers[.retryAfter] ?? "") ?? 0 >= 1)
            // Naming the account by its id instead of its slug is the same counter.
            let byID = try await app.request(.post, "/api/v1/auth/password-reset", json: #"{"account":"\#(acme.accountID)","email":"a@acme.test"}"#)
            #expect(byID.status == 429)
            // Another e-mail from the same address still passes, until the address limit (10 requests in all).
            for i in 0..<5 { #expect(try await app.request(.post, "/api/v1/auth/password-reset", json: #"{"account":"acme","email":"b\#(i)@acme.test"}"#).status == 202) }
            #expect(try await app.request(.post, "/api/v1/auth/password-reset", json: #"{"account":"acme","email":"c@acme.test"}"#).status == 429)
            for route in ["verify-email", "accept-invitation"] {
                let body = route == "verify-email" ? #"{"token":"x"}"# : #"{"token":"x","password":"Whatever-Pass-12"}"#
                for _ in 0..<10 { #expect(try await app.request(.post, "/api/v1/auth/\(route)", json: body).status == 400) }
                let over = try await app.request(.post, "/api/v1/auth/\(route)", json: body)
                #expect(over.status == 429 && over.headers[.retryAfter] != nil, "\(route): \(over.status)")
            }
        }
    }

    @Test("TOK-002: a reset token presented by several requests at once sets a password once")
    func concurrentUse() async throws {
        let sink = try await MailSink.start()
        defer { sink.stop() }
        try await TestApp.run(mail: sink.settings()) { app in
            let sink = try sink.fromNow()
            let acme = try await app.register("acme")
            _ = try await app.request(.post, "/api/v1/auth/password-reset", json: #"{"account":"acme","email":"\#(acme.email)"}"#)
            let token = try linkToken(try await sink.messages(to: acme.email, atLeast: 2).last)
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<6 {
                    group.addTask {
                        try await app.request(.post, "/api/v1/auth/password-reset/confirm",
                                              json: #"{"token":"\#(token)","password":"Racing-Battery-\#(index)x"}"#).status
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.sorted() == [204, 400, 400, 400, 400, 400], "\(statuses)")
            #expect(try await app.auditEntries(account: acme.accountID, action: "auth.password_reset").count == 1)
        }
    }

    @Test("RATE-011: on PostgreSQL two processes count one password-reset limit together", .enabled(if: TestDatabase.postgresURL != nil))
    func limitsAcrossProcesses() async throws {
        try await PostgresScratch.with { url in
            let storeA = try await PostgresStore(url: url, logger: TestDatabase.logger, connectionWait: TestDatabase.connectionWait)
            let storeB = try await PostgresStore(url: url, logger: TestDatabase.logger, connectionWait: TestDatabase.connectionWait)
            try await PostgresScratch.app(on: storeA) { a in
                try await PostgresScratch.app(on: storeB, migrate: false) { b in
                    // The default limit: 3 an hour per (account, e-mail); each process alone would allow 3.
                    let reset = #"{"account":"acme","email":"a@acme.test"}"#
                    #expect(try await a.request(.post, "/api/v1/auth/password-reset", json: reset).status == 202)
                    #expect(try await a.request(.post, "/api/v1/auth/password-reset", json: reset).status == 202)
                    #expect(try await b.request(.post, "/api/v1/auth/password-reset", json: reset).status == 202)
                    let fourth = try await b.request(.post, "/api/v1/auth/password-reset", json: reset)
                    #expect(fourth.status == 429 && fourth.headers[.retryAfter] != nil, "\(fourth.status)")
                    #expect(try await a.request(.post, "/api/v1/auth/password-reset", json: reset).status == 429)
                }
            }
            await storeA.shutdown()
            await storeB.shutdown()
        }
    }

    @Test("MAIL-008: a template file in the data directory replaces the built-in text; a broken one is refused")
    func templateOverride() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("snackbase-templates-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("Welcome to {{{account_name}}}".utf8).write(to: folder.appendingPathComponent("verify_email.subject.mustache"))
        try Data("<p>{{account_name}}: <a href=\"{{link}}\">go</a></p>".utf8).write(to: folder.appendingPathComponent("verify_email.html.mustache"))
        let templates = try MailTemplates(overridesIn: folder.path)
        let rendered = templates.render(.verifyEmail, ["account_name": "<Acme & Co>", "link": "https://x.test/verify-email?token=t", "email": "a@x.test", "expires_in": "24 hours"])
        #expect(rendered.subject == "Welcome to <Acme & Co>")
        #expect(rendered.html == #"<p>&lt;Acme &amp; Co&gt;: <a href="https://x.test/verify-email?token=t">go</a></p>"#)
        #expect(rendered.text.contains("https://x.test/verify-email?token=t"), "the built-in text part stays")
        try Data("{{#account_name}} unclosed".utf8).write(to: folder.appendingPathComponent("invitation.txt.mustache"))
        #expect(throws: MailTemplates.InvalidTemplate.self) { try MailTemplates(overridesIn: folder.path) }
    }

    @Test("MAIL-007: without mail configured, register works, reset still answers 202, invitations are refused with 503")
    func withoutMail() async throws {
        try await TestApp.run { app in
            let acme = try await app.register("acme")
            let reset = try await app.request(.post, "/api/v1/auth/password-reset", json: #"{"account":"acme","email":"\#(acme.email)"}"#)
            #expect(reset.status == 202)
            #expect(try await app.request(.post, "/api/v1/invitations", json: #"{"email":"bob@acme.test"}"#, token: acme.token).status == 503)
            #expect(try await app.auditEntries(account: acme.accountID, action: "user.email_verification_sent").isEmpty)
        }
    }
}

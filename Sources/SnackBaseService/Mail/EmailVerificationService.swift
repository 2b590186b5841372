import Logging
import Foundation
import SnackBaseCore
import SnackBaseStore

/// Verifying a user's e-mail address (identity.md "Email"): a mailed single-use link of 24 hours,
/// sent on register, on a changed e-mail and on request (at most one a minute per user).
package struct EmailVerificationService: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }

    static let lifetime: TimeInterval = 24 * 3600
    static let resendInterval: TimeInterval = 60

    /// Issues a verification token for `user` and mails its link (`user.email_verification_sent`).
    /// Never throws: a failure is logged, the request that caused it goes on. With no mail
    /// configured nothing is issued.
    package func send(to user: User, accountName: String) async {
        guard services.mail.queue != nil else {
            services.logger.warning("mail.disabled", metadata: ["mail.template": "verify_email"])
            return
        }
        let (token, digest) = LinkToken.make(in: user.accountID)
        let scope = AccountScope(user.accountID)
        let expiresAt = Timestamp.format(Date().addingTimeInterval(Self.lifetime))
        do {
            try await services.database.transaction { db in
                try await OneTimeTokenRepository.insert(digest: digest, purpose: .verifyEmail, userID: user.id, expiresAt: expiresAt, in: scope, on: db)
                try await AuditLog.append(AuditEvent(
                    accountID: user.accountID, action: "user.email_verification_sent", status: 202,
                    actorID: user.id, actorEmail: user.email, recordID: user.id
                ), on: db)
            }
        } catch {
            services.logger.error("mail.token_not_stored", metadata: ["mail.template": "verify_email", "error.type": .string(String(describing: type(of: error)))])
            return
        }
        await services.sendMail(.verifyEmail, to: user.email, values: [
            "account_name": accountName, "email": user.email, "link": services.link("/verify-email", token: token), "expires_in": "24 hours",
        ])
    }

    /// Uses up a verification token: the user's e-mail is verified (`user.email_verified`). A used,
    /// expired, altered or unknown token: 400, the same for each.
    package func verify(token: String) async throws -> User {
        guard let account = LinkToken.account(of: token) else { throw Self.invalidToken }
        let scope = AccountScope(account)
        let digest = LinkToken.digest(token)
        let verified = try await services.database.transaction { db -> User? in
            guard let userID = try await OneTimeTokenRepository.consume(digest: digest, purpose: .verifyEmail, now: Timestamp.now(), in: scope, on: db),
                  let user = try await UserRepository.find(id: userID, in: scope, on: db), user.isActive
            else { return nil }
            try await UserRepository.update(id: user.id, .init(emailVerified: true), in: scope, on: db)
            try await AuditLog.append(AuditEvent(
                accountID: account, action: "user.email_verified", status: 200, actorID: user.id, actorEmail: user.email, recordID: user.id,
                changes: user.emailVerified ? [:] : AuditChange.diff(["email_verified": .bool(false)], ["email_verified": .bool(true)])
            ), on: db)
            var stored = user
            stored.emailVerified = true
            return stored
        }
        guard let verified else { throw Self.invalidToken }
        return verified
    }

    /// A new link for the caller, unless its e-mail is verified or a link went out less than a
    /// minute ago; the answer is the same either way.
    package func resend(for principal: Principal) async throws {
        guard let userID = principal.userID else { throw SnackBaseError.unauthorized() }
        let scope = principal.scope
        let (user, account, last) = try await services.database.read { db -> (User?, Account?, String?) in
            (try await UserRepository.find(id: userID, in: scope, on: db),
             try await AccountRepository.find(id: scope.accountID, on: db),
             try await OneTimeTokenRepository.lastIssued(userID: userID, purpose: .verifyEmail, in: scope, on: db))
        }
        guard let user, let account, user.isActive, !user.emailVerified else { return }
        if let last, last > Timestamp.format(Date().addingTimeInterval(-Self.resendInterval)) { return }
        await send(to: user, accountName: account.name)
    }

    static let invalidToken = SnackBaseError.badRequest("Invalid or expired token")
}

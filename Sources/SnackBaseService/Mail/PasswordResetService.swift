import Logging
import Foundation
import SnackBaseAuth
import SnackBaseCore
import SnackBaseStore

/// Password reset in two steps (identity.md "Email"). The request never tells whether the user
/// exists: it answers before looking (the lookup, the token and the mail happen after the answer,
/// in ``MailSettings/background``), so its status, body and time are the same either way. The
/// confirmation uses up a 30-minute single-use token, sets the new password and ends every
/// sign-in of the user.
package struct PasswordResetService: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }

    static let lifetime: TimeInterval = 30 * 60

    /// Counts the request against the per-(account, e-mail) limit of identity.md, whether or not
    /// that user exists (the per-address limit is counted before the body is read).
    package func admitIdentity(account: String, email: String) async throws {
        // One counter per account however it is named (slug or id), as for login.
        let named = try await services.database.read { db in try await AccountRepository.find(idOrSlug: account, on: db) }
        let identity = (named?.id.rawValue ?? account.lowercased()) + "|" + Validation.normalizedEmail(email)
        try await services.admitUnauthenticated("password_reset_identity", key: identity, limit: services.rateLimits.passwordResetIdentity)
    }

    /// Starts a reset for (`account`, `email`) and returns at once; a mail goes out only when an
    /// active user of that account has that e-mail.
    package func request(account: String, email: String) async {
        let services = self.services
        let email = Validation.normalizedEmail(email)
        await services.mail.background.run {
            await PasswordResetService(services: services).issue(account: account, email: email)
        }
    }

    private func issue(account accountName: String, email: String) async {
        do {
            let found = try await services.database.read { db -> (Account, User)? in
                guard let account = try await AccountRepository.find(idOrSlug: accountName, on: db), !account.id.isSystem,
                      let user = try await UserRepository.find(email: email, in: AccountScope(account.id), on: db), user.isActive
                else { return nil }
                return (account, user)
            }
            guard let (account, user) = found else { return }
            guard services.mail.queue != nil else {
                services.logger.warning("mail.disabled", metadata: ["mail.template": "password_reset"])
                return
            }
            let (token, digest) = LinkToken.make(in: account.id)
            let expiresAt = Timestamp.format(Date().addingTimeInterval(Self.lifetime))
            try await services.database.transaction { db in
                try await OneTimeTokenRepository.insert(digest: digest, purpose: .passwordReset, userID: user.id, expiresAt: expiresAt,
                                                        in: AccountScope(account.id), on: db)
            }
            await services.sendMail(.passwordReset, to: user.email, values: [
                "account_name": account.name, "email": user.email, "link": services.link("/reset-password", token: token), "expires_in": "30 minutes",
            ])
        } catch {
            services.logger.error("mail.token_not_stored", metadata: ["mail.template": "password_reset", "error.type": .string(String(describing: type(of: error)))])
        }
    }

    /// Sets the new password of the token's user (policy of api.md, else 422, and the token stays
    /// usable), uses up the token and every other reset token of the user, revokes every refresh
    /// family of the user (`auth.password_reset`). A used, expired, altered or unknown token: 400.
    package func confirm(token: String, password: String) async throws {
        let problems = Validation.passwordProblems(password).map { SnackBaseError.Detail(field: "password", message: $0) }
        guard problems.isEmpty else { throw SnackBaseError.validation(problems) }
        guard let account = LinkToken.account(of: token) else { throw EmailVerificationService.invalidToken }
        let hash = try await services.passwords.hash(password)
        let scope = AccountScope(account)
        let digest = LinkToken.digest(token)
        let done = try await services.database.transaction { db -> Bool in
            let now = Timestamp.now()
            guard let userID = try await OneTimeTokenRepository.consume(digest: digest, purpose: .passwordReset, now: now, in: scope, on: db),
                  let user = try await UserRepository.find(id: userID, in: scope, on: db), user.isActive
            else { return false }
            // The link reached the mailbox: the address is verified too.
            try await UserRepository.update(id: user.id, .init(passwordHash: hash, emailVerified: true), in: scope, on: db)
            try await OneTimeTokenRepository.voidAll(userID: user.id, purpose: .passwordReset, now: now, in: scope, on: db)
            try await TokenRepository.revokeFamilies(ofUser: user.id, reason: "password reset", in: scope, on: db)
            try await AuditLog.append(AuditEvent(
                accountID: account, action: "auth.password_reset", status: 204, actorID: user.id, actorEmail: user.email, recordID: user.id,
                changes: ["password": .redacted]
            ), on: db)
            return true
        }
        guard done else { throw EmailVerificationService.invalidToken }
    }
}

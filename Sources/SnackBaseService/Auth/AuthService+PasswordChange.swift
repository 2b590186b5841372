import SnackBaseAuth
import SnackBaseCore
import SnackBaseStore
import Logging

extension AuthService {
    /// The signed-in user changes their own password (`POST /auth/password`), proving the current one.
    ///
    /// The new password must meet the policy of api.md and differ from the current one (422 on
    /// `new_password`); a wrong current password is a 422 on `current_password`, not a 401, so that a
    /// client does not take it for an expired token (and refresh and resend it). Every check of the
    /// current password counts as a sign-in attempt for the (account, e-mail) and the address (429
    /// past the login limits), so a stolen access token cannot be used to guess it. On success every
    /// other sign-in of the user ends (their refresh families are revoked, which also stops their
    /// access tokens), this one stays, open reset links are voided, and `auth.password_change` is
    /// audited with the password redacted. API keys have no password (403).
    package func changePassword(current: String, new: String, by principal: Principal, from address: String?) async throws {
        try APIKeyService.refuseAPIKey(principal, "change passwords")
        guard let userID = principal.userID, let email = principal.email else { throw SnackBaseError.unauthorized() }
        var problems: [SnackBaseError.Detail] = []
        if current.isEmpty { problems.append(.init(field: "current_password", message: "is required")) }
        problems += Validation.passwordProblems(new).map { .init(field: "new_password", message: $0) }
        if !current.isEmpty, new == current { problems.append(.init(field: "new_password", message: "must differ from the current password")) }
        guard problems.isEmpty else { throw SnackBaseError.validation(problems) }

        let scope = principal.scope
        let attempt = try await services.beginSignIn(identity: scope.accountID.rawValue + "|" + email, address: address)
        let found: User?
        do {
            found = try await services.database.read { db in try await UserRepository.find(id: userID, in: scope, on: db) }
        } catch {
            await services.loginLimiter.finish(attempt, .abandoned)
            throw error
        }
        // The token was valid a moment ago; a user deactivated since is signed out, not told about passwords.
        guard let user = found, user.isActive else {
            await services.loginLimiter.finish(attempt, .abandoned)
            throw SnackBaseError.unauthorized()
        }
        guard await services.passwords.verify(current, against: user.passwordHash) else {
            await services.loginLimiter.finish(attempt, .failed)
            services.metrics.loginFailed()
            await recordPasswordChangeFailure(user, by: principal)
            throw SnackBaseError.validation(field: "current_password", "is not correct")
        }
        await services.loginLimiter.finish(attempt, .succeeded)

        let hash = try await services.passwords.hash(new)
        let keep = principal.sessionFamily
        let changed = try await services.database.transaction { db -> Bool in
            // Only over the hash just verified: a password set meanwhile (a reset, an admin) is not overwritten unseen.
            guard try await UserRepository.update(id: user.id, .init(passwordHash: hash), ifPasswordHash: user.passwordHash, in: scope, on: db) else {
                return false
            }
            try await TokenRepository.revokeFamilies(ofUser: user.id, except: keep, reason: "password changed", in: scope, on: db)
            try await OneTimeTokenRepository.voidAll(userID: user.id, purpose: .passwordReset, now: Timestamp.now(), in: scope, on: db)
            try await AuditLog.append(AuditEvent("auth.password_change", in: scope.accountID, by: principal, status: 204, recordID: user.id,
                                                 changes: ["password": .redacted]), on: db)
            return true
        }
        guard changed else { throw SnackBaseError.conflict("The password was changed meanwhile; sign in again") }
    }

    /// `auth.password_change_failed` in the user's account, in its own transaction; never the password.
    private func recordPasswordChangeFailure(_ user: User, by principal: Principal) async {
        do {
            try await services.database.transaction { db in
                try await AuditLog.append(AuditEvent("auth.password_change_failed", in: user.accountID, by: principal, outcome: .denied, status: 422,
                                                     recordID: user.id, reason: "wrong current password"), on: db)
            }
        } catch {
            services.metrics.auditWriteFailed()
            services.logger.error("audit.write_failed", metadata: ["audit.action": "auth.password_change_failed"])
        }
    }
}

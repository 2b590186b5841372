import Foundation
import SnackBaseAuth
import SnackBaseCore
import SnackBaseStore
import Logging

/// Signing in and out: register (a new account and its first user, signed in), login, refresh,
/// logout. Each new sign-in is a token family with its first refresh token; a refresh rotates the
/// token within its family, and a refresh token presented twice revokes the family.
package struct AuthService: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }

    /// A sign-in: who, in which account, and the tokens it hands out.
    package struct Session: Sendable {
        package let account: Account
        package let user: User
        package let tokens: TokenService.Pair
    }

    // MARK: register

    /// Admits a registration from `address`, or refuses it (429) past the limit; asked before the body is read.
    package func admitRegistration(from address: String?) async throws {
        // Each registration costs a password hash on the pool logins share and a new account.
        // Counted across processes on PostgreSQL (identity.md "Limits on unauthenticated routes").
        try await services.admitUnauthenticated("register", key: address ?? "unknown", limit: services.rateLimits.register)
    }

    /// A person registers: a new account, its first user (holding `admin`), and a sign-in.
    package func register(accountName: String, accountSlug: String?, email: String, password: String) async throws -> Session {
        var problems: [SnackBaseError.Detail] = []
        let new = AccountService.NewAccount(name: accountName, slug: accountSlug, fields: ("account_name", "account_slug"), problems: &problems)
        let email = Validation.normalizedEmail(email)
        if !Validation.isValidEmail(email) { problems.append(.init(field: "email", message: "is not a valid e-mail address")) }
        problems += Validation.passwordProblems(password).map { .init(field: "password", message: $0) }
        guard let new, problems.isEmpty else { throw SnackBaseError.validation(problems) }

        let passwordHash = try await services.passwords.hash(password)
        let family = SecureID.make("fam")
        let (account, user) = try await AccountService(services: services).register(new, email: email, passwordHash: passwordHash)
        let pair = try await startSession(family: family, user: user)
        // The verification mail is queued, never awaited: a mail server that is down does not fail or slow the registration.
        await EmailVerificationService(services: services).send(to: user, accountName: account.name)
        return Session(account: account, user: user, tokens: pair)
    }

    /// Accepts an invitation (``InvitationService/accept(token:password:)``) and signs the new user in.
    package func acceptInvitation(token: String, password: String) async throws -> Session {
        let (account, user) = try await InvitationService(services: services).accept(token: token, password: password)
        let pair = try await startSession(family: SecureID.make("fam"), user: user)
        return Session(account: account, user: user, tokens: pair)
    }

    // MARK: login

    /// A login's answer: signed in, or (two-factor sign-in on) the challenge of the second step.
    package enum LoginOutcome: Sendable {
        case signedIn(Session)
        case mfaRequired(TwoFactorService.Challenge)
    }

    /// Signs a user in by account (slug or id), e-mail and password, from `address` (the login rate
    /// limits count both). Every failure answers the same 401.
    package func login(account accountName: String, email: String, password: String, from address: String?) async throws -> LoginOutcome {
        let email = Validation.normalizedEmail(email)
        let named = try await services.database.read { db in try await AccountRepository.find(idOrSlug: accountName, on: db) }
        // One counter per account however it is named (slug or id), so naming it both ways gains nothing.
        let identity = (named?.id.rawValue ?? accountName.lowercased()) + "|" + email
        let attempt = try await services.beginSignIn(identity: identity, address: address)
        let found: (Account, User)?
        let verified: Bool
        do {
            found = try await services.database.read { db -> (Account, User)? in
                guard let account = named,
                      let user = try await UserRepository.find(email: email, in: AccountScope(account.id), on: db)
                else { return nil }
                return (account, user)
            }
            // Every failure costs one hash verification and answers the same.
            if let (_, user) = found {
                verified = await services.passwords.verify(password, against: user.passwordHash) && user.isActive
            } else {
                verified = await services.passwords.verifyDecoy(password)
            }
        } catch {
            await services.loginLimiter.finish(attempt, .abandoned)
            throw error
        }
        guard verified, let (account, user) = found else {
            await services.loginLimiter.finish(attempt, .failed)
            services.metrics.loginFailed()
            await recordLoginFailure(accountName: accountName, email: email, user: found?.1)
            throw SnackBaseError.invalidCredentials
        }
        // With two-factor on, the password alone does not clear the failures: else every new
        // challenge would wipe the wrong codes of the last one from the (account, e-mail) count.
        await services.loginLimiter.finish(attempt, user.mfaEnabled ? .abandoned : .succeeded)
        // Told only to whoever knows the password; superadmins (made with the CLI) are exempt.
        if services.mail.requireVerifiedEmail, !user.emailVerified, !account.id.isSystem {
            throw SnackBaseError.forbidden("Email not verified")
        }
        if services.passwords.needsRehash(user.passwordHash) {
            let upgraded = try await services.passwords.hash(password)
            // Only the hash, and only while it is still the one just verified: a deactivation or a
            // new password written meanwhile stays.
            _ = try await services.database.transaction { db in
                try await UserRepository.update(id: user.id, .init(passwordHash: upgraded), ifPasswordHash: user.passwordHash, in: AccountScope(account.id), on: db)
            }
        }
        // The password was the first step; no token before the code (TwoFactorService.verify).
        if user.mfaEnabled { return .mfaRequired(try await TwoFactorService(services: services).challenge(for: user)) }
        let pair = try await startSession(family: SecureID.make("fam"), user: user, audit: AuditEvent(
            accountID: account.id, action: "auth.login", status: 200, actorID: user.id, actorEmail: user.email
        ))
        return .signedIn(Session(account: account, user: user, tokens: pair))
    }

    /// `auth.login_failed`, in the named account's chain (the system account's when no account has
    /// that name or id), written in its own transaction. The entry says why (the account admin may
    /// know; the caller never does) and never holds the password.
    private func recordLoginFailure(accountName: String, email: String, user: User?) async {
        do {
            try await services.database.transaction { db in
                let account = try await AccountRepository.find(idOrSlug: accountName, on: db)
                let reason = account == nil ? "unknown account \(accountName)"
                    : user.map { $0.isActive ? "wrong password" : "inactive user" } ?? "unknown user"
                try await AuditLog.append(AuditEvent(
                    accountID: account?.id ?? .system, action: "auth.login_failed", outcome: .denied, status: 401,
                    actorID: user?.id, actorEmail: email, reason: reason
                ), on: db)
            }
        } catch {
            services.metrics.auditWriteFailed()
            services.logger.error("audit.write_failed", metadata: ["audit.action": "auth.login_failed"])
        }
    }

    /// A new sign-in: a token family with its first refresh token (and, for a login, its audit entry).
    func startSession(family: String, user: User, audit: AuditEvent? = nil) async throws -> TokenService.Pair {
        let pair = try await services.tokens.issuePair(userID: user.id, accountID: user.accountID, family: family)
        let scope = AccountScope(user.accountID)
        let expiresAt = Timestamp.format(Date(timeIntervalSince1970: TimeInterval(pair.refreshClaims.expiresAt)))
        try await services.database.transaction { db in
            try await TokenRepository.createFamily(id: family, userID: user.id, in: scope, on: db)
            try await TokenRepository.insertRefresh(jti: pair.refreshClaims.id, familyID: family, expiresAt: expiresAt, in: scope, on: db)
            if let audit { try await AuditLog.append(audit, on: db) }
        }
        return pair
    }

    // MARK: refresh

    private enum RefreshOutcome: Sendable {
        case rotated(TokenService.Pair)
        case refused
    }

    /// A new token pair for a refresh token, which is used up; a used one presented again revokes its
    /// whole family (a stolen token's thief and its owner both lose the sign-in). Any refusal is 401.
    package func refresh(_ refreshToken: String) async throws -> TokenService.Pair {
        let claims = try await services.tokens.verify(refreshToken, expecting: .refresh)
        guard let accountID = AccountID(claims.accountID) else { throw SnackBaseError.unauthorized("Invalid token") }
        let scope = AccountScope(accountID)
        let next = try await services.tokens.issuePair(userID: claims.subject, accountID: accountID, family: claims.family)
        let expiresAt = Timestamp.format(Date(timeIntervalSince1970: TimeInterval(next.refreshClaims.expiresAt)))
        // The refusal of a reused token must commit its revocation, so the transaction returns it instead of throwing.
        let outcome = try await services.database.transaction { db -> RefreshOutcome in
            guard let stored = try await TokenRepository.findRefresh(jti: claims.id, in: scope, on: db),
                  stored.userID == claims.subject, stored.familyID == claims.family, !stored.familyRevoked
            else { return .refused }
            guard stored.usedAt == nil, try await TokenRepository.markUsed(jti: claims.id, in: scope, on: db) else {
                try await TokenRepository.revokeFamily(stored.familyID, reason: "refresh token reuse", in: scope, on: db)
                try await AuditLog.append(AuditEvent(
                    accountID: accountID, action: "auth.token_reuse", outcome: .denied, status: 401, actorID: stored.userID,
                    reason: "a used refresh token was presented again; the session is revoked"
                ), on: db)
                return .refused
            }
            guard let user = try await UserRepository.find(id: claims.subject, in: scope, on: db), user.isActive else { return .refused }
            try await TokenRepository.insertRefresh(jti: next.refreshClaims.id, familyID: stored.familyID, expiresAt: expiresAt, in: scope, on: db)
            try await AuditLog.append(AuditEvent(accountID: accountID, action: "auth.refresh", status: 200, actorID: user.id, actorEmail: user.email), on: db)
            return .rotated(next)
        }
        switch outcome {
        case .rotated(let pair): return pair
        case .refused: throw SnackBaseError.unauthorized("Invalid token")
        }
    }

    // MARK: logout

    /// Ends the caller's sign-in, and the one of `refreshToken` when it is a valid refresh token of
    /// the same user and account (anything else in it is ignored).
    package func logout(_ principal: Principal, refreshToken: String?) async throws {
        var families: [String] = principal.sessionFamily.map { [$0] } ?? []
        if let token = refreshToken,
           let claims = try? await services.tokens.verify(token, expecting: .refresh),
           claims.subject == principal.userID, claims.accountID == principal.accountID.rawValue {
            families.append(claims.family)
        }
        let scope = principal.scope
        let revoked = Set(families)
        try await services.database.transaction { db in
            for family in revoked {
                try await TokenRepository.revokeFamily(family, reason: "logout", in: scope, on: db)
            }
            try await AuditLog.append(AuditEvent("auth.logout", in: scope.accountID, by: principal, status: 204), on: db)
        }
    }
}

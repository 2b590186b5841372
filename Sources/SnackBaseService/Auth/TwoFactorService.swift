import Foundation
import Logging
import SnackBaseAuth
import SnackBaseCore
import SnackBaseStore

/// Two-factor sign-in with TOTP (RFC 6238; identity.md): enrolment with a secret, an `otpauth://`
/// link and 10 recovery codes; confirmation with a first code; the second step of a login
/// (`mfa_token`, then a code or a recovery code); turning it off, by the user with a code or by an
/// account admin.
///
/// Every code works once: the last step used is stored and only a later one is accepted, and a
/// recovery code is deleted when used, each by a conditional write (so two processes cannot both
/// accept it). An `mfa_token` lives 5 minutes and allows 5 wrong codes, counted in the database.
/// Wrong codes also count as failed logins (per (account, e-mail) and per address), and every
/// second step counts toward the `mfa_verify` limit of the address. Seeds are sealed with
/// ``AppServices/secretSealer`` (derived from `SNACKBASE_SECRET_KEY`) and bound to the user's id;
/// without a sealer nothing here works (fail closed). No code, seed or token enters a log line, an
/// audit entry or an error.
package struct TwoFactorService: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }

    package static let challengeLifetime = 300
    package static let maxFailures = 5

    /// What enrolment answers, once.
    package struct Enrolment: Sendable {
        package let secret: String
        package let otpauthURL: String
        package let recoveryCodes: [String]
    }

    /// The second step a login asks for.
    package struct Challenge: Sendable {
        package let token: String
        package let expiresIn: Int
    }

    private struct Refused: Error {}

    // MARK: enrolment

    /// A new secret and recovery codes for the caller (a user, not a key); replaces an unconfirmed
    /// enrolment; 409 while two-factor sign-in is on.
    package func startEnrolment(by principal: Principal) async throws -> Enrolment {
        let (userID, email) = try Self.user(principal)
        let sealer = try self.sealer()
        let secret = TOTP.generateSecret()
        let sealed = try sealer.seal(secret, associatedData: userID)
        let codes = RecoveryCodes.generate()
        let digests = codes.compactMap(RecoveryCodes.digest(of:))
        let started = try await services.database.transaction { db in
            try await TwoFactorRepository.startEnrolment(userID: userID, sealedSeed: sealed, recoveryDigests: digests, in: principal.scope, on: db)
        }
        guard started else { throw SnackBaseError.conflict("Two-factor sign-in is already on; turn it off first") }
        return Enrolment(secret: Base32.encode(secret), otpauthURL: TOTP(secret: secret).otpauthURL(account: email), recoveryCodes: codes)
    }

    /// Turns two-factor sign-in on with a first code of the enrolled secret (`auth.mfa_enabled`).
    package func confirm(code: String, by principal: Principal, from address: String?) async throws {
        let (userID, _) = try Self.user(principal)
        let scope = principal.scope
        let state = try await state(userID, in: scope)
        guard !state.enabled else { throw SnackBaseError.conflict("Two-factor sign-in is already on") }
        guard let sealed = state.sealedSeed else { throw SnackBaseError.conflict("Start the enrolment first (POST /auth/mfa/totp)") }
        let step = try await checked(principal: principal, from: address) {
            try self.totp(sealed, userID: userID).verify(code, at: Date(), lastUsedStep: state.lastStep)
        }
        try await services.database.transaction { db in
            guard try await TwoFactorRepository.enable(userID: userID, step: step, in: scope, on: db) else {
                throw SnackBaseError.conflict("Two-factor sign-in is already on")
            }
            try await AuditLog.append(AuditEvent("auth.mfa_enabled", in: scope.accountID, by: principal, status: 204, recordID: userID,
                                                 changes: ["mfa_enabled": AuditChange(old: .bool(false), new: .bool(true))]), on: db)
        }
    }

    /// The user turns it off with a current code (`auth.mfa_disabled`); the code is used up.
    package func disable(code: String, by principal: Principal, from address: String?) async throws {
        let (userID, _) = try Self.user(principal)
        let scope = principal.scope
        let state = try await state(userID, in: scope)
        guard state.enabled, let sealed = state.sealedSeed else { throw SnackBaseError.conflict("Two-factor sign-in is not on") }
        let step = try await checked(principal: principal, from: address) {
            try self.totp(sealed, userID: userID).verify(code, at: Date(), lastUsedStep: state.lastStep)
        }
        do {
            try await services.database.transaction { db in
                guard try await TwoFactorRepository.useStep(userID: userID, step: step, in: scope, on: db) else { throw Refused() }
                _ = try await TwoFactorRepository.disable(userID: userID, in: scope, on: db)
                try await AuditLog.append(AuditEvent("auth.mfa_disabled", in: scope.accountID, by: principal, status: 204, recordID: userID,
                                                     changes: ["mfa_enabled": AuditChange(old: .bool(true), new: .bool(false))]), on: db)
            }
        } catch is Refused {
            throw SnackBaseError.validation(field: "code", "is not a valid code")
        }
    }

    /// An account admin turns it off for a user of the account (`auth.mfa_disabled`); never a key.
    package func disable(userID: String, by principal: Principal, in scope: AccountScope) async throws {
        try APIKeyService.refuseAPIKey(principal, "turn off two-factor sign-in")
        try await services.database.transaction { db in
            guard try await UserRepository.find(id: userID, in: scope, on: db) != nil else { throw SnackBaseError.notFound("User") }
            guard try await TwoFactorRepository.disable(userID: userID, in: scope, on: db) else { return }
            try await AuditLog.append(AuditEvent("auth.mfa_disabled", in: scope.accountID, by: principal, status: 204, recordID: userID,
                                                 reason: "turned off by an account admin",
                                                 changes: ["mfa_enabled": AuditChange(old: .bool(true), new: .bool(false))]), on: db)
        }
    }

    // MARK: login

    /// The challenge of a login whose password was right, for a user with two-factor sign-in on.
    package func challenge(for user: User) async throws -> Challenge {
        let (token, digest) = MFAChallengeToken.generate(account: user.accountID)
        let expiresAt = Timestamp.format(Date().addingTimeInterval(TimeInterval(Self.challengeLifetime)))
        try await services.database.transaction { db in
            try await TwoFactorRepository.createChallenge(digest: digest, userID: user.id, expiresAt: expiresAt, in: AccountScope(user.accountID), on: db)
        }
        return Challenge(token: token, expiresIn: Self.challengeLifetime)
    }

    /// The second step: the `mfa_token` and a code or a recovery code, from `address`. The normal
    /// sign-in (`auth.login` with `mfa: true`), or 401 for anything wrong, 429 past a limit.
    package func verify(token: String, code: String?, recoveryCode: String?, from address: String?) async throws -> AuthService.Session {
        let admission = await services.requestLimiter.admit("mfa_verify|" + (address ?? "unknown"), limit: services.rateLimits.mfaVerify)
        guard admission.allowed else {
            services.metrics.rateLimitHit()
            throw SnackBaseError.tooManyRequests(retryAfter: admission.retryAfter)
        }
        guard let (accountID, digest) = MFAChallengeToken.parse(token) else { throw SnackBaseError.invalidCredentials }
        let scope = AccountScope(accountID)
        let now = Date()
        let nowText = Timestamp.format(now)
        let found = try await services.database.read { db -> (TwoFactorRepository.Challenge, User, Account, TwoFactorRepository.State)? in
            guard let challenge = try await TwoFactorRepository.challenge(digest: digest, in: scope, on: db),
                  let user = try await UserRepository.find(id: challenge.userID, in: scope, on: db),
                  let account = try await AccountRepository.find(id: accountID, on: db),
                  let state = try await TwoFactorRepository.state(userID: user.id, in: scope, on: db)
            else { return nil }
            return (challenge, user, account, state)
        }
        // The same counters as the password step, so the two steps share one budget.
        let identity = found.map { $0.2.id.rawValue + "|" + $0.1.email } ?? "mfa_token|" + digest
        let attempt = try await services.beginSignIn(identity: identity, address: address)
        guard let (challenge, user, account, state) = found, challenge.usedAt == nil, challenge.failures < Self.maxFailures,
              challenge.expiresAt > nowText, user.isActive, state.enabled, let sealed = state.sealedSeed
        else {
            await services.loginLimiter.finish(attempt, .failed)
            services.metrics.loginFailed()
            await recordFailure(account: found == nil ? .system : accountID, user: found?.1, reason: "void or expired mfa_token")
            throw SnackBaseError.invalidCredentials
        }
        let step: Int64?
        let recoveryDigest: String?
        do {
            step = try code.flatMap { try totp(sealed, userID: user.id).verify($0, at: now, lastUsedStep: state.lastStep) }
            recoveryDigest = code == nil ? recoveryCode.flatMap(RecoveryCodes.digest(of:)) : nil
        } catch {
            await services.loginLimiter.finish(attempt, .abandoned)
            throw error
        }
        do {
            try await services.database.transaction { db in
                guard step != nil || recoveryDigest != nil,
                      try await TwoFactorRepository.consumeChallenge(digest: digest, now: nowText, maxFailures: Self.maxFailures, in: scope, on: db)
                else { throw Refused() }
                if let step {
                    guard try await TwoFactorRepository.useStep(userID: user.id, step: step, in: scope, on: db) else { throw Refused() }
                } else if let recoveryDigest {
                    guard try await TwoFactorRepository.useRecoveryCode(userID: user.id, digest: recoveryDigest, in: scope, on: db) else { throw Refused() }
                }
            }
        } catch is Refused {
            try await services.database.transaction { db in
                try await TwoFactorRepository.failChallenge(digest: digest, in: scope, on: db)
            }
            await services.loginLimiter.finish(attempt, .failed)
            services.metrics.loginFailed()
            await recordFailure(account: accountID, user: user, reason: recoveryCode != nil && code == nil ? "wrong recovery code" : "wrong two-factor code")
            throw SnackBaseError.invalidCredentials
        } catch {
            await services.loginLimiter.finish(attempt, .abandoned)
            throw error
        }
        await services.loginLimiter.finish(attempt, .succeeded)
        let pair = try await AuthService(services: services).startSession(family: SecureID.make("fam"), user: user, audit: AuditEvent(
            accountID: account.id, action: "auth.login", status: 200, actorID: user.id, actorEmail: user.email,
            reason: recoveryDigest != nil ? "with a recovery code" : nil,
            changes: ["mfa": AuditChange(old: nil, new: .bool(true))]
        ))
        return AuthService.Session(account: account, user: user, tokens: pair)
    }

    // MARK: helpers

    /// The caller as a user: an API key has no second factor.
    private static func user(_ principal: Principal) throws -> (id: String, email: String) {
        guard !principal.isAPIKey else { throw SnackBaseError.escalation("API keys cannot use two-factor sign-in") }
        guard let id = principal.userID, let email = principal.email else { throw SnackBaseError.unauthorized() }
        return (id, email)
    }

    private func sealer() throws -> SecretSealer {
        guard let sealer = services.secretSealer else {
            services.logger.error("mfa.no_sealer")
            throw SnackBaseError(.unavailable, message: "Two-factor sign-in is not configured on this server")
        }
        return sealer
    }

    private func state(_ userID: String, in scope: AccountScope) async throws -> TwoFactorRepository.State {
        guard let state = try await services.database.read({ db in try await TwoFactorRepository.state(userID: userID, in: scope, on: db) }) else {
            throw SnackBaseError.unauthorized()
        }
        return state
    }

    /// The TOTP of a sealed seed; a seed that does not open is a server failure (never shown).
    private func totp(_ sealed: String, userID: String) throws -> TOTP {
        do {
            return TOTP(secret: try sealer().open(sealed, associatedData: userID))
        } catch let error as SnackBaseError {
            throw error
        } catch {
            services.logger.error("mfa.seed_unreadable", metadata: ["user.id": .string(userID)])
            throw SnackBaseError.internalError
        }
    }

    /// The step `check` matched, for a signed-in user confirming or turning off; a wrong code is a
    /// failed login of the user and the address (so a stolen access token cannot guess at leisure).
    private func checked(principal: Principal, from address: String?, _ check: () throws -> Int64?) async throws -> Int64 {
        let identity = principal.accountID.rawValue + "|" + (principal.email ?? "")
        let attempt = try await services.beginSignIn(identity: identity, address: address)
        let step: Int64?
        do {
            step = try check()
        } catch {
            await services.loginLimiter.finish(attempt, .abandoned)
            throw error
        }
        guard let step else {
            await services.loginLimiter.finish(attempt, .failed)
            throw SnackBaseError.validation(field: "code", "is not a valid code")
        }
        await services.loginLimiter.finish(attempt, .succeeded)
        return step
    }

    private func recordFailure(account: AccountID, user: User?, reason: String) async {
        do {
            try await services.database.transaction { db in
                try await AuditLog.append(AuditEvent(
                    accountID: account, action: "auth.login_failed", outcome: .denied, status: 401,
                    actorID: user?.id, actorEmail: user?.email, reason: reason
                ), on: db)
            }
        } catch {
            services.metrics.auditWriteFailed()
            services.logger.error("audit.write_failed", metadata: ["audit.action": "auth.login_failed"])
        }
    }
}

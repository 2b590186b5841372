import Foundation
import Hummingbird
import SnackBaseAuth
import SnackBaseCore
import SnackBaseService
import SnackBaseStore

/// `/api/v1/auth`: register, login, refresh, logout, me.
struct AuthController {
    let services: AppServices

    func register(on group: RouterGroup<AppRequestContext>) {
        group.post("register", use: registerAccount)
        group.post("login", use: login)
        group.post("refresh", use: refresh)
        group.post("logout", use: logout)
        group.get("me", use: me)
    }

    // MARK: register

    struct RegisterBody: Decodable {
        let accountName: String
        let accountSlug: String?
        let email: String
        let password: String
    }

    struct RegisterAnswer: Encodable {
        struct AccountPart: Encodable { let id, slug, name, createdAt: String }
        struct UserPart: Encodable { let id, email: String; let roles: [String]; let isActive: Bool; let createdAt: String }
        let account: AccountPart
        let user: UserPart
        let token: String
        let refreshToken: String
        let expiresIn: Int
    }

    @Sendable func registerAccount(_ request: Request, context: AppRequestContext) async throws -> Response {
        // Each registration costs a password hash on the pool logins share and a new account.
        let admission = await services.requestLimiter.admit("register|" + (context.remoteAddress ?? "unknown"), limit: services.rateLimits.register)
        guard admission.allowed else {
            services.metrics.rateLimitHit()
            throw SnackBaseError.tooManyRequests(retryAfter: admission.retryAfter)
        }
        let body = try await JSONBody.decode(RegisterBody.self, from: request)
        var problems: [SnackBaseError.Detail] = []
        let new = AccountService.NewAccount(name: body.accountName, slug: body.accountSlug, fields: ("account_name", "account_slug"), problems: &problems)
        let email = Validation.normalizedEmail(body.email)
        if !Validation.isValidEmail(email) { problems.append(.init(field: "email", message: "is not a valid e-mail address")) }
        problems += Validation.passwordProblems(body.password).map { .init(field: "password", message: $0) }
        guard let new, problems.isEmpty else { throw SnackBaseError.validation(problems) }

        let passwordHash = try await services.passwords.hash(body.password)
        let family = SecureID.make("fam")
        let (account, user) = try await AccountService(services: services).register(new, email: email, passwordHash: passwordHash)
        let pair = try await startSession(family: family, user: user)
        return try JSONBody.response(.created, RegisterAnswer(
            account: .init(id: account.id.rawValue, slug: account.slug, name: account.name, createdAt: account.createdAt),
            user: .init(id: user.id, email: user.email, roles: user.roles, isActive: user.isActive, createdAt: user.createdAt),
            token: pair.access, refreshToken: pair.refresh, expiresIn: pair.expiresIn
        ))
    }

    // MARK: login

    struct LoginBody: Decodable {
        let account: String
        let email: String
        let password: String
    }

    struct LoginAnswer: Encodable {
        struct AccountPart: Encodable { let id, slug, name: String }
        struct UserPart: Encodable { let id, email: String; let roles: [String] }
        let token: String
        let refreshToken: String
        let expiresIn: Int
        let account: AccountPart
        let user: UserPart
    }

    @Sendable func login(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(LoginBody.self, from: request)
        let email = Validation.normalizedEmail(body.email)
        let named = try await services.database.read { db in try await AccountRepository.find(idOrSlug: body.account, on: db) }
        // One counter per account however it is named (slug or id), so naming it both ways gains nothing.
        let identity = (named?.id.rawValue ?? body.account.lowercased()) + "|" + email
        let attempt: LoginRateLimiter.Attempt
        switch await services.loginLimiter.begin(identity: identity, address: context.remoteAddress) {
        case .refused(let wait):
            services.metrics.rateLimitHit()
            throw SnackBaseError.tooManyRequests(retryAfter: wait)
        case .admitted(let admitted):
            attempt = admitted
        }
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
                verified = await services.passwords.verify(body.password, against: user.passwordHash) && user.isActive
            } else {
                verified = await services.passwords.verifyDecoy(body.password)
            }
        } catch {
            await services.loginLimiter.finish(attempt, .abandoned)
            throw error
        }
        guard verified, let (account, user) = found else {
            await services.loginLimiter.finish(attempt, .failed)
            services.metrics.loginFailed()
            await recordLoginFailure(accountName: body.account, email: email, user: found?.1)
            throw SnackBaseError.invalidCredentials
        }
        await services.loginLimiter.finish(attempt, .succeeded)
        if services.passwords.needsRehash(user.passwordHash) {
            let upgraded = try await services.passwords.hash(body.password)
            // Only the hash, and only while it is still the one just verified: a deactivation or a
            // new password written meanwhile stays.
            try await services.database.transaction { db in
                try await UserRepository.update(id: user.id, .init(passwordHash: upgraded), ifPasswordHash: user.passwordHash, in: AccountScope(account.id), on: db)
            }
        }
        let pair = try await startSession(family: SecureID.make("fam"), user: user, audit: AuditEvent(
            accountID: account.id, action: "auth.login", status: 200, actorID: user.id, actorEmail: user.email
        ))
        return try JSONBody.response(.ok, LoginAnswer(
            token: pair.access, refreshToken: pair.refresh, expiresIn: pair.expiresIn,
            account: .init(id: account.id.rawValue, slug: account.slug, name: account.name),
            user: .init(id: user.id, email: user.email, roles: user.roles)
        ))
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
    private func startSession(family: String, user: User, audit: AuditEvent? = nil) async throws -> TokenService.Pair {
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

    struct RefreshBody: Decodable {
        let refreshToken: String
    }

    private enum RefreshOutcome: Sendable {
        case rotated(TokenService.Pair)
        case refused
    }

    @Sendable func refresh(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(RefreshBody.self, from: request)
        let claims = try await services.tokens.verify(body.refreshToken, expecting: .refresh)
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
        case .rotated(let pair):
            return try JSONBody.response(.ok, TokenPairDTO(token: pair.access, refreshToken: pair.refresh, expiresIn: pair.expiresIn))
        case .refused:
            throw SnackBaseError.unauthorized("Invalid token")
        }
    }

    // MARK: logout

    struct LogoutBody: Decodable {
        let refreshToken: String?
    }

    @Sendable func logout(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requireUser()
        let buffer = try await JSONBody.bytes(of: request)
        var families: [String] = principal.sessionFamily.map { [$0] } ?? []
        if buffer.readableBytes > 0 {
            let body = try JSONBody.decode(LogoutBody.self, buffer: buffer)
            if let token = body.refreshToken,
               let claims = try? await services.tokens.verify(token, expecting: .refresh),
               claims.subject == principal.userID, claims.accountID == principal.accountID.rawValue {
                families.append(claims.family)
            }
        }
        let scope = principal.scope
        let revoked = Set(families)
        try await services.database.transaction { db in
            for family in revoked {
                try await TokenRepository.revokeFamily(family, reason: "logout", in: scope, on: db)
            }
            try await AuditLog.append(AuditEvent("auth.logout", in: scope.accountID, by: principal, status: 204), on: db)
        }
        return JSONBody.noContent()
    }

    // MARK: me

    struct MeAnswer: Encodable {
        let userId: String
        let accountId: String
        let email: String
        let roles: [String]
        let isSuperadmin: Bool
    }

    @Sendable func me(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requireUser()
        return try JSONBody.response(.ok, MeAnswer(
            userId: principal.userID ?? "", accountId: principal.accountID.rawValue, email: principal.email ?? "",
            roles: principal.roles, isSuperadmin: principal.isSuperadmin
        ))
    }
}

import Hummingbird
import SnackBaseCore
import SnackBaseService
import SnackBaseAuth

/// `/api/v1/auth`: register, login, refresh, logout, me, and a user's change of their own password.
struct AuthController {
    let services: AppServices

    private var auth: AuthService { AuthService(services: services) }

    func register(on group: RouterGroup<AppRequestContext>) {
        group.post("register", use: registerAccount)
        group.post("login", use: login)
        group.post("refresh", use: refresh)
        group.post("logout", use: logout)
        group.get("me", use: me)
        group.post("password", use: changePassword)
        TwoFactorController(services: services).register(on: group.group("mfa"))
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
        struct UserPart: Encodable { let id, email: String; let roles: [String]; let isActive: Bool; let createdAt: String; var emailVerified = false }
        let account: AccountPart
        let user: UserPart
        let token: String
        let refreshToken: String
        let expiresIn: Int
    }

    @Sendable func registerAccount(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await auth.admitRegistration(from: context.remoteAddress)
        let body = try await JSONBody.decode(RegisterBody.self, from: request)
        let session = try await auth.register(accountName: body.accountName, accountSlug: body.accountSlug, email: body.email, password: body.password)
        let (account, user, pair) = (session.account, session.user, session.tokens)
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
        let session: AuthService.Session
        switch try await auth.login(account: body.account, email: body.email, password: body.password, from: context.remoteAddress) {
        case .signedIn(let signedIn): session = signedIn
        case .mfaRequired(let challenge):
            return try JSONBody.response(.ok, MFARequiredAnswer(mfaRequired: true, mfaToken: challenge.token, expiresIn: challenge.expiresIn))
        }
        return try Self.loginResponse(session)
    }

    struct MFARequiredAnswer: Encodable {
        let mfaRequired: Bool
        let mfaToken: String
        let expiresIn: Int
    }

    /// The answer of a completed sign-in (after the password, or after the second step).
    static func loginResponse(_ session: AuthService.Session) throws -> Response {
        let (account, user, pair) = (session.account, session.user, session.tokens)
        return try JSONBody.response(.ok, LoginAnswer(
            token: pair.access, refreshToken: pair.refresh, expiresIn: pair.expiresIn,
            account: .init(id: account.id.rawValue, slug: account.slug, name: account.name),
            user: .init(id: user.id, email: user.email, roles: user.roles)
        ))
    }

    // MARK: refresh

    struct RefreshBody: Decodable {
        let refreshToken: String
    }

    @Sendable func refresh(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(RefreshBody.self, from: request)
        let pair = try await auth.refresh(body.refreshToken)
        return try JSONBody.response(.ok, TokenPairDTO(token: pair.access, refreshToken: pair.refresh, expiresIn: pair.expiresIn))
    }

    // MARK: logout

    struct LogoutBody: Decodable {
        let refreshToken: String?
    }

    @Sendable func logout(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requireUser()
        let buffer = try await JSONBody.bytes(of: request)
        var refreshToken: String?
        if buffer.readableBytes > 0 {
            refreshToken = try JSONBody.decode(LogoutBody.self, buffer: buffer).refreshToken
        }
        try await auth.logout(principal, refreshToken: refreshToken)
        return JSONBody.noContent()
    }

    // MARK: password

    struct PasswordChangeBody: Decodable {
        let currentPassword: String
        let newPassword: String
    }

    /// `POST /auth/password {current_password, new_password}` → 204 (``AuthService/changePassword(current:new:by:from:)``).
    @Sendable func changePassword(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requireUser()
        let body = try await JSONBody.decode(PasswordChangeBody.self, from: request)
        try await auth.changePassword(current: body.currentPassword, new: body.newPassword, by: principal, from: context.remoteAddress)
        return JSONBody.noContent()
    }

    // MARK: me

    /// `email` is `null` for an API key (written out, not left away).
    struct MeAnswer: Encodable {
        let userId: String
        let accountId: String
        @NullWhenAbsent var email: String?
        let roles: [String]
        let isSuperadmin: Bool
        let apiKey: Bool
    }

    @Sendable func me(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requireUser()
        return try JSONBody.response(.ok, MeAnswer(
            userId: principal.userID ?? "", accountId: principal.accountID.rawValue, email: principal.isAPIKey ? nil : principal.email ?? "",
            roles: principal.roles, isSuperadmin: principal.isSuperadmin, apiKey: principal.isAPIKey
        ))
    }
}

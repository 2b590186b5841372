import Hummingbird
import SnackBaseAuth
import SnackBaseCore
import SnackBaseService

/// The mail flows under `/api/v1/auth` (identity.md "Email"): verify-email, its resend,
/// password-reset and its confirmation, accept-invitation. Every route a caller reaches without
/// a token is rate limited per client address first, before its body is read.
struct EmailFlowController {
    let services: AppServices

    func register(on group: RouterGroup<AppRequestContext>) {
        group.post("verify-email", use: verifyEmail)
        group.post("verify-email/resend", use: resend)
        group.post("password-reset", use: requestReset)
        group.post("password-reset/confirm", use: confirmReset)
        group.post("accept-invitation", use: acceptInvitation)
    }

    struct TokenBody: Decodable {
        let token: String
    }

    struct VerifiedAnswer: Encodable {
        let userId: String
        let email: String
        let emailVerified: Bool
    }

    @Sendable func verifyEmail(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await services.admitUnauthenticated("verify_email", key: context.remoteAddress ?? "unknown", limit: services.rateLimits.verifyEmail)
        let body = try await JSONBody.decode(TokenBody.self, from: request)
        let user = try await EmailVerificationService(services: services).verify(token: body.token)
        return try JSONBody.response(.ok, VerifiedAnswer(userId: user.id, email: user.email, emailVerified: user.emailVerified))
    }

    struct Accepted: Encodable {
        let message: String
    }

    @Sendable func resend(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requireUser()
        try await EmailVerificationService(services: services).resend(for: principal)
        return try JSONBody.response(.accepted, Accepted(message: "If the e-mail address still needs verifying, a link is on its way"))
    }

    struct ResetBody: Decodable {
        let account: String
        let email: String
    }

    /// The one answer of every reset request, whether or not the user exists.
    static let resetAnswer = Accepted(message: "If this account has a user with this e-mail address, a link to reset the password is on its way")

    @Sendable func requestReset(_ request: Request, context: AppRequestContext) async throws -> Response {
        let resets = PasswordResetService(services: services)
        try await services.admitUnauthenticated("password_reset_address", key: context.remoteAddress ?? "unknown", limit: services.rateLimits.passwordResetAddress)
        let body = try await JSONBody.decode(ResetBody.self, from: request)
        try await resets.admitIdentity(account: body.account, email: body.email)
        await resets.request(account: body.account, email: body.email)
        return try JSONBody.response(.accepted, Self.resetAnswer)
    }

    struct ConfirmBody: Decodable {
        let token: String
        let password: String
    }

    @Sendable func confirmReset(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await services.admitUnauthenticated("password_reset_address", key: context.remoteAddress ?? "unknown", limit: services.rateLimits.passwordResetAddress)
        let body = try await JSONBody.decode(ConfirmBody.self, from: request)
        try await PasswordResetService(services: services).confirm(token: body.token, password: body.password)
        return JSONBody.noContent()
    }

    @Sendable func acceptInvitation(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await services.admitUnauthenticated("accept_invitation", key: context.remoteAddress ?? "unknown", limit: services.rateLimits.acceptInvitation)
        let body = try await JSONBody.decode(ConfirmBody.self, from: request)
        let session = try await AuthService(services: services).acceptInvitation(token: body.token, password: body.password)
        let (account, user, pair) = (session.account, session.user, session.tokens)
        return try JSONBody.response(.created, AuthController.LoginAnswer(
            token: pair.access, refreshToken: pair.refresh, expiresIn: pair.expiresIn,
            account: .init(id: account.id.rawValue, slug: account.slug, name: account.name),
            user: .init(id: user.id, email: user.email, roles: user.roles)
        ))
    }
}

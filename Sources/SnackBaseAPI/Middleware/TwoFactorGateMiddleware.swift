import Hummingbird
import SnackBaseCore

/// A user who holds a role with `require_mfa` and has not turned two-factor sign-in on is refused
/// (403 `Two-factor sign-in required`) on every API route but `/api/v1/auth/*`, where they enrol.
/// Runs after ``AuditMiddleware``, so each refusal is an audited denial.
struct TwoFactorGateMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    static let open = "/api/v1/auth/"
    static let gated = "/api/v1/"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let identity = context.identity, identity.mustEnrolTwoFactor, context.authenticationFailure == nil {
            let path = request.uri.path
            if path.hasPrefix(Self.gated) && !path.hasPrefix(Self.open) {
                throw SnackBaseError.forbidden("Two-factor sign-in required")
            }
        }
        return try await next(request, context)
    }
}

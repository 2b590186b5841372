import Hummingbird
import SnackBaseAuth
import SnackBaseCore
import SnackBaseService
import SnackBaseStore
import Logging

/// Identifies the caller; never rejects. A bearer access token or an API key (`Authorization:
/// Bearer sb_ak_…` or `X-API-Key`) becomes the request's ``Principal`` through
/// ``IdentityResolver/resolve(_:from:)``, which decides what is valid (the user must still exist and
/// be active, its sign-in or the key not revoked, roles read fresh). A refused credential is
/// remembered so the gate (``AppRequestContext/requireIdentity()``) answers with its reason. Without
/// one, an `X-Account` header (or `X-Account-ID`, the Python SnackBase's name) makes the caller
/// anonymous in that account.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let services: AppServices

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let credential = Self.credential(request) {
            context.presentedToken = true
            switch credential {
            case .success(let credential):
                switch await services.identities.resolve(credential, from: context.remoteAddress) {
                case .principal(let principal):
                    context.identity = principal
                    context.logger[metadataKey: "account.id"] = .string(principal.accountID.rawValue)
                case .refused(let error, let signIn):
                    context.authenticationFailure = error
                    context.refusedSignIn = signIn
                }
            case .failure(let error):
                context.authenticationFailure = error
            }
        } else if let name = request.headers[.account] ?? request.headers[.accountID] {
            if let anonymous = try await services.identities.anonymous(in: name) {
                context.identity = anonymous
            } else {
                context.authenticationFailure = .unauthorized("Unknown account")
            }
        }
        return try await next(request, context)
    }

    /// The presented credential, nil when there is none; `Authorization` wins over `X-API-Key`.
    private static func credential(_ request: Request) -> Result<IdentityResolver.Credential, SnackBaseError>? {
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else { return .failure(.unauthorized("Invalid authorization header")) }
            return .success(.bearer(String(parts[1])))
        }
        if let key = request.headers[.apiKey] {
            return .success(.apiKey(key))
        }
        return nil
    }
}

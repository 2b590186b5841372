import Hummingbird
import SnackBaseAuth
import SnackBaseCore
import SnackBaseService
import SnackBaseStore
import Logging

/// Identifies the caller; never rejects. A valid bearer token becomes the request's
/// ``Principal`` (the user must still exist, be active, and its sign-in not be revoked; roles
/// are read fresh, never trusted from the token). A refused token is remembered so the gate
/// (``AppRequestContext/requireIdentity()``) answers with its reason. Without a token, an
/// `X-Account` header (or `X-Account-ID`, the Python SnackBase's name) makes the caller anonymous in that account.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let services: AppServices

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let header = request.headers[.authorization] {
            context.presentedToken = true
            var verified: (accountID: AccountID, userID: String)?
            do {
                let principal = try await authenticate(header: header, verified: &verified)
                context.identity = principal
                context.logger[metadataKey: "account.id"] = .string(principal.accountID.rawValue)
            } catch {
                context.authenticationFailure = error
                context.refusedSignIn = verified
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

    /// `verified`: set once the token's signature and claims check, before the sign-in is looked up.
    private func authenticate(header: String, verified: inout (accountID: AccountID, userID: String)?) async throws(SnackBaseError) -> Principal {
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { throw .unauthorized("Invalid authorization header") }
        let claims = try await services.tokens.verify(String(parts[1]), expecting: .access)
        guard let accountID = AccountID(claims.accountID) else { throw .unauthorized("Invalid token") }
        verified = (accountID, claims.subject)
        let principal: Principal?
        do {
            principal = try await services.identities.principal(userID: claims.subject, accountID: accountID, family: claims.family)
        } catch {
            throw .internalError
        }
        guard let principal else { throw .unauthorized("Token revoked or user inactive") }
        return principal
    }
}

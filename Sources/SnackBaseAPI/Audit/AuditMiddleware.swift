import HTTPTypes
import Hummingbird
import SnackBaseCore
import SnackBaseService
import SnackBaseStore

/// Runs right after ``AuthenticationMiddleware``. It makes the request's origin (id, address, user
/// agent) the ``AuditOrigin`` of every entry written while the request is handled, and records each
/// denial (security-model.md §6): a 403, or a 401 on a protected route although a token was presented.
/// Every denial is counted in the metrics; ``DenialLedger`` decides which get an entry of their own
/// and which are summarized. An entry is written in its own transaction, in the caller's chain (the
/// system account's when the caller could not be identified). Failing to write it never changes the
/// answer: it is logged and counted (`snackbase_audit_write_failures_total`).
struct AuditMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let services: AppServices

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let origin = AuditOrigin(requestID: context.requestID, ip: context.remoteAddress, userAgent: request.headers[.userAgent])
        return try await AuditOrigin.$current.withValue(origin) {
            do {
                return try await next(request, context)
            } catch let error as SnackBaseError {
                await record(error, request: request, context: context)
                throw error
            }
        }
    }

    private func record(_ error: SnackBaseError, request: Request, context: Context) async {
        guard let (action, reason) = DenialClass.classify(error, presentedToken: context.presentedToken, route: context.endpointPath) else { return }
        services.metrics.denied(reason)
        // A token signed by this server but refused (user deactivated, session revoked) is denied in
        // its own account's chain, under its user; an unverifiable one in the system account's.
        let caller = context.identity ?? context.refusedSignIn.map { Principal(userID: $0.userID, email: nil, accountID: $0.accountID, roles: []) }
        // Anyone can send a garbage token or name an account: those denials are only counted and
        // summarized, never an entry each (security-model.md §6).
        let unverifiable = caller == nil && context.presentedToken
        let anonymousCrossAccount = error.code == .crossAccount && (caller?.isAnonymous ?? true)
        let key = DenialLedger.Key(account: caller?.accountID ?? .system, address: context.remoteAddress ?? DenialLedger.unknownAddress, action: action)
        let reasonText = "\(error.message) (\(request.method.rawValue) \(context.endpointPath ?? "?"))"
        await services.recordDenial(key, mayHaveOwnEntry: !unverifiable && !anonymousCrossAccount, entry: AuditEvent(
            action, in: caller?.accountID ?? .system, by: caller, outcome: .denied, status: error.status,
            collection: context.parameters.get("collection"), recordID: context.parameters.get("id"), reason: reasonText
        ))
    }
}

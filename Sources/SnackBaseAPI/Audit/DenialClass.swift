import SnackBaseCore
import SnackBaseService

/// Which denials the audit log and the metrics record, and under which action, decided by the
/// error's ``SnackBaseError/Code`` (never by its message, so rewording one changes nothing here).
enum DenialClass {
    /// Routes where a 401 is the route's own answer (bad credentials, a bad refresh token, a scraper
    /// without the metrics token), not a denial of a token on a protected route. Login failures have
    /// their own entry (`auth.login_failed`).
    static let unprotectedRoutes: Set<String> = [
        "api/v1/auth/login", "api/v1/auth/register", "api/v1/auth/refresh", "metrics", "health", "ready", "live",
    ]

    /// The audit action and metric reason of a refused request, or nil when it is not a denial to record.
    static func classify(_ error: SnackBaseError, presentedToken: Bool, route: String?) -> (action: String, reason: AppMetrics.DenialReason)? {
        switch error.code {
        case .crossAccount:
            // An anonymous caller (X-Account, no token) naming another account is answered 401 and is
            // a cross-account attempt all the same (security-model.md §2).
            return ("access.cross_account", .crossAccount)
        case .escalation:
            return ("access.escalation", .escalation)
        case .forbidden:
            return ("access.denied", .forbidden)
        case .unauthenticated:
            let route = route.map { $0.hasPrefix("/") ? String($0.dropFirst()) : $0 } ?? ""
            guard presentedToken, !unprotectedRoutes.contains(route) else { return nil }
            return ("access.denied", .unauthenticated)
        case .other:
            return nil
        }
    }
}

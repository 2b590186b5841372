import SnackBaseCore

/// Which denials the audit log and the metrics record, and under which action. The classes follow the
/// messages the gates throw (AccountTarget, AccountAdministration, the user and superadmin gates);
/// AuditDenialTests pins each message to its class, so a reworded message fails a test instead of
/// silently falling into `access.denied`.
enum DenialClass {
    /// The message of every cross-account refusal.
    static let crossAccountMessage = "You cannot access another account"

    /// Messages of refusals that ask for more power than the caller has.
    static let escalationPrefixes = [
        "Only account admins can manage",
        "You cannot change your own roles",
        "You cannot deactivate yourself",
        "Superadmin access required",
        "Superadmins are created with",
    ]

    /// Routes where a 401 is the route's own answer (bad credentials, a bad refresh token, a scraper
    /// without the metrics token), not a denial of a token on a protected route. Login failures have
    /// their own entry (`auth.login_failed`).
    static let unprotectedRoutes: Set<String> = [
        "api/v1/auth/login", "api/v1/auth/register", "api/v1/auth/refresh", "metrics", "health", "ready", "live",
    ]

    /// The audit action and metric reason of a refused request, or nil when it is not a denial to record.
    static func classify(_ error: SnackBaseError, presentedToken: Bool, route: String?) -> (action: String, reason: AppMetrics.DenialReason)? {
        switch error.status {
        case 403:
            if error.message == crossAccountMessage { return ("access.cross_account", .crossAccount) }
            if escalationPrefixes.contains(where: { error.message.hasPrefix($0) }) { return ("access.escalation", .escalation) }
            return ("access.denied", .forbidden)
        case 401:
            // An anonymous caller (X-Account, no token) naming another account is answered 401 and is
            // a cross-account attempt all the same (security-model.md §2).
            if error.message == crossAccountMessage { return ("access.cross_account", .crossAccount) }
            let route = route.map { $0.hasPrefix("/") ? String($0.dropFirst()) : $0 } ?? ""
            guard presentedToken, !unprotectedRoutes.contains(route) else { return nil }
            return ("access.denied", .unauthenticated)
        default:
            return nil
        }
    }
}

import SQLKit
import SnackBaseCore

/// The caller of an authenticated request as it is now, in one query: the user (which must be
/// active), its sign-in (which must not be revoked) and its role names.
public enum IdentityRepository {
    public struct Identity: Sendable, Equatable {
        public let email: String
        public let roles: [String]
        /// A role it holds requires two-factor sign-in, which it has not turned on.
        public let mustEnrolTwoFactor: Bool
    }

    /// Nil when the user does not exist in the scope's account, is inactive, or the token family
    /// is unknown, belongs to someone else or is revoked.
    public static func current(userID: String, family: String, in scope: AccountScope, on db: any SQLDatabase) async throws -> Identity? {
        try await RowSecurity.enter(scope, on: db)
        let account = scope.accountID.rawValue
        let rows = try await db.raw("""
            SELECT u.email AS email, u.is_active AS is_active, u.mfa_enabled AS mfa_enabled, r.name AS role, r.require_mfa AS require_mfa
            FROM users u
            JOIN token_families f ON f.account_id = u.account_id AND f.id = \(bind: family) AND f.user_id = u.id AND f.revoked_at IS NULL
            LEFT JOIN user_roles ur ON ur.account_id = u.account_id AND ur.user_id = u.id
            LEFT JOIN roles r ON r.account_id = ur.account_id AND r.id = ur.role_id
            WHERE u.account_id = \(bind: account) AND u.id = \(bind: userID)
            """).all()
        guard let first = rows.first, try first.decode(column: "is_active", as: Bool.self) else { return nil }
        let roles = try rows.compactMap { try $0.decode(column: "role", as: String?.self) }
        let required = try rows.contains { try $0.decode(column: "require_mfa", as: Bool?.self) == true }
        let enabled = try first.decode(column: "mfa_enabled", as: Bool.self)
        return Identity(email: try first.decode(column: "email", as: String.self), roles: Array(Set(roles)).sorted(),
                        mustEnrolTwoFactor: required && !enabled)
    }
}

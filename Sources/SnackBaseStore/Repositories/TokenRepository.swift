import SQLKit
import SnackBaseCore

/// Refresh-token families. A family is one sign-in; each refresh rotates its token. Presenting a
/// token that was already rotated revokes the whole family, and every access token issued in it.
public enum TokenRepository {
    public struct RefreshToken: Sendable {
        public let jti: String
        public let familyID: String
        public let usedAt: String?
        public let familyRevoked: Bool
        public let userID: String
    }

    public static func createFamily(id: String, userID: String, in scope: AccountScope, on db: any SQLDatabase) async throws {
        try await RowSecurity.enter(scope, on: db)
        try await db.raw("""
            INSERT INTO token_families (id, account_id, user_id, created_at)
            VALUES (\(bind: id), \(bind: scope.accountID.rawValue), \(bind: userID), \(bind: Timestamp.now()))
            """).run()
    }

    public static func insertRefresh(jti: String, familyID: String, expiresAt: String, in scope: AccountScope, on db: any SQLDatabase) async throws {
        try await RowSecurity.enter(scope, on: db)
        try await db.raw("""
            INSERT INTO refresh_tokens (jti, account_id, family_id, expires_at, created_at)
            VALUES (\(bind: jti), \(bind: scope.accountID.rawValue), \(bind: familyID), \(bind: expiresAt), \(bind: Timestamp.now()))
            """).run()
    }

    public static func findRefresh(jti: String, in scope: AccountScope, on db: any SQLDatabase) async throws -> RefreshToken? {
        try await RowSecurity.enter(scope, on: db)
        guard let row = try await db.raw("""
            SELECT t.jti AS jti, t.family_id AS family_id, t.used_at AS used_at, f.revoked_at AS revoked_at, f.user_id AS user_id
            FROM refresh_tokens t JOIN token_families f ON f.id = t.family_id AND f.account_id = t.account_id
            WHERE t.account_id = \(bind: scope.accountID.rawValue) AND t.jti = \(bind: jti)
            """).first() else { return nil }
        return RefreshToken(
            jti: try row.decode(column: "jti", as: String.self),
            familyID: try row.decode(column: "family_id", as: String.self),
            usedAt: try row.decode(column: "used_at", as: String?.self),
            familyRevoked: try row.decode(column: "revoked_at", as: String?.self) != nil,
            userID: try row.decode(column: "user_id", as: String.self)
        )
    }

    /// Marks a refresh token used; false when it was already used (a concurrent refresh won).
    public static func markUsed(jti: String, in scope: AccountScope, on db: any SQLDatabase) async throws -> Bool {
        try await RowSecurity.enter(scope, on: db)
        let won = try await db.raw("""
            UPDATE refresh_tokens SET used_at = \(bind: Timestamp.now())
            WHERE account_id = \(bind: scope.accountID.rawValue) AND jti = \(bind: jti) AND used_at IS NULL
            RETURNING jti
            """).all()
        return !won.isEmpty
    }

    public static func revokeFamily(_ familyID: String, reason: String, in scope: AccountScope, on db: any SQLDatabase) async throws {
        try await RowSecurity.enter(scope, on: db)
        try await db.raw("""
            UPDATE token_families SET revoked_at = \(bind: Timestamp.now()), revoked_reason = \(bind: reason)
            WHERE account_id = \(bind: scope.accountID.rawValue) AND id = \(bind: familyID) AND revoked_at IS NULL
            """).run()
    }

    /// Revokes every sign-in of a user but `except` (the caller's own, when it changes its own password).
    public static func revokeFamilies(ofUser userID: String, except: String? = nil, reason: String, in scope: AccountScope, on db: any SQLDatabase) async throws {
        try await RowSecurity.enter(scope, on: db)
        try await db.raw("""
            UPDATE token_families SET revoked_at = \(bind: Timestamp.now()), revoked_reason = \(bind: reason)
            WHERE account_id = \(bind: scope.accountID.rawValue) AND user_id = \(bind: userID) AND revoked_at IS NULL
                AND id <> \(bind: except ?? "")
            """).run()
    }

    /// True when the family exists, belongs to the user and is not revoked.
    public static func isFamilyActive(_ familyID: String, userID: String, in scope: AccountScope, on db: any SQLDatabase) async throws -> Bool {
        try await RowSecurity.enter(scope, on: db)
        return try await db.raw("""
            SELECT 1 AS ok FROM token_families
            WHERE account_id = \(bind: scope.accountID.rawValue) AND id = \(bind: familyID) AND user_id = \(bind: userID) AND revoked_at IS NULL
            """).first() != nil
    }
}

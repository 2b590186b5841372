import SQLKit
import SnackBaseCore

/// The single-use tokens of mailed links (verification, password reset), stored as digests only.
/// A token is used up by ``consume(digest:purpose:now:in:on:)``, which wins at most once however
/// many requests present it at the same time.
public enum OneTimeTokenRepository {
    /// What a link is for; a token of one purpose is refused for any other.
    public enum Purpose: String, Sendable {
        case verifyEmail = "verify_email"
        case passwordReset = "password_reset"
    }

    public static func insert(
        digest: String, purpose: Purpose, userID: String, expiresAt: String, in scope: AccountScope, on db: any SQLDatabase
    ) async throws {
        try await RowSecurity.enter(scope, on: db)
        try await db.raw("""
            INSERT INTO one_time_tokens (digest, account_id, user_id, purpose, created_at, expires_at)
            VALUES (\(bind: digest), \(bind: scope.accountID.rawValue), \(bind: userID), \(bind: purpose.rawValue),
                    \(bind: Timestamp.now()), \(bind: expiresAt))
            """).run()
    }

    /// Uses up the token: the user it was issued to, or nil when there is no such token of this
    /// purpose, it was used, or it expired (`expires_at` not after `now`; both are
    /// ``Timestamp`` strings, which sort as the times they name).
    public static func consume(digest: String, purpose: Purpose, now: String, in scope: AccountScope, on db: any SQLDatabase) async throws -> String? {
        try await RowSecurity.enter(scope, on: db)
        let won = try await db.raw("""
            UPDATE one_time_tokens SET used_at = \(bind: now)
            WHERE account_id = \(bind: scope.accountID.rawValue) AND digest = \(bind: digest) AND purpose = \(bind: purpose.rawValue)
                AND used_at IS NULL AND expires_at > \(bind: now)
            RETURNING user_id
            """).all()
        return try won.first?.decode(column: "user_id", as: String.self)
    }

    /// Voids every unused token of this purpose of the user (a reset voids the other reset links;
    /// a changed e-mail voids the links sent to the old one).
    public static func voidAll(userID: String, purpose: Purpose, now: String, in scope: AccountScope, on db: any SQLDatabase) async throws {
        try await RowSecurity.enter(scope, on: db)
        try await db.raw("""
            UPDATE one_time_tokens SET used_at = \(bind: now)
            WHERE account_id = \(bind: scope.accountID.rawValue) AND user_id = \(bind: userID) AND purpose = \(bind: purpose.rawValue)
                AND used_at IS NULL
            """).run()
    }

    /// When the newest token of this purpose was issued to the user (the resend throttle).
    public static func lastIssued(userID: String, purpose: Purpose, in scope: AccountScope, on db: any SQLDatabase) async throws -> String? {
        try await RowSecurity.enter(scope, on: db)
        return try await db.raw("""
            SELECT MAX(created_at) AS newest FROM one_time_tokens
            WHERE account_id = \(bind: scope.accountID.rawValue) AND user_id = \(bind: userID) AND purpose = \(bind: purpose.rawValue)
            """).first()?.decode(column: "newest", as: String?.self)
    }
}

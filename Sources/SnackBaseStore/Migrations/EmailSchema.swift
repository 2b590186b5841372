/// Migration 6: what the mail flows need (identity.md "Email").
///
/// - `users.email_verified`, false for every existing user.
/// - `one_time_tokens`: the single-use tokens of verification and reset links, as SHA-256 digests
///   only (a copy of the database holds no usable link), each for one purpose and one user.
/// - `invitations`: who was invited to which account with which roles, with the digest of the
///   link's token; accepted or revoked ones stay as history.
/// - `rate_limit_windows`: counters of the unauthenticated routes, shared by every process on
///   PostgreSQL; keys are digests, so no e-mail or address is stored.
///
/// On PostgreSQL the two tenant tables get the `account_isolation` policy like those of
/// migration 4, and the counters (no tenant rows) are granted to the application role.
enum EmailSchema {
    static let statements: [String] = [
        "ALTER TABLE users ADD COLUMN email_verified {BOOL} NOT NULL DEFAULT FALSE",
        """
        CREATE TABLE one_time_tokens (
            digest TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            purpose TEXT NOT NULL,
            created_at TEXT NOT NULL, expires_at TEXT NOT NULL, used_at TEXT)
        """,
        "CREATE INDEX one_time_tokens_by_account_user ON one_time_tokens (account_id, user_id, purpose)",
        """
        CREATE TABLE invitations (
            id TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            email TEXT NOT NULL, roles TEXT NOT NULL,
            token_digest TEXT NOT NULL UNIQUE,
            invited_by TEXT,
            created_at TEXT NOT NULL, expires_at TEXT NOT NULL,
            accepted_at TEXT, revoked_at TEXT)
        """,
        "CREATE INDEX invitations_by_account ON invitations (account_id, created_at)",
        """
        CREATE TABLE rate_limit_windows (
            key TEXT NOT NULL, window_start BIGINT NOT NULL, count INTEGER NOT NULL,
            PRIMARY KEY (key, window_start))
        """,
    ]

    static var postgres: [String] {
        ["one_time_tokens", "invitations"].flatMap { RowSecurity.protect(quotedTable: "\"\($0)\"") }
            + ["GRANT SELECT, INSERT, UPDATE, DELETE ON rate_limit_windows TO \(RowSecurity.applicationRole)"]
    }
}

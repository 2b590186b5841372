/// Migration 5: API keys and two-factor sign-in (identity.md).
///
/// - `api_keys`: one row per key; the key itself is never stored, only its SHA-256 `digest`
///   (unique: a request's key is found by it) and its first 12 characters (`prefix`).
/// - `api_key_roles`: the roles a key holds, by role id, so deleting a role takes it from every
///   key at once (a role created later under the same name is not granted by accident).
/// - `users`: the sealed TOTP seed (`SecretSealer`, bound to the user id), whether two-factor
///   sign-in is on, and the last time step used (a code is accepted once).
/// - `recovery_codes`: digests of the single-use recovery codes.
/// - `roles.require_mfa`: holders must turn two-factor sign-in on.
/// - `mfa_challenges`: the `mfa_token`s between a password and a code, by digest, with their
///   failures, so every process on one PostgreSQL counts the same 5 wrong codes.
enum IdentitySchema {
    static let statements: [String] = [
        """
        CREATE TABLE api_keys (
            id TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            name TEXT NOT NULL, prefix TEXT NOT NULL, digest TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL, created_by TEXT, expires_at TEXT, last_used_at TEXT, revoked_at TEXT)
        """,
        "CREATE INDEX api_keys_by_account ON api_keys (account_id, created_at)",
        """
        CREATE TABLE api_key_roles (
            account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            key_id TEXT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
            role_id TEXT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
            PRIMARY KEY (key_id, role_id))
        """,
        "CREATE INDEX api_key_roles_by_account_role ON api_key_roles (account_id, role_id)",
        "ALTER TABLE users ADD COLUMN totp_seed TEXT",
        "ALTER TABLE users ADD COLUMN mfa_enabled {BOOL} NOT NULL DEFAULT FALSE",
        "ALTER TABLE users ADD COLUMN totp_last_step BIGINT",
        "ALTER TABLE roles ADD COLUMN require_mfa {BOOL} NOT NULL DEFAULT FALSE",
        """
        CREATE TABLE recovery_codes (
            account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            digest TEXT NOT NULL,
            PRIMARY KEY (user_id, digest))
        """,
        "CREATE INDEX recovery_codes_by_account_user ON recovery_codes (account_id, user_id)",
        """
        CREATE TABLE mfa_challenges (
            digest TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            expires_at TEXT NOT NULL, failures INTEGER NOT NULL DEFAULT 0, used_at TEXT, created_at TEXT NOT NULL)
        """,
        "CREATE INDEX mfa_challenges_by_account_user ON mfa_challenges (account_id, user_id)",
    ]

    /// The new tenant tables under the row-level security policy, as migration 4 put the first ones,
    /// and the one reviewed way across accounts: finding which account a presented key belongs to.
    static var postgres: [String] {
        RowSecurity.identityTables.flatMap { RowSecurity.protect(quotedTable: "\"\($0)\"") } + RowSecurity.apiKeyAccountFunction
    }
}

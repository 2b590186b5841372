/// The schema, as the ordered list of its migrations. Every tenant table carries a non-null
/// `account_id` that leads the index serving its lookups.
enum Schema {
    static let migrations: [Migration] = [
        Migration(version: 1, name: "accounts, users, roles, permissions, tokens", statements: [
            """
            CREATE TABLE accounts (
                id TEXT PRIMARY KEY, slug TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
                created_at TEXT NOT NULL, updated_at TEXT NOT NULL)
            """,
            """
            CREATE TABLE users (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                email TEXT NOT NULL, password_hash TEXT NOT NULL, is_active {BOOL} NOT NULL,
                created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
                UNIQUE (account_id, email))
            """,
            """
            CREATE TABLE roles (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                name TEXT NOT NULL, description TEXT NOT NULL,
                created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
                UNIQUE (account_id, name))
            """,
            """
            CREATE TABLE user_roles (
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                role_id TEXT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
                PRIMARY KEY (user_id, role_id))
            """,
            "CREATE INDEX user_roles_by_account_role ON user_roles (account_id, role_id)",
            """
            CREATE TABLE permissions (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                role_id TEXT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
                collection TEXT NOT NULL,
                can_create {BOOL} NOT NULL, can_read {BOOL} NOT NULL, can_update {BOOL} NOT NULL, can_delete {BOOL} NOT NULL,
                fields TEXT, excluded_fields TEXT, rules TEXT, field_rules TEXT,
                created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
                UNIQUE (account_id, role_id, collection))
            """,
            """
            CREATE TABLE token_families (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                created_at TEXT NOT NULL, revoked_at TEXT, revoked_reason TEXT)
            """,
            "CREATE INDEX token_families_by_account_user ON token_families (account_id, user_id)",
            """
            CREATE TABLE refresh_tokens (
                jti TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                family_id TEXT NOT NULL REFERENCES token_families(id) ON DELETE CASCADE,
                expires_at TEXT NOT NULL, used_at TEXT, created_at TEXT NOT NULL)
            """,
            "CREATE INDEX refresh_tokens_by_account_family ON refresh_tokens (account_id, family_id)",
        ]),
        Migration(version: 2, name: "collections", statements: [
            """
            CREATE TABLE collections (
                id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, description TEXT NOT NULL,
                schema TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)
            """,
        ]),
        Migration(version: 3, name: "audit log", statements: AuditSchema.statements, sqlite: AuditSchema.sqlite, postgres: AuditSchema.postgres),
        // PostgreSQL only: the application role and a row-level security policy on every tenant table
        // (see RowSecurity). A later migration that adds a tenant table protects it the same way;
        // a table it does not grant stays out of the application's reach (fail closed).
        Migration(version: 4, name: "row-level security", statements: [], postgres: RowSecurity.migrationStatements),
        // API keys and two-factor sign-in (identity.md).
        Migration(version: 5, name: "api keys, two-factor sign-in", statements: IdentitySchema.statements, postgres: IdentitySchema.postgres),
        // E-mail verification, password reset and invitations (identity.md "Email").
        Migration(version: 6, name: "email verification, one-time tokens, invitations", statements: EmailSchema.statements, postgres: EmailSchema.postgres),
        // Realtime across processes on PostgreSQL: changes too large for one notification (realtime.md).
        Migration(version: 7, name: "realtime outbox", statements: [], postgres: RealtimeSchema.postgres),
        // PostgreSQL only: the audit append in one statement, the chain's lock taken inside it (AuditSchema).
        Migration(version: 8, name: "audit append function", statements: [], postgres: AuditSchema.appendFunction),
    ]
}

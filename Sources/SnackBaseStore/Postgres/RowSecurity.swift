import SQLKit
import SnackBaseCore

/// PostgreSQL's native row-level security: the database layer of account isolation
/// (security-model.md §2), beneath the repositories' own `WHERE account_id = …`.
///
/// Every tenant table has one policy, `account_isolation`, that lets a row be seen, written or
/// created only when its `account_id` equals the transaction's `snackbase.account_id` setting.
/// Application queries run under ``applicationRole``, which owns no table and has no BYPASSRLS,
/// so the policy holds even against a repository that forgot its `WHERE`; without a setting no
/// tenant row is visible at all (fail closed). On SQLite every function here is a no-op.
///
/// ```swift
/// public static func find(id: String, in scope: AccountScope, on db: any SQLDatabase) async throws -> Role? {
///     try await RowSecurity.enter(scope, on: db)
///     return try await db.raw("SELECT * FROM roles WHERE account_id = \(bind: scope.accountID.rawValue) AND id = \(bind: id)")…
/// }
/// ```
public enum RowSecurity {
    /// The NOLOGIN role application transactions switch to (`SET LOCAL ROLE`), created by a migration.
    public static let applicationRole = "snackbase_app"
    /// The per-transaction setting the policies read.
    public static let accountSetting = "snackbase.account_id"
    /// The tables that hold tenant rows and carry the policy, besides every collection's `col_<name>`.
    public static let tenantTables = ["users", "roles", "user_roles", "permissions", "token_families", "refresh_tokens"]
    /// Tenant tables the application may only read and append to (their triggers refuse the rest anyway).
    public static let appendOnlyTenantTables = ["audit_log"]
    /// The tenant tables of API keys and two-factor sign-in (migration 5), under the same policy.
    public static let identityTables = ["api_keys", "api_key_roles", "recovery_codes", "mfa_challenges"]

    /// The reviewed reasons code may see every account's rows. Each case names its call sites;
    /// a new one is a security review, not a convenience.
    public enum Bypass: String, Sendable {
        /// `Migrator`: schema changes run as the tables' owner.
        case migration
        /// `CollectionRepository` create, update and delete: DDL on `col_<name>` tables (superadmin only).
        case schemaChange = "schema-change"
        /// `PermissionRepository.naming`: the permissions of every account that name a collection
        /// (superadmin schema changes check them).
        case crossAccountPermissions = "cross-account-permissions"
        /// `AuditLog` reads without an account (superadmin): list, export and verification of every chain.
        case crossAccountAudit = "cross-account-audit"
        /// `AuditTamperingForTests`: tests that play an attacker with direct access to the database.
        case tamperingForTests = "tampering-for-tests"
    }

    /// Makes `scope` the account the policies admit, for the rest of the transaction. Every
    /// repository function that takes a scope calls this first.
    public static func enter(_ scope: AccountScope, on db: any SQLDatabase) async throws {
        guard let session = db as? PostgresSession else { return }
        try await session.enter(account: scope.accountID.rawValue)
    }

    /// Runs `body` without row-level security (as the tables' owner) for one of the reviewed
    /// ``Bypass`` reasons; the application role is restored when `body` returns.
    public static func bypassing<T>(_ reason: Bypass, on db: any SQLDatabase, _ body: (any SQLDatabase) async throws -> T) async throws -> T {
        guard let session = db as? PostgresSession else { return try await body(db) }
        return try await session.bypassing(reason, body)
    }

    /// Runs `body` in `account` when there is one, else under the `bypass` (the superadmin's
    /// reads of every account).
    public static func scoped<T>(
        _ account: AccountScope?, otherwise bypass: Bypass, on db: any SQLDatabase, _ body: (any SQLDatabase) async throws -> T
    ) async throws -> T {
        guard let account else { return try await bypassing(bypass, on: db, body) }
        try await enter(account, on: db)
        return try await body(db)
    }

    /// The account an API key belongs to, by the key's digest: the one lookup that cannot start
    /// from an account, because a request presents only the key. On PostgreSQL it goes through
    /// `snackbase_api_key_account`, a `SECURITY DEFINER` function that answers this one question
    /// and nothing else (no row, no other column); the key's row, its roles and everything after
    /// are then read under that account's policy as usual. Nil for an unknown digest.
    public static func accountOfAPIKey(digest: String, on db: any SQLDatabase) async throws -> AccountID? {
        if let session = db as? PostgresSession {
            // The account is entered by the same statement (one round trip, as a token's sign-in costs).
            return try await session.enterAccount(ofAPIKeyDigest: digest).flatMap(AccountID.init)
        }
        let row = try await db.raw("SELECT account_id FROM api_keys WHERE digest = \(bind: digest)").first()
        return try row?.decode(column: "account_id", as: String?.self).flatMap(AccountID.init)
    }

    /// The function behind ``accountOfAPIKey(digest:on:)``, owned by the migrating role (which row
    /// security does not restrict), callable by the application role only.
    static var apiKeyAccountFunction: [String] {
        [
            """
            CREATE OR REPLACE FUNCTION snackbase_api_key_account(key_digest TEXT) RETURNS TEXT
            LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT
            AS $$ SELECT account_id FROM api_keys WHERE digest = key_digest $$
            """,
            "REVOKE ALL ON FUNCTION snackbase_api_key_account(TEXT) FROM PUBLIC",
            "GRANT EXECUTE ON FUNCTION snackbase_api_key_account(TEXT) TO \(applicationRole)",
        ]
    }

    /// The policy condition, for every operation.
    static let condition = "account_id = current_setting('\(accountSetting)', true)"

    /// Statements that put a tenant table under the policy and let the application role use it.
    /// `table` is the identifier already quoted by the dialect.
    static func protect(quotedTable table: String, privileges: String = "SELECT, INSERT, UPDATE, DELETE") -> [String] {
        [
            "ALTER TABLE \(table) ENABLE ROW LEVEL SECURITY",
            "CREATE POLICY account_isolation ON \(table) USING (\(condition)) WITH CHECK (\(condition))",
            "GRANT \(privileges) ON \(table) TO \(applicationRole)",
        ]
    }

    /// Puts a new collection table under the policy (PostgreSQL only; SQLite has no RLS).
    static func protectCollectionTable(_ table: String, kind: DatabaseKind, on db: any SQLDatabase) async throws {
        guard kind == .postgres else { return }
        for statement in protect(quotedTable: SQLIdentifier(table).serialized(db)) {
            try await db.raw(SQLQueryString(statement)).run()
        }
    }

    /// The role, its membership for the connecting user, its grants on the shared tables and the
    /// policies on every tenant table (the schema migration that turns row-level security on).
    ///
    /// The role is cluster-wide, so creating it tolerates another database (or a concurrent
    /// migration) having created it first. The connecting user must be able to `SET ROLE` to it:
    /// a superuser always can; anyone else is granted membership here.
    static var migrationStatements: [String] {
        [
            """
            DO $$ BEGIN
                IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '\(applicationRole)') THEN
                    CREATE ROLE \(applicationRole) NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
                END IF;
            EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
            END $$
            """,
            // PostgreSQL 16 separates membership from the right to SET ROLE; 15 knows only MEMBER.
            """
            DO $$ BEGIN
                IF NOT pg_has_role(current_user, '\(applicationRole)',
                                   CASE WHEN current_setting('server_version_num')::int >= 160000 THEN 'SET' ELSE 'MEMBER' END) THEN
                    EXECUTE format('GRANT \(applicationRole) TO %I', current_user);
                END IF;
            END $$
            """,
            // Account rows are the tenants themselves: registration creates them, the superadmin
            // edits and deletes them (deletes cascade as the owner, PostgreSQL's rule for foreign keys).
            "GRANT SELECT, INSERT, UPDATE, DELETE ON accounts TO \(applicationRole)",
            // Collections change only through DDL, which runs under the `schemaChange` bypass.
            "GRANT SELECT ON collections TO \(applicationRole)",
        ] + tenantTables.flatMap { protect(quotedTable: "\"\($0)\"") }
            + appendOnlyTenantTables.flatMap { protect(quotedTable: "\"\($0)\"", privileges: "SELECT, INSERT") }
    }
}

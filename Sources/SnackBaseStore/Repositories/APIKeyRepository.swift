import SQLKit
import SnackBaseCore

/// API keys of one account. The key itself is never stored: only its SHA-256 `digest` (what a
/// request's key is found by) and its `prefix`. A key's roles are role ids (``api_key_roles``), so
/// deleting a role takes it from every key at once.
public enum APIKeyRepository {
    /// A stored key, without anything a caller could authenticate with.
    public struct Key: Sendable, Equatable {
        public let id: String
        public let accountID: AccountID
        public let name: String
        public let roles: [String]
        public let prefix: String
        public let createdAt: String
        public let createdBy: String?
        public let expiresAt: String?
        public let lastUsedAt: String?
        public let revokedAt: String?
    }

    public static func insert(
        id: String, name: String, prefix: String, digest: String, roleIDs: [String], createdAt: String, createdBy: String?, expiresAt: String?,
        in scope: AccountScope, on db: any SQLDatabase
    ) async throws {
        try await RowSecurity.enter(scope, on: db)
        let account = scope.accountID.rawValue
        try await db.raw("""
            INSERT INTO api_keys (id, account_id, name, prefix, digest, created_at, created_by, expires_at)
            VALUES (\(bind: id), \(bind: account), \(bind: name), \(bind: prefix), \(bind: digest), \(bind: createdAt), \(bind: createdBy), \(bind: expiresAt))
            """).run()
        for roleID in Set(roleIDs) {
            try await db.raw("INSERT INTO api_key_roles (account_id, key_id, role_id) VALUES (\(bind: account), \(bind: id), \(bind: roleID))").run()
        }
    }

    public static func find(id: String, in scope: AccountScope, on db: any SQLDatabase) async throws -> Key? {
        try await RowSecurity.enter(scope, on: db)
        let rows = try await db.raw("\(unsafeRaw: selectKeys) WHERE k.account_id = \(bind: scope.accountID.rawValue) AND k.id = \(bind: id)").all()
        return try decode(rows, scope: scope).first
    }

    /// The key with this digest in the scope's account (the account from
    /// ``RowSecurity/accountOfAPIKey(digest:on:)``), with its current role names.
    public static func find(digest: String, in scope: AccountScope, on db: any SQLDatabase) async throws -> Key? {
        try await RowSecurity.enter(scope, on: db)
        let rows = try await db.raw("\(unsafeRaw: selectKeys) WHERE k.account_id = \(bind: scope.accountID.rawValue) AND k.digest = \(bind: digest)").all()
        return try decode(rows, scope: scope).first
    }

    public static func list(in scope: AccountScope, skip: Int, limit: Int, on db: any SQLDatabase) async throws -> (items: [Key], total: Int) {
        try await RowSecurity.enter(scope, on: db)
        let account = scope.accountID.rawValue
        let ids = try await db.raw("""
            SELECT id FROM api_keys WHERE account_id = \(bind: account) ORDER BY created_at, id LIMIT \(bind: limit) OFFSET \(bind: skip)
            """).all().map { try $0.decode(column: "id", as: String.self) }
        var items: [Key] = []
        for id in ids { if let key = try await find(id: id, in: scope, on: db) { items.append(key) } }
        let total = try await db.raw("SELECT COUNT(*) AS n FROM api_keys WHERE account_id = \(bind: account)").first()?.decode(column: "n", as: Int.self) ?? 0
        return (items, total)
    }

    /// Revokes a key; false when it was already revoked (or does not exist).
    public static func revoke(id: String, at time: String, in scope: AccountScope, on db: any SQLDatabase) async throws -> Bool {
        try await RowSecurity.enter(scope, on: db)
        return try await !db.raw("""
            UPDATE api_keys SET revoked_at = \(bind: time)
            WHERE account_id = \(bind: scope.accountID.rawValue) AND id = \(bind: id) AND revoked_at IS NULL RETURNING id
            """).all().isEmpty
    }

    /// Sets `last_used_at` unless it is already at or after `unlessSince` (at most one write a
    /// minute per key, on every process: the condition is in the statement).
    public static func touch(id: String, at time: String, unlessSince threshold: String, in scope: AccountScope, on db: any SQLDatabase) async throws {
        try await RowSecurity.enter(scope, on: db)
        try await db.raw("""
            UPDATE api_keys SET last_used_at = \(bind: time)
            WHERE account_id = \(bind: scope.accountID.rawValue) AND id = \(bind: id)
                AND (last_used_at IS NULL OR last_used_at < \(bind: threshold))
            """).run()
    }

    /// One row per (key, role); a key without roles has one row with a null role.
    private static let selectKeys = """
        SELECT k.id AS id, k.name AS name, k.prefix AS prefix, k.created_at AS created_at, k.created_by AS created_by,
               k.expires_at AS expires_at, k.last_used_at AS last_used_at, k.revoked_at AS revoked_at, r.name AS role
        FROM api_keys k
        LEFT JOIN api_key_roles kr ON kr.account_id = k.account_id AND kr.key_id = k.id
        LEFT JOIN roles r ON r.account_id = kr.account_id AND r.id = kr.role_id
        """

    private static func decode(_ rows: [any SQLRow], scope: AccountScope) throws -> [Key] {
        var order: [String] = []
        var first: [String: any SQLRow] = [:]
        var roles: [String: Set<String>] = [:]
        for row in rows {
            let id = try row.decode(column: "id", as: String.self)
            if first[id] == nil { first[id] = row; order.append(id) }
            if let role = try row.decode(column: "role", as: String?.self) { roles[id, default: []].insert(role) }
        }
        return try order.map { id in
            let row = first[id]!
            return Key(
                id: id, accountID: scope.accountID,
                name: try row.decode(column: "name", as: String.self),
                roles: (roles[id] ?? []).sorted(),
                prefix: try row.decode(column: "prefix", as: String.self),
                createdAt: try row.decode(column: "created_at", as: String.self),
                createdBy: try row.decode(column: "created_by", as: String?.self),
                expiresAt: try row.decode(column: "expires_at", as: String?.self),
                lastUsedAt: try row.decode(column: "last_used_at", as: String?.self),
                revokedAt: try row.decode(column: "revoked_at", as: String?.self)
            )
        }
    }
}

import SQLKit
import SnackBaseCore

/// Roles of one account.
public enum RoleRepository {
    public static func insert(_ role: Role, in scope: AccountScope, on db: any SQLDatabase) async throws {
        try await RowSecurity.enter(scope, on: db)
        try await db.raw("""
            INSERT INTO roles (id, account_id, name, description, created_at, updated_at, require_mfa)
            VALUES (\(bind: role.id), \(bind: scope.accountID.rawValue), \(bind: role.name), \(bind: role.description),
                    \(bind: role.createdAt), \(bind: role.updatedAt), \(bind: role.requireMFA))
            """).run()
    }

    public static func all(in scope: AccountScope, on db: any SQLDatabase) async throws -> [Role] {
        try await RowSecurity.enter(scope, on: db)
        return try await db.raw("SELECT * FROM roles WHERE account_id = \(bind: scope.accountID.rawValue) ORDER BY created_at, name").all()
            .map { try decode($0, scope: scope) }
    }

    public static func find(id: String, in scope: AccountScope, on db: any SQLDatabase) async throws -> Role? {
        try await RowSecurity.enter(scope, on: db)
        return try await db.raw("SELECT * FROM roles WHERE account_id = \(bind: scope.accountID.rawValue) AND id = \(bind: id)").first()
            .map { try decode($0, scope: scope) }
    }

    public static func find(name: String, in scope: AccountScope, on db: any SQLDatabase) async throws -> Role? {
        try await RowSecurity.enter(scope, on: db)
        return try await db.raw("SELECT * FROM roles WHERE account_id = \(bind: scope.accountID.rawValue) AND name = \(bind: name)").first()
            .map { try decode($0, scope: scope) }
    }

    public static func update(_ role: Role, in scope: AccountScope, on db: any SQLDatabase) async throws {
        try await RowSecurity.enter(scope, on: db)
        try await db.raw("""
            UPDATE roles SET name = \(bind: role.name), description = \(bind: role.description), updated_at = \(bind: role.updatedAt),
                require_mfa = \(bind: role.requireMFA)
            WHERE account_id = \(bind: scope.accountID.rawValue) AND id = \(bind: role.id)
            """).run()
    }

    /// Deletes a role; its permissions and assignments go with it.
    public static func delete(id: String, in scope: AccountScope, on db: any SQLDatabase) async throws {
        try await RowSecurity.enter(scope, on: db)
        try await db.raw("DELETE FROM roles WHERE account_id = \(bind: scope.accountID.rawValue) AND id = \(bind: id)").run()
    }

    /// Role ids for role names of this account; unknown names throw ``UnknownRoles`` naming them,
    /// so a role of another account can never be granted.
    public static func ids(forNames names: [String], in scope: AccountScope, on db: any SQLDatabase) async throws -> [String] {
        try await RowSecurity.enter(scope, on: db)
        var ids: [String] = []
        var unknown: [String] = []
        for name in Set(names) {
            if let role = try await find(name: name, in: scope, on: db) { ids.append(role.id) } else { unknown.append(name) }
        }
        guard unknown.isEmpty else {
            throw UnknownRoles(names: unknown.sorted())
        }
        return ids
    }

    /// Creates the default roles of a new account with their default permissions:
    /// admin (`*`: CRUD), editor (`*`: create, read, update), viewer (`*`: read), anonymous (nothing).
    /// Returns the roles by name.
    @discardableResult
    public static func createDefaults(in scope: AccountScope, on db: any SQLDatabase) async throws -> [String: Role] {
        try await RowSecurity.enter(scope, on: db)
        let now = Timestamp.now()
        let defaults: [(name: String, description: String, flags: (Bool, Bool, Bool, Bool)?)] = [
            ("admin", "Full administrative access", (true, true, true, true)),
            ("editor", "Create, read and update on every collection", (true, true, true, false)),
            ("viewer", "Read-only access", (false, true, false, false)),
            ("anonymous", "Callers without a token that name this account", nil),
        ]
        var roles: [String: Role] = [:]
        for entry in defaults {
            let role = Role(id: SecureID.make("role"), accountID: scope.accountID, name: entry.name, description: entry.description, createdAt: now, updatedAt: now)
            try await insert(role, in: scope, on: db)
            roles[role.name] = role
            if let (create, read, update, delete) = entry.flags {
                let permission = Permission(
                    id: SecureID.make("perm"), accountID: scope.accountID, roleID: role.id, collection: Permission.wildcard,
                    create: create, read: read, update: update, delete: delete, createdAt: now, updatedAt: now
                )
                try await PermissionRepository.insert(permission, in: scope, on: db)
            }
        }
        return roles
    }

    static func decode(_ row: any SQLRow, scope: AccountScope) throws -> Role {
        Role(
            id: try row.decode(column: "id", as: String.self),
            accountID: scope.accountID,
            name: try row.decode(column: "name", as: String.self),
            description: try row.decode(column: "description", as: String.self),
            createdAt: try row.decode(column: "created_at", as: String.self),
            updatedAt: try row.decode(column: "updated_at", as: String.self),
            requireMFA: try row.decode(column: "require_mfa", as: Bool.self)
        )
    }
}

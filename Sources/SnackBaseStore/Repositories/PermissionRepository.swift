import Foundation
import SQLKit
import SnackBaseCore

/// Permissions of one account. List-valued parts are stored as JSON text.
public enum PermissionRepository {
    public static func insert(_ permission: Permission, in scope: AccountScope, on db: any SQLDatabase) async throws {
        try await RowSecurity.enter(scope, on: db)
        try await db.raw("""
            INSERT INTO permissions (id, account_id, role_id, collection, can_create, can_read, can_update, can_delete,
                fields, excluded_fields, rules, field_rules, created_at, updated_at)
            VALUES (\(bind: permission.id), \(bind: scope.accountID.rawValue), \(bind: permission.roleID), \(bind: permission.collection),
                \(bind: permission.create), \(bind: permission.read), \(bind: permission.update), \(bind: permission.delete),
                \(bind: try json(permission.fields)), \(bind: try json(permission.excludedFields)), \(bind: try json(permission.rules)),
                \(bind: try json(permission.fieldRules)), \(bind: permission.createdAt), \(bind: permission.updatedAt))
            """).run()
    }

    public static func find(id: String, in scope: AccountScope, on db: any SQLDatabase) async throws -> Permission? {
        try await RowSecurity.enter(scope, on: db)
        return try await db.raw("SELECT * FROM permissions WHERE account_id = \(bind: scope.accountID.rawValue) AND id = \(bind: id)").first()
            .map { try decode($0, scope: scope) }
    }

    /// Permissions of the account, optionally only one role's or one collection's.
    public static func list(roleID: String?, collection: String?, in scope: AccountScope, on db: any SQLDatabase) async throws -> [Permission] {
        try await RowSecurity.enter(scope, on: db)
        var query = db.select().column(SQLLiteral.all).from("permissions")
            .where("account_id", .equal, scope.accountID.rawValue)
        if let roleID { query = query.where("role_id", .equal, roleID) }
        if let collection { query = query.where("collection", .equal, collection) }
        return try await query.orderBy("created_at").orderBy("id").all().map { try decode($0, scope: scope) }
    }

    public static func update(_ permission: Permission, in scope: AccountScope, on db: any SQLDatabase) async throws {
        try await RowSecurity.enter(scope, on: db)
        try await db.raw("""
            UPDATE permissions SET role_id = \(bind: permission.roleID), collection = \(bind: permission.collection),
                can_create = \(bind: permission.create), can_read = \(bind: permission.read),
                can_update = \(bind: permission.update), can_delete = \(bind: permission.delete),
                fields = \(bind: try json(permission.fields)), excluded_fields = \(bind: try json(permission.excludedFields)),
                rules = \(bind: try json(permission.rules)), field_rules = \(bind: try json(permission.fieldRules)),
                updated_at = \(bind: permission.updatedAt)
            WHERE account_id = \(bind: scope.accountID.rawValue) AND id = \(bind: permission.id)
            """).run()
    }

    public static func delete(id: String, in scope: AccountScope, on db: any SQLDatabase) async throws {
        try await RowSecurity.enter(scope, on: db)
        try await db.raw("DELETE FROM permissions WHERE account_id = \(bind: scope.accountID.rawValue) AND id = \(bind: id)").run()
    }

    /// Every permission of the given roles.
    public static func forRoles(_ roleIDs: [String], in scope: AccountScope, on db: any SQLDatabase) async throws -> [Permission] {
        try await RowSecurity.enter(scope, on: db)
        guard !roleIDs.isEmpty else { return [] }
        let ids = SQLList(roleIDs.map { SQLBind($0) })
        return try await db.raw("SELECT * FROM permissions WHERE account_id = \(bind: scope.accountID.rawValue) AND role_id IN (\(ids))")
            .all().map { try decode($0, scope: scope) }
    }

    /// Every permission, in every account, that names this collection (the superadmin's schema path).
    /// Reads across accounts under ``RowSecurity/Bypass/crossAccountPermissions``.
    public static func naming(collection: String, on db: any SQLDatabase) async throws -> [Permission] {
        let rows = try await RowSecurity.bypassing(.crossAccountPermissions, on: db) { db in
            try await db.raw("SELECT * FROM permissions WHERE collection = \(bind: collection) ORDER BY account_id, id").all()
        }
        return try rows.map { row in
            guard let account = AccountID(try row.decode(column: "account_id", as: String.self)) else {
                throw StoreError.configuration("malformed account id in database")
            }
            return try decode(row, scope: AccountScope(account))
        }
    }

    static func json<T: Encodable>(_ value: T?) throws -> String? {
        guard let value else { return nil }
        return String(decoding: try JSONEncoder.sorted.encode(value), as: UTF8.self)
    }

    static func decode(_ row: any SQLRow, scope: AccountScope) throws -> Permission {
        func parse<T: Decodable>(_ column: String, as type: T.Type) throws -> T? {
            guard let text = try row.decode(column: column, as: String?.self) else { return nil }
            return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        }
        return Permission(
            id: try row.decode(column: "id", as: String.self),
            accountID: scope.accountID,
            roleID: try row.decode(column: "role_id", as: String.self),
            collection: try row.decode(column: "collection", as: String.self),
            create: try row.decode(column: "can_create", as: Bool.self),
            read: try row.decode(column: "can_read", as: Bool.self),
            update: try row.decode(column: "can_update", as: Bool.self),
            delete: try row.decode(column: "can_delete", as: Bool.self),
            fields: try parse("fields", as: [String].self),
            excludedFields: try parse("excluded_fields", as: [String].self) ?? [],
            rules: try parse("rules", as: [String: String].self) ?? [:],
            fieldRules: try parse("field_rules", as: [String: FieldRule].self) ?? [:],
            createdAt: try row.decode(column: "created_at", as: String.self),
            updatedAt: try row.decode(column: "updated_at", as: String.self)
        )
    }
}

extension JSONEncoder {
    /// Deterministic output: sorted keys, so stored JSON is stable.
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

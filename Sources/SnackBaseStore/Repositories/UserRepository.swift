import SQLKit
import SnackBaseCore

/// Users of one account. Every query is bound to an ``AccountScope``.
public enum UserRepository {
    public static func insert(_ user: User, roleIDs: [String], in scope: AccountScope, on db: any SQLDatabase) async throws {
        try await RowSecurity.enter(scope, on: db)
        precondition(user.accountID == scope.accountID, "a user is written only in its own account")
        try await db.raw("""
            INSERT INTO users (id, account_id, email, password_hash, is_active, created_at, updated_at, email_verified)
            VALUES (\(bind: user.id), \(bind: scope.accountID.rawValue), \(bind: user.email), \(bind: user.passwordHash),
                    \(bind: user.isActive), \(bind: user.createdAt), \(bind: user.updatedAt), \(bind: user.emailVerified))
            """).run()
        try await setRoles(userID: user.id, roleIDs: roleIDs, in: scope, on: db)
    }

    public static func find(id: String, in scope: AccountScope, on db: any SQLDatabase) async throws -> User? {
        try await RowSecurity.enter(scope, on: db)
        guard let row = try await db.raw("SELECT * FROM users WHERE account_id = \(bind: scope.accountID.rawValue) AND id = \(bind: id)").first() else {
            return nil
        }
        return try await decode(row, in: scope, on: db)
    }

    public static func find(email: String, in scope: AccountScope, on db: any SQLDatabase) async throws -> User? {
        try await RowSecurity.enter(scope, on: db)
        guard let row = try await db.raw("SELECT * FROM users WHERE account_id = \(bind: scope.accountID.rawValue) AND email = \(bind: email)").first() else {
            return nil
        }
        return try await decode(row, in: scope, on: db)
    }

    public static func list(in scope: AccountScope, skip: Int, limit: Int, on db: any SQLDatabase) async throws -> (items: [User], total: Int) {
        try await RowSecurity.enter(scope, on: db)
        let account = scope.accountID.rawValue
        let rows = try await db.raw("SELECT * FROM users WHERE account_id = \(bind: account) ORDER BY created_at, id LIMIT \(bind: limit) OFFSET \(bind: skip)").all()
        let total = try await db.raw("SELECT COUNT(*) AS n FROM users WHERE account_id = \(bind: account)").first()?.decode(column: "n", as: Int.self) ?? 0
        var users: [User] = []
        for row in rows { users.append(try await decode(row, in: scope, on: db)) }
        return (users, total)
    }

    /// What a write changes of a user: only these columns are written, so a write never puts back
    /// what another one changed meanwhile (a deactivation, a new password).
    public struct Change: Sendable {
        public var email: String?
        public var passwordHash: String?
        public var isActive: Bool?
        public var emailVerified: Bool?
        public var updatedAt: String
        public init(email: String? = nil, passwordHash: String? = nil, isActive: Bool? = nil, emailVerified: Bool? = nil, updatedAt: String = Timestamp.now()) {
            self.emailVerified = emailVerified
            self.email = email
            self.passwordHash = passwordHash
            self.isActive = isActive
            self.updatedAt = updatedAt
        }
    }

    /// Writes `change` to the user `id`; with `ifPasswordHash`, only while its hash is still that one.
    /// Returns whether a row was written.
    @discardableResult
    public static func update(id: String, _ change: Change, ifPasswordHash expected: String? = nil, in scope: AccountScope, on db: any SQLDatabase) async throws -> Bool {
        try await RowSecurity.enter(scope, on: db)
        var update = db.update("users").set("updated_at", to: change.updatedAt)
        if let email = change.email { update = update.set("email", to: email) }
        if let hash = change.passwordHash { update = update.set("password_hash", to: hash) }
        if let isActive = change.isActive { update = update.set("is_active", to: isActive) }
        if let verified = change.emailVerified { update = update.set("email_verified", to: verified) }
        update = update.where("account_id", .equal, scope.accountID.rawValue).where("id", .equal, id)
        if let expected { update = update.where("password_hash", .equal, expected) }
        let written = try await update.returning("id").all()
        return !written.isEmpty
    }

    /// Replaces the user's roles. Role ids must come from ``RoleRepository`` lookups in the same scope.
    public static func setRoles(userID: String, roleIDs: [String], in scope: AccountScope, on db: any SQLDatabase) async throws {
        try await RowSecurity.enter(scope, on: db)
        let account = scope.accountID.rawValue
        try await db.raw("DELETE FROM user_roles WHERE account_id = \(bind: account) AND user_id = \(bind: userID)").run()
        for roleID in Set(roleIDs) {
            try await db.raw("INSERT INTO user_roles (account_id, user_id, role_id) VALUES (\(bind: account), \(bind: userID), \(bind: roleID))").run()
        }
    }

    /// Role names of a user, sorted.
    public static func roleNames(userID: String, in scope: AccountScope, on db: any SQLDatabase) async throws -> [String] {
        try await RowSecurity.enter(scope, on: db)
        return try await db.raw("""
            SELECT r.name AS name FROM user_roles ur JOIN roles r ON r.id = ur.role_id AND r.account_id = ur.account_id
            WHERE ur.account_id = \(bind: scope.accountID.rawValue) AND ur.user_id = \(bind: userID) ORDER BY r.name
            """).all().map { try $0.decode(column: "name", as: String.self) }
    }

    /// Number of users holding a role.
    public static func countHolding(roleID: String, in scope: AccountScope, on db: any SQLDatabase) async throws -> Int {
        try await RowSecurity.enter(scope, on: db)
        return try await db.raw("SELECT COUNT(*) AS n FROM user_roles WHERE account_id = \(bind: scope.accountID.rawValue) AND role_id = \(bind: roleID)")
            .first()?.decode(column: "n", as: Int.self) ?? 0
    }

    static func decode(_ row: any SQLRow, in scope: AccountScope, on db: any SQLDatabase) async throws -> User {
        let id = try row.decode(column: "id", as: String.self)
        return User(
            id: id,
            accountID: scope.accountID,
            email: try row.decode(column: "email", as: String.self),
            passwordHash: try row.decode(column: "password_hash", as: String.self),
            isActive: try row.decode(column: "is_active", as: Bool.self),
            roles: try await roleNames(userID: id, in: scope, on: db),
            createdAt: try row.decode(column: "created_at", as: String.self),
            updatedAt: try row.decode(column: "updated_at", as: String.self),
            emailVerified: try row.decode(column: "email_verified", as: Bool.self),
            mfaEnabled: try row.decode(column: "mfa_enabled", as: Bool.self)
        )
    }
}

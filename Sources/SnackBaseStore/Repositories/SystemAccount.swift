import SQLKit
import SnackBaseCore

/// The system account `SY0000`, whose users are the superadmins.
public enum SystemAccount {
    public static let slug = "system"

    /// Creates the system account and its default roles when missing. On PostgreSQL a
    /// transaction-scoped advisory lock makes processes that start together create it once
    /// (and, through ``upsertSuperadmin(email:passwordHash:on:)``, the same superadmin once).
    public static func ensure(on db: any SQLDatabase) async throws {
        if db.dialect.name == "postgresql" {
            try await db.raw("SELECT pg_advisory_xact_lock(\(bind: lockKey))").run()
        }
        guard try await AccountRepository.find(id: .system, on: db) == nil else { return }
        let now = Timestamp.now()
        try await AccountRepository.insert(Account(id: .system, slug: slug, name: "System", createdAt: now, updatedAt: now), on: db)
        try await RoleRepository.createDefaults(in: AccountScope(.system), on: db)
    }

    /// Creates a superadmin, or resets the password of an existing one (and reactivates it).
    /// Returns true when a new user was created.
    @discardableResult
    public static func upsertSuperadmin(email: String, passwordHash: String, on db: any SQLDatabase) async throws -> Bool {
        try await ensure(on: db)
        let scope = AccountScope(.system)
        let now = Timestamp.now()
        if let user = try await UserRepository.find(email: email, in: scope, on: db) {
            try await UserRepository.update(id: user.id, .init(passwordHash: passwordHash, isActive: true, updatedAt: now), in: scope, on: db)
            // A reset is what one does when the password may be known to someone else: its sign-ins end.
            try await TokenRepository.revokeFamilies(ofUser: user.id, reason: "password reset", in: scope, on: db)
            return false
        }
        let adminRoles = try await RoleRepository.ids(forNames: [Role.admin], in: scope, on: db)
        let user = User(id: SecureID.make("usr"), accountID: .system, email: email, passwordHash: passwordHash, isActive: true,
                        roles: [Role.admin], createdAt: now, updatedAt: now)
        try await UserRepository.insert(user, roleIDs: adminRoles, in: scope, on: db)
        return true
    }

    /// The advisory-lock key of the bootstrap ("SY0000" in ASCII, as a number).
    static let lockKey: Int64 = 0x535930303030

    public static func hasSuperadmin(email: String, on db: any SQLDatabase) async throws -> Bool {
        try await UserRepository.find(email: email, in: AccountScope(.system), on: db) != nil
    }
}

import SQLKit
import SnackBaseCore

/// The system account `SY0000`, whose users are the superadmins.
public enum SystemAccount {
    public static let slug = "system"

    /// Creates the system account and its default roles when missing.
    public static func ensure(on db: any SQLDatabase) async throws {
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
        if var user = try await UserRepository.find(email: email, in: scope, on: db) {
            user.passwordHash = passwordHash
            user.isActive = true
            user.updatedAt = now
            try await UserRepository.update(user, in: scope, on: db)
            return false
        }
        let adminRoles = try await RoleRepository.ids(forNames: [Role.admin], in: scope, on: db)
        let user = User(id: SecureID.make("usr"), accountID: .system, email: email, passwordHash: passwordHash, isActive: true,
                        roles: [Role.admin], createdAt: now, updatedAt: now)
        try await UserRepository.insert(user, roleIDs: adminRoles, in: scope, on: db)
        return true
    }

    public static func hasSuperadmin(email: String, on db: any SQLDatabase) async throws -> Bool {
        try await UserRepository.find(email: email, in: AccountScope(.system), on: db) != nil
    }
}

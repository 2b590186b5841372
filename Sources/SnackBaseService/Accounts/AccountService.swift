import SQLKit
import SnackBaseAuth
import SnackBaseCore
import SnackBaseStore
import Foundation

/// The accounts (tenants). Creating one is in one place for both ways in: the superadmin's
/// `POST /accounts` and a person's `POST /auth/register`, which also creates the account's first
/// user, holding `admin`. Listing, reading, renaming and deleting them is the superadmin's.
package struct AccountService: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }

    /// A new account's name and slug as sent, checked; `fields` are the request's own names for them.
    package struct NewAccount: Sendable {
        package let name: String
        package let slug: String

        /// The slug is derived from the name when absent. Problems are appended to `problems`.
        package init?(name: String, slug: String?, fields: (name: String, slug: String), problems: inout [SnackBaseError.Detail]) {
            let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
            let slug = slug ?? Validation.slug(fromName: name)
            var found: [SnackBaseError.Detail] = []
            if name.isEmpty || name.count > 200 { found.append(.init(field: fields.name, message: "must be 1 to 200 characters")) }
            if !Validation.isValidSlug(slug) { found.append(.init(field: fields.slug, message: "must be 3-32 of a-z, 0-9 and -, starting with a letter")) }
            problems += found
            guard found.isEmpty else { return nil }
            self.name = name
            self.slug = slug
        }
    }

    /// The superadmin creates an account with its default roles.
    package func create(_ new: NewAccount, by principal: Principal) async throws -> Account {
        let now = Timestamp.now()
        return try await services.database.transaction { db in
            let (account, _) = try await Self.insert(new, actorID: principal.userID, actorEmail: principal.email, now: now, on: db)
            return account
        }
    }

    /// A person registers: the account, its default roles and its first user (holding `admin`), one transaction.
    package func register(_ new: NewAccount, email: String, passwordHash: String) async throws -> (Account, User) {
        let now = Timestamp.now()
        let userID = SecureID.make("usr")
        return try await services.database.transaction { db in
            let (account, roles) = try await Self.insert(new, actorID: userID, actorEmail: email, now: now, on: db)
            guard let admin = roles[Role.admin] else { throw SnackBaseError.internalError }
            let user = User(id: userID, accountID: account.id, email: email, passwordHash: passwordHash, isActive: true,
                            roles: [Role.admin], createdAt: now, updatedAt: now)
            try await UserRepository.insert(user, roleIDs: [admin.id], in: AccountScope(account.id), on: db)
            try await AuditLog.append(AuditEvent(
                accountID: account.id, action: "user.create", status: 201, actorID: user.id, actorEmail: user.email, recordID: user.id,
                changes: user.createdChanges
            ), on: db)
            return (account, user)
        }
    }

    /// A page of every account.
    package func list(skip: Int, limit: Int) async throws -> (items: [Account], total: Int) {
        try await services.database.read { db in
            try await AccountRepository.list(skip: skip, limit: limit, on: db)
        }
    }

    /// The account with this id (as sent; one that is no account id is not found).
    package func get(id raw: String) async throws -> Account {
        guard let id = AccountID(raw),
              let account = try await services.database.read({ db in try await AccountRepository.find(id: id, on: db) })
        else { throw SnackBaseError.notFound("Account") }
        return account
    }

    /// Renames an account (nil leaves it, and writes nothing).
    package func rename(id: String, to name: String?, by principal: Principal) async throws -> Account {
        var account = try await get(id: id)
        let before = account
        if let name = name?.trimmingCharacters(in: .whitespacesAndNewlines) {
            guard !name.isEmpty, name.count <= 200 else { throw SnackBaseError.validation(field: "name", "must be 1 to 200 characters") }
            account.name = name
            account.updatedAt = Timestamp.now()
            let updated = account
            try await services.database.transaction { db in
                try await AccountRepository.update(updated, on: db)
                try await AuditLog.append(AuditEvent("account.update", in: updated.id, by: principal, status: 200, recordID: updated.id.rawValue,
                                                     changes: AuditChange.diff(before.auditFields, updated.auditFields)), on: db)
            }
        }
        return account
    }

    /// Deletes an account (never the system account) with everything in it.
    package func delete(id: String, by principal: Principal) async throws {
        let account = try await get(id: id)
        guard !account.id.isSystem else { throw SnackBaseError.forbidden("The system account cannot be deleted") }
        // The entry lands in the deleted account's own chain, which outlives the account.
        try await services.database.transaction { db in
            try await AccountRepository.delete(account.id, on: db)
            try await AuditLog.append(AuditEvent("account.delete", in: account.id, by: principal, status: 204, recordID: account.id.rawValue,
                                                 changes: account.deletedChanges), on: db)
        }
        // Its cached roles and permissions go with it.
        await services.accessChanged(in: account.id)
    }

    /// The account row with a fresh id, its default roles and its `account.create` entry (a taken slug: 409).
    private static func insert(_ new: NewAccount, actorID: String?, actorEmail: String?, now: String, on db: any SQLDatabase) async throws -> (Account, [String: Role]) {
        let id = try await AccountRepository.freshID(on: db)
        let account = Account(id: id, slug: new.slug, name: new.name, createdAt: now, updatedAt: now)
        do {
            try await AccountRepository.insert(account, on: db)
        } catch where isUniqueViolation(error) {
            throw SnackBaseError.conflict("An account with this slug already exists")
        }
        let roles = try await RoleRepository.createDefaults(in: AccountScope(id), on: db)
        try await AuditLog.append(AuditEvent(
            accountID: id, action: "account.create", status: 201, actorID: actorID, actorEmail: actorEmail, recordID: id.rawValue,
            changes: account.createdChanges
        ), on: db)
        return (account, roles)
    }
}

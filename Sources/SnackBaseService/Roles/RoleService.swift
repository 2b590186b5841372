import SnackBaseCore
import SnackBaseStore

/// An account admin's roles, each a name plus its permissions: list, create (permissions
/// included), get, rename, delete. `scope` is the account `principal` administers, from
/// ``AccountAccess/administration(by:query:body:)``. Every change drops the account's cached policy
/// (``AppServices/accessChanged(in:)``) before it returns.
package struct RoleService: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }

    /// `admin` (account administration hangs on it) and `anonymous` (callers without a token) keep their names.
    package static let fixedNames: Set<String> = [Role.admin, Role.anonymous]

    package static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...64).contains(bytes.count), (97...122).contains(bytes[0]) else { return false }
        return bytes.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == 95 || $0 == 45 }
    }

    /// Every role of the account, in the store's order.
    package func list(in scope: AccountScope) async throws -> [Role] {
        try await services.database.read { db in try await RoleRepository.all(in: scope, on: db) }
    }

    /// Creates a role with the seed's custom-role document, permissions included, in one transaction.
    package func create(name: String, description: String?, permissions documents: [PermissionDocument]?, requireMFA: Bool = false,
                        by principal: Principal, in scope: AccountScope) async throws -> (role: Role, permissions: [Permission]) {
        guard Self.isValidName(name) else { throw SnackBaseError.validation(field: "name", "must be 1-64 of a-z, 0-9, _ and -, starting with a letter") }
        let collections = try await services.collections.all(database: services.database)
        var seen: Set<String> = []
        for (index, document) in (documents ?? []).enumerated() {
            try document.validate(collection: collections[document.collection], path: "permissions.\(index).")
            guard seen.insert(document.collection).inserted else {
                throw SnackBaseError.validation(field: "permissions.\(index).collection", "\(document.collection) appears twice")
            }
        }
        let now = Timestamp.now()
        let role = Role(id: SecureID.make("role"), accountID: scope.accountID, name: name, description: description ?? "", createdAt: now, updatedAt: now, requireMFA: requireMFA)
        let permissions = (documents ?? []).map {
            $0.permission(id: SecureID.make("perm"), accountID: scope.accountID, roleID: role.id, createdAt: now, now: now)
        }
        try await services.database.transaction { db in
            do {
                try await RoleRepository.insert(role, in: scope, on: db)
            } catch where isUniqueViolation(error) {
                throw SnackBaseError.conflict("A role named \(role.name) already exists")
            }
            for permission in permissions { try await PermissionRepository.insert(permission, in: scope, on: db) }
            var changes = role.createdChanges
            changes["permissions"] = AuditChange(old: nil, new: .array(permissions.map { .object($0.auditFields) }))
            try await AuditLog.append(AuditEvent("role.create", in: scope.accountID, by: principal, status: 201, recordID: role.id, changes: changes), on: db)
        }
        await services.accessChanged(in: scope.accountID)
        return (role, permissions)
    }

    /// One role and its permissions.
    package func get(id: String, in scope: AccountScope) async throws -> (role: Role, permissions: [Permission]) {
        let role = try await find(id, in: scope)
        let permissions = try await services.database.read { db in try await PermissionRepository.forRoles([role.id], in: scope, on: db) }
        return (role, permissions)
    }

    /// Renames a role (not one of ``fixedNames``) or changes its description; nil leaves it as it is.
    package func update(id: String, name: String?, description: String?, requireMFA: Bool? = nil, by principal: Principal, in scope: AccountScope) async throws -> Role {
        var role = try await find(id, in: scope)
        let before = role
        if let name, name != role.name {
            guard !Self.fixedNames.contains(role.name) else { throw SnackBaseError.forbidden("The \(role.name) role cannot be renamed") }
            guard Self.isValidName(name) else { throw SnackBaseError.validation(field: "name", "must be 1-64 of a-z, 0-9, _ and -, starting with a letter") }
            role.name = name
        }
        if let description { role.description = description }
        if let requireMFA { role.requireMFA = requireMFA }
        role.updatedAt = Timestamp.now()
        let updated = role
        try await services.database.transaction { db in
            do {
                try await RoleRepository.update(updated, in: scope, on: db)
            } catch where isUniqueViolation(error) {
                throw SnackBaseError.conflict("A role named \(updated.name) already exists")
            }
            try await AuditLog.append(AuditEvent("role.update", in: scope.accountID, by: principal, status: 200, recordID: updated.id,
                                                 changes: AuditChange.diff(before.auditFields, updated.auditFields)), on: db)
        }
        await services.accessChanged(in: scope.accountID)
        return updated
    }

    /// Deletes a role (not one of ``fixedNames``); one that users hold only when `force`d, and the entry says so.
    package func delete(id: String, force: Bool, by principal: Principal, in scope: AccountScope) async throws {
        let role = try await find(id, in: scope)
        guard !Self.fixedNames.contains(role.name) else { throw SnackBaseError.forbidden("The \(role.name) role cannot be deleted") }
        try await services.database.transaction { db in
            let holders = try await UserRepository.countHolding(roleID: role.id, in: scope, on: db)
            if holders > 0 && !force {
                throw SnackBaseError.conflict("\(holders) user(s) hold the role \(role.name); repeat with ?force=true to delete it anyway")
            }
            // Deleting a role users hold takes it from them: a change of role assignments.
            if holders > 0 { try APIKeyService.refuseAPIKey(principal, "change role assignments") }
            try await RoleRepository.delete(id: role.id, in: scope, on: db)
            try await AuditLog.append(AuditEvent("role.delete", in: scope.accountID, by: principal, status: 204, recordID: role.id,
                                                 reason: holders > 0 ? "deleted with ?force=true while \(holders) user(s) held it" : nil,
                                                 changes: role.deletedChanges), on: db)
        }
        await services.accessChanged(in: scope.accountID)
    }

    private func find(_ id: String, in scope: AccountScope) async throws -> Role {
        guard let role = try await services.database.read({ db in try await RoleRepository.find(id: id, in: scope, on: db) }) else {
            throw SnackBaseError.notFound("Role")
        }
        return role
    }
}

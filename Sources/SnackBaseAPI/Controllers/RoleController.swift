import Hummingbird
import SnackBaseCore
import SnackBaseService
import SnackBaseStore

/// `/api/v1/roles`: an account admin's roles, each a name plus its permissions.
struct RoleController {
    let services: AppServices

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get(use: list)
        group.post(use: create)
        group.get(":id", use: show)
        group.patch(":id", use: update)
        group.delete(":id", use: remove)
        group.get(":id/permissions", use: permissions)
    }

    /// `admin` (account administration hangs on it) and `anonymous` (callers without a token) keep their names.
    static let fixedNames: Set<String> = [Role.admin, Role.anonymous]

    struct RoleDTO: Encodable, Sendable {
        let id: String
        let accountId: String
        let name: String
        let description: String
        let permissions: [PermissionDTO]?
        let createdAt: String
        let updatedAt: String

        init(_ role: Role, permissions: [Permission]?) {
            id = role.id
            accountId = role.accountID.rawValue
            name = role.name
            description = role.description
            self.permissions = permissions?.map { PermissionDTO($0, roleName: role.name) }
            createdAt = role.createdAt
            updatedAt = role.updatedAt
        }
    }

    static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...64).contains(bytes.count), (97...122).contains(bytes[0]) else { return false }
        return bytes.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == 95 || $0 == 45 }
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (_, scope) = try await AccountAdministration.require(request, context, services: services)
        let roles = try await services.database.read { db in try await RoleRepository.all(in: scope, on: db) }
        let page = try Pagination(request)
        let items = roles.dropFirst(page.skip).prefix(page.limit).map { RoleDTO($0, permissions: nil) }
        return try JSONBody.response(.ok, Page(items: Array(items), total: roles.count, skip: page.skip, limit: page.limit))
    }

    struct CreateBody: Decodable {
        let name: String
        let description: String?
        let permissions: [PermissionDocument]?
    }

    /// Creates a role with the seed's custom-role document, permissions included, in one transaction.
    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (body, bodyAccount) = try await JSONBody.document(CreateBody.self, from: request)
        let (principal, scope) = try await AccountAdministration.require(request, context, services: services, bodyAccount: bodyAccount)
        guard Self.isValidName(body.name) else { throw SnackBaseError.validation(field: "name", "must be 1-64 of a-z, 0-9, _ and -, starting with a letter") }
        let collections = try await services.collections.all(database: services.database)
        var seen: Set<String> = []
        for (index, document) in (body.permissions ?? []).enumerated() {
            try document.validate(collection: collections[document.collection], path: "permissions.\(index).")
            guard seen.insert(document.collection).inserted else {
                throw SnackBaseError.validation(field: "permissions.\(index).collection", "\(document.collection) appears twice")
            }
        }
        let now = Timestamp.now()
        let role = Role(id: SecureID.make("role"), accountID: scope.accountID, name: body.name, description: body.description ?? "", createdAt: now, updatedAt: now)
        let permissions = (body.permissions ?? []).map {
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
        return try JSONBody.response(.created, RoleDTO(role, permissions: permissions))
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (_, scope) = try await AccountAdministration.require(request, context, services: services)
        let role = try await find(context, in: scope)
        let permissions = try await services.database.read { db in try await PermissionRepository.forRoles([role.id], in: scope, on: db) }
        return try JSONBody.response(.ok, RoleDTO(role, permissions: permissions))
    }

    @Sendable func permissions(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (_, scope) = try await AccountAdministration.require(request, context, services: services)
        let role = try await find(context, in: scope)
        let permissions = try await services.database.read { db in try await PermissionRepository.forRoles([role.id], in: scope, on: db) }
        let items = permissions.map { PermissionDTO($0, roleName: role.name) }
        return try JSONBody.response(.ok, Page(items: items, total: items.count, skip: 0, limit: max(items.count, 1)))
    }

    struct UpdateBody: Decodable {
        let name: String?
        let description: String?
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (body, bodyAccount) = try await JSONBody.document(UpdateBody.self, from: request)
        let (principal, scope) = try await AccountAdministration.require(request, context, services: services, bodyAccount: bodyAccount)
        var role = try await find(context, in: scope)
        let before = role
        if let name = body.name, name != role.name {
            guard !Self.fixedNames.contains(role.name) else { throw SnackBaseError.forbidden("The \(role.name) role cannot be renamed") }
            guard Self.isValidName(name) else { throw SnackBaseError.validation(field: "name", "must be 1-64 of a-z, 0-9, _ and -, starting with a letter") }
            role.name = name
        }
        if let description = body.description { role.description = description }
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
        return try JSONBody.response(.ok, RoleDTO(updated, permissions: nil))
    }

    @Sendable func remove(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (principal, scope) = try await AccountAdministration.require(request, context, services: services)
        let role = try await find(context, in: scope)
        guard !Self.fixedNames.contains(role.name) else { throw SnackBaseError.forbidden("The \(role.name) role cannot be deleted") }
        let force = FormQuery(request)["force"] == "true"
        try await services.database.transaction { db in
            let holders = try await UserRepository.countHolding(roleID: role.id, in: scope, on: db)
            if holders > 0 && !force {
                throw SnackBaseError.conflict("\(holders) user(s) hold the role \(role.name); repeat with ?force=true to delete it anyway")
            }
            try await RoleRepository.delete(id: role.id, in: scope, on: db)
            try await AuditLog.append(AuditEvent("role.delete", in: scope.accountID, by: principal, status: 204, recordID: role.id,
                                                 reason: holders > 0 ? "deleted with ?force=true while \(holders) user(s) held it" : nil,
                                                 changes: role.deletedChanges), on: db)
        }
        await services.accessChanged(in: scope.accountID)
        return JSONBody.noContent()
    }

    private func find(_ context: AppRequestContext, in scope: AccountScope) async throws -> Role {
        let id = context.parameters.get("id") ?? ""
        guard let role = try await services.database.read({ db in try await RoleRepository.find(id: id, in: scope, on: db) }) else {
            throw SnackBaseError.notFound("Role")
        }
        return role
    }
}

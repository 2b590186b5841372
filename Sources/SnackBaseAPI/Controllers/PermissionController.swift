import Hummingbird
import SnackBaseAccess
import SnackBaseCore
import SnackBaseService
import SnackBaseStore

/// `/api/v1/permissions`: the seed's permission documents, and `/check`, which explains a
/// decision without doing anything.
struct PermissionController {
    let services: AppServices

    func register(on group: RouterGroup<AppRequestContext>) {
        group.post(use: create)
        group.get(use: list)
        group.post("check", use: check)
        group.get(":id", use: show)
        group.put(":id") { try await update($0, $1, replace: true) }
        group.patch(":id") { try await update($0, $1, replace: false) }
        group.delete(":id", use: remove)
    }

    /// The role a document names, by `role_id` or `role` (name), in the caller's account.
    private func role(of document: PermissionDocument, in scope: AccountScope) async throws -> Role {
        let role = try await services.database.read { db -> Role? in
            if let id = document.roleId { return try await RoleRepository.find(id: id, in: scope, on: db) }
            if let name = document.role { return try await RoleRepository.find(name: name, in: scope, on: db) }
            return nil
        }
        guard let role else {
            if document.roleId == nil && document.role == nil { throw SnackBaseError.validation(field: "role_id", "is required (or role)") }
            throw SnackBaseError.validation(field: document.roleId != nil ? "role_id" : "role", "is not a role of this account")
        }
        return role
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (document, bodyAccount) = try await JSONBody.document(PermissionDocument.self, from: request)
        let (principal, scope) = try await AccountAdministration.require(request, context, services: services, bodyAccount: bodyAccount)
        let role = try await role(of: document, in: scope)
        try document.validate(collection: try await services.collections.find(document.collection, database: services.database))
        let now = Timestamp.now()
        let permission = document.permission(id: SecureID.make("perm"), accountID: scope.accountID, roleID: role.id, createdAt: now, now: now)
        try await services.database.transaction { db in
            do {
                try await PermissionRepository.insert(permission, in: scope, on: db)
            } catch where isUniqueViolation(error) {
                throw SnackBaseError.conflict("The role \(role.name) already has a permission for \(permission.collection)")
            }
            try await AuditLog.append(AuditEvent("permission.create", in: scope.accountID, by: principal, status: 201, collection: permission.collection,
                                                 recordID: permission.id, changes: permission.createdChanges), on: db)
        }
        await services.accessChanged(in: scope.accountID)
        return try JSONBody.response(.created, PermissionDTO(permission, roleName: role.name))
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (_, scope) = try await AccountAdministration.require(request, context, services: services)
        let query = FormQuery(request)
        let roleID = query["role_id"]
        let collection = query["collection"]
        let page = try Pagination(query)
        let (permissions, roles) = try await services.database.read { db in
            (try await PermissionRepository.list(roleID: roleID, collection: collection, in: scope, on: db),
             try await RoleRepository.all(in: scope, on: db))
        }
        let names = Dictionary(uniqueKeysWithValues: roles.map { ($0.id, $0.name) })
        let items = permissions.dropFirst(page.skip).prefix(page.limit).map { PermissionDTO($0, roleName: names[$0.roleID]) }
        return try JSONBody.response(.ok, Page(items: Array(items), total: permissions.count, skip: page.skip, limit: page.limit))
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (_, scope) = try await AccountAdministration.require(request, context, services: services)
        let permission = try await find(context, in: scope)
        let role = try await services.database.read { db in try await RoleRepository.find(id: permission.roleID, in: scope, on: db) }
        return try JSONBody.response(.ok, PermissionDTO(permission, roleName: role?.name))
    }

    /// Optional fields of a PATCH; a PUT sends the whole document.
    struct PatchBody: Decodable {
        let create: Bool?
        let read: Bool?
        let update: Bool?
        let delete: Bool?
        let fields: [String]?
        let excludedFields: [String]?
        let rules: [String: String]?
        let fieldRules: [String: FieldRule]?
    }

    func update(_ request: Request, _ context: AppRequestContext, replace: Bool) async throws -> Response {
        let buffer = try await JSONBody.bytes(of: request)
        let (principal, scope) = try await AccountAdministration.require(request, context, services: services, bodyAccount: JSONBody.accountField(try JSONBody.value(of: buffer)))
        let existing = try await find(context, in: scope)
        let document: PermissionDocument
        if replace {
            document = try JSONBody.decode(PermissionDocument.self, buffer: buffer)
        } else {
            let patch = try JSONBody.decode(PatchBody.self, buffer: buffer)
            document = PermissionDocument(
                roleId: existing.roleID, role: nil, collection: existing.collection,
                create: patch.create ?? existing.create, read: patch.read ?? existing.read,
                update: patch.update ?? existing.update, delete: patch.delete ?? existing.delete,
                fields: patch.fields ?? existing.fields, excludedFields: patch.excludedFields ?? existing.excludedFields,
                rules: patch.rules ?? existing.rules, fieldRules: patch.fieldRules ?? existing.fieldRules
            )
        }
        let role = replace && (document.roleId != nil || document.role != nil)
            ? try await role(of: document, in: scope)
            : try await role(of: PermissionDocument(roleId: existing.roleID, role: nil, collection: "", create: nil, read: nil, update: nil, delete: nil,
                                                     fields: nil, excludedFields: nil, rules: nil, fieldRules: nil), in: scope)
        try document.validate(collection: try await services.collections.find(document.collection, database: services.database))
        let permission = document.permission(id: existing.id, accountID: scope.accountID, roleID: role.id, createdAt: existing.createdAt, now: Timestamp.now())
        try await services.database.transaction { db in
            do {
                try await PermissionRepository.update(permission, in: scope, on: db)
            } catch where isUniqueViolation(error) {
                throw SnackBaseError.conflict("The role \(role.name) already has a permission for \(permission.collection)")
            }
            try await AuditLog.append(AuditEvent("permission.update", in: scope.accountID, by: principal, status: 200, collection: permission.collection,
                                                 recordID: permission.id, changes: AuditChange.diff(existing.auditFields, permission.auditFields)), on: db)
        }
        await services.accessChanged(in: scope.accountID)
        return try JSONBody.response(.ok, PermissionDTO(permission, roleName: role.name))
    }

    @Sendable func remove(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (principal, scope) = try await AccountAdministration.require(request, context, services: services)
        let permission = try await find(context, in: scope)
        try await services.database.transaction { db in
            try await PermissionRepository.delete(id: permission.id, in: scope, on: db)
            try await AuditLog.append(AuditEvent("permission.delete", in: scope.accountID, by: principal, status: 204, collection: permission.collection,
                                                 recordID: permission.id, changes: permission.deletedChanges), on: db)
        }
        await services.accessChanged(in: scope.accountID)
        return JSONBody.noContent()
    }

    private func find(_ context: AppRequestContext, in scope: AccountScope) async throws -> Permission {
        let id = context.parameters.get("id") ?? ""
        guard let permission = try await services.database.read({ db in try await PermissionRepository.find(id: id, in: scope, on: db) }) else {
            throw SnackBaseError.notFound("Permission")
        }
        return permission
    }

    // MARK: check

    struct CheckBody: Decodable {
        let userId: String
        let collection: String
        let operation: Operation
        let recordId: String?
        let data: [String: JSONValue]?
    }

    struct CheckAnswer: Encodable {
        let allowed: Bool
        let status: Int
        let reason: String
        let role: String?
        let permissionId: String?
        let rule: String?
        let visibleFields: [String]
        let writableFields: [String]
    }

    /// Explains what the access policy would decide for a user, without doing anything.
    @Sendable func check(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (body, bodyAccount) = try await JSONBody.document(CheckBody.self, from: request)
        let (_, scope) = try await AccountAdministration.require(request, context, services: services, bodyAccount: bodyAccount)
        guard let collection = try await services.collections.find(body.collection, database: services.database) else {
            throw SnackBaseError.notFound("Collection")
        }
        let recordScope = RecordScope(account: scope, collection: collection)
        let (user, stored) = try await services.database.read { db in
            (try await UserRepository.find(id: body.userId, in: scope, on: db),
             try await body.recordId.asyncMap { try await RecordRepository.find(id: $0, in: recordScope, on: db) } ?? nil)
        }
        guard let user else { throw SnackBaseError.notFound("User") }
        if body.recordId != nil && stored == nil { throw SnackBaseError.notFound("Record") }
        let principal = Principal(userID: user.id, email: user.email, accountID: scope.accountID, roles: user.isActive ? user.roles : [])
        let policy = principal.isSuperadmin
            ? AccessPolicy(permissionsByRole: [:])
            : try await services.policies.policy(for: scope.accountID, database: services.database)
        let now = Timestamp.now()
        var record = stored ?? [:]
        var sent: Set<String> = []
        var data: StoredRecord = [:]
        if let sentData = body.data, body.operation == .create || body.operation == .update {
            (data, sent) = try RecordCodec.validate(sentData, collection: collection, mode: .patch)
        }
        if body.operation == .create {
            // The record as a create by this user would store it (the system fields as the account-isolation hook sets them).
            record = RecordEvent.systemFields(of: data, kind: .create, scope: recordScope, actor: principal, now: now)
        }
        let decision = policy.decide(body.operation, by: principal, on: collection, record: RecordCodec.ruleValues(record, collection: collection),
                                     data: RecordCodec.ruleValues(data, collection: collection), sentFields: sent, now: now)
        let every = Set(CollectionSchema.systemFields + collection.fields.map(\.name))
        let userFields = Set(collection.fields.map(\.name))
        let first = decision.granting.first
        return try JSONBody.response(.ok, CheckAnswer(
            allowed: decision.allowed, status: decision.allowed ? 200 : decision.status, reason: user.isActive ? decision.reason : "user is inactive",
            role: first?.roleName, permissionId: first?.permission.id, rule: decision.rule,
            visibleFields: decision.allowed ? (decision.readableFields ?? every).sorted() : [],
            writableFields: decision.allowed ? (decision.writableFields ?? userFields).sorted() : []
        ))
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}

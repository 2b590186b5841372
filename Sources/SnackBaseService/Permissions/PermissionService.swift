import SnackBaseAccess
import SnackBaseCore
import SnackBaseRules
import SnackBaseStore

/// The seed's permission documents of an account (create, list, get, replace or change, delete),
/// and ``explain(_:in:)``, which says what the access policy would decide without doing anything.
/// `scope` is the account `principal` administers, from ``AccountAccess/administration(by:query:body:)``.
/// Every change drops the account's cached policy (``AppServices/accessChanged(in:)``) before it returns.
package struct PermissionService: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
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

    package func create(_ document: PermissionDocument, by principal: Principal, in scope: AccountScope) async throws -> (permission: Permission, role: Role) {
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
        return (permission, role)
    }

    /// The account's permissions, of one role and one collection when given, with their roles' names by role id.
    package func list(roleID: String?, collection: String?, in scope: AccountScope) async throws -> (permissions: [Permission], roleNames: [String: String]) {
        let (permissions, roles) = try await services.database.read { db in
            (try await PermissionRepository.list(roleID: roleID, collection: collection, in: scope, on: db),
             try await RoleRepository.all(in: scope, on: db))
        }
        return (permissions, Dictionary(uniqueKeysWithValues: roles.map { ($0.id, $0.name) }))
    }

    /// One permission and the name of its role.
    package func get(id: String, in scope: AccountScope) async throws -> (permission: Permission, roleName: String?) {
        let permission = try await find(id, in: scope)
        let role = try await services.database.read { db in try await RoleRepository.find(id: permission.roleID, in: scope, on: db) }
        return (permission, role?.name)
    }

    /// The optional fields of a PATCH, decoded from its body (a PUT sends the whole document).
    package struct Patch: Decodable, Sendable {
        package var create: Bool?
        package var read: Bool?
        package var update: Bool?
        package var delete: Bool?
        package var fields: [String]?
        package var excludedFields: [String]?
        package var rules: [String: String]?
        package var fieldRules: [String: FieldRule]?
    }

    /// A PUT's whole document or a PATCH's fields.
    package enum Change: Sendable {
        case replace(PermissionDocument)
        case patch(Patch)
    }

    /// Replaces or changes a permission. `change` is the body, decoded once the permission is found
    /// (an unknown id answers 404 whatever the body).
    package func update(id: String, _ change: () throws -> Change, by principal: Principal, in scope: AccountScope) async throws -> (permission: Permission, role: Role) {
        let existing = try await find(id, in: scope)
        let document: PermissionDocument
        let replace: Bool
        switch try change() {
        case .replace(let whole):
            document = whole
            replace = true
        case .patch(let patch):
            document = PermissionDocument(
                roleId: existing.roleID, role: nil, collection: existing.collection,
                create: patch.create ?? existing.create, read: patch.read ?? existing.read,
                update: patch.update ?? existing.update, delete: patch.delete ?? existing.delete,
                fields: patch.fields ?? existing.fields, excludedFields: patch.excludedFields ?? existing.excludedFields,
                rules: patch.rules ?? existing.rules, fieldRules: patch.fieldRules ?? existing.fieldRules
            )
            replace = false
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
        return (permission, role)
    }

    package func delete(id: String, by principal: Principal, in scope: AccountScope) async throws {
        let permission = try await find(id, in: scope)
        try await services.database.transaction { db in
            try await PermissionRepository.delete(id: permission.id, in: scope, on: db)
            try await AuditLog.append(AuditEvent("permission.delete", in: scope.accountID, by: principal, status: 204, collection: permission.collection,
                                                 recordID: permission.id, changes: permission.deletedChanges), on: db)
        }
        await services.accessChanged(in: scope.accountID)
    }

    private func find(_ id: String, in scope: AccountScope) async throws -> Permission {
        guard let permission = try await services.database.read({ db in try await PermissionRepository.find(id: id, in: scope, on: db) }) else {
            throw SnackBaseError.notFound("Permission")
        }
        return permission
    }

    // MARK: explain

    /// What `/permissions/check` asks: may this user of the account do `operation` on this
    /// collection (on record `recordID`, sending `data`)?
    package struct Question: Sendable {
        package let userID: String
        package let collection: String
        package let operation: Operation
        package let recordID: String?
        package let data: [String: JSONValue]?

        package init(userID: String, collection: String, operation: Operation, recordID: String?, data: [String: JSONValue]?) {
            self.userID = userID
            self.collection = collection
            self.operation = operation
            self.recordID = recordID
            self.data = data
        }
    }

    /// The policy's decision and why: the granting role, permission and rule, and the fields shown and writable.
    package struct Explanation: Sendable {
        /// Allowed, denied, or denied where signing in might help (the API's 200, 403, 401).
        package let verdict: AccessDecision.Verdict
        package let reason: String
        package let role: String?
        package let permissionID: String?
        package let rule: String?
        package let visibleFields: [String]
        package let writableFields: [String]
    }

    /// Explains what the access policy would decide for a user, without doing anything.
    package func explain(_ question: Question, in scope: AccountScope) async throws -> Explanation {
        guard let collection = try await services.collections.find(question.collection, database: services.database) else {
            throw SnackBaseError.notFound("Collection")
        }
        let recordScope = RecordScope(account: scope, collection: collection)
        let (user, stored) = try await services.database.read { db in
            (try await UserRepository.find(id: question.userID, in: scope, on: db),
             try await question.recordID.asyncMap { try await RecordRepository.find(id: $0, in: recordScope, on: db) } ?? nil)
        }
        guard let user else { throw SnackBaseError.notFound("User") }
        if question.recordID != nil && stored == nil { throw SnackBaseError.notFound("Record") }
        let principal = Principal(userID: user.id, email: user.email, accountID: scope.accountID, roles: user.isActive ? user.roles : [])
        let policy = try await services.policy(for: principal)
        let now = Timestamp.now()
        var record = stored ?? [:]
        var sent: Set<String> = []
        var data: StoredRecord = [:]
        if let sentData = question.data, question.operation == .create || question.operation == .update {
            (data, sent) = try RecordCodec.validate(sentData, collection: collection, mode: .patch)
        }
        if question.operation == .create {
            // The record as a create by this user would store it (the system fields as the account-isolation hook sets them).
            record = RecordEvent.systemFields(of: data, kind: .create, scope: recordScope, actor: principal, now: now)
        }
        let decision = policy.decide(question.operation, by: principal, on: collection, record: RecordCodec.ruleValues(record, collection: collection),
                                     data: RecordCodec.ruleValues(data, collection: collection), sentFields: sent, now: now)
        let every = Set(CollectionSchema.systemFields + collection.fields.map(\.name))
        let userFields = Set(collection.fields.map(\.name))
        let first = decision.granting.first
        return Explanation(
            verdict: decision.verdict, reason: user.isActive ? decision.reason : "user is inactive",
            role: first?.roleName, permissionID: first?.permission.id, rule: decision.rule,
            visibleFields: decision.allowed ? (decision.readableFields ?? every).sorted() : [],
            writableFields: decision.allowed ? (decision.writableFields ?? userFields).sorted() : []
        )
    }
}

extension PermissionService {
    /// What ``checkRule(_:collection:operation:)`` found: nothing wrong, or the first error and its
    /// 0-based character position.
    package enum RuleCheck: Sendable, Equatable {
        case valid
        case invalid(message: String, position: Int)
    }

    /// Checks a rule without saving anything, with the checker saving a permission uses
    /// (``PermissionDocument/check(rule:schema:allowsData:)``). `operation` create or update accepts
    /// `data.<field>` (as do write field rules: check those as update); read, delete and none do not. A name that is neither a collection name
    /// nor `*` is a 422, as in a permission document.
    package func checkRule(_ source: String, collection: String, operation: Operation?) async throws -> RuleCheck {
        guard collection == Permission.wildcard || CollectionSchema.isValidName(collection) else {
            throw SnackBaseError.validation(field: "collection", "must be a collection name or *")
        }
        let schema = collection == Permission.wildcard ? nil : try await services.collections.find(collection, database: services.database)
        let allowsData = operation == .create || operation == .update
        do {
            try PermissionDocument.check(rule: source, schema: schema, allowsData: allowsData)
            return .valid
        } catch {
            return .invalid(message: error.message, position: error.position)
        }
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}

import Hummingbird
import SnackBaseAccess
import SnackBaseCore
import SnackBaseService

/// `/api/v1/permissions`: the seed's permission documents, and `/check`, which explains a
/// decision without doing anything.
struct PermissionController {
    let services: AppServices

    private var permissions: PermissionService { PermissionService(services: services) }

    func register(on group: RouterGroup<AppRequestContext>) {
        group.post(use: create)
        group.get(use: list)
        group.post("check", use: check)
        group.get(":id", use: show)
        group.put(":id") { try await update($0, $1, replace: true) }
        group.patch(":id") { try await update($0, $1, replace: false) }
        group.delete(":id", use: remove)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (document, bodyAccount) = try await JSONBody.document(PermissionDocument.self, from: request)
        let (principal, scope) = try await AccountAdministration.require(request, context, services: services, bodyAccount: bodyAccount)
        let (permission, role) = try await permissions.create(document, by: principal, in: scope)
        return try JSONBody.response(.created, PermissionDTO(permission, roleName: role.name))
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (_, scope) = try await AccountAdministration.require(request, context, services: services)
        let query = FormQuery(request)
        let roleID = query["role_id"]
        let collection = query["collection"]
        let page = try Pagination(query)
        let (all, names) = try await permissions.list(roleID: roleID, collection: collection, in: scope)
        let items = all.dropFirst(page.skip).prefix(page.limit).map { PermissionDTO($0, roleName: names[$0.roleID]) }
        return try JSONBody.response(.ok, Page(items: Array(items), total: all.count, skip: page.skip, limit: page.limit))
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (_, scope) = try await AccountAdministration.require(request, context, services: services)
        let (permission, roleName) = try await permissions.get(id: context.parameters.get("id") ?? "", in: scope)
        return try JSONBody.response(.ok, PermissionDTO(permission, roleName: roleName))
    }

    func update(_ request: Request, _ context: AppRequestContext, replace: Bool) async throws -> Response {
        let buffer = try await JSONBody.bytes(of: request)
        let (principal, scope) = try await AccountAdministration.require(request, context, services: services, bodyAccount: JSONBody.accountField(try JSONBody.value(of: buffer)))
        let (permission, role) = try await permissions.update(id: context.parameters.get("id") ?? "", {
            if replace { return .replace(try JSONBody.decode(PermissionDocument.self, buffer: buffer)) }
            return .patch(try JSONBody.decode(PermissionService.Patch.self, buffer: buffer))
        }, by: principal, in: scope)
        return try JSONBody.response(.ok, PermissionDTO(permission, roleName: role.name))
    }

    @Sendable func remove(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (principal, scope) = try await AccountAdministration.require(request, context, services: services)
        try await permissions.delete(id: context.parameters.get("id") ?? "", by: principal, in: scope)
        return JSONBody.noContent()
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
        let answer = try await permissions.explain(.init(
            userID: body.userId, collection: body.collection, operation: body.operation, recordID: body.recordId, data: body.data
        ), in: scope)
        return try JSONBody.response(.ok, CheckAnswer(
            allowed: answer.verdict == .allowed, status: Self.status(of: answer.verdict), reason: answer.reason, role: answer.role, permissionId: answer.permissionID,
            rule: answer.rule, visibleFields: answer.visibleFields, writableFields: answer.writableFields
        ))
    }
}

extension PermissionController {
    /// The status the decision would be answered with, as `/permissions/check` reports it.
    static func status(of verdict: AccessDecision.Verdict) -> Int {
        switch verdict {
        case .allowed: 200
        case .denied: 403
        case .signInRequired: 401
        }
    }
}

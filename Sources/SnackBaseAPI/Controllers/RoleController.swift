import Hummingbird
import SnackBaseCore
import SnackBaseService

/// `/api/v1/roles`: an account admin's roles, each a name plus its permissions.
struct RoleController {
    let services: AppServices

    private var roles: RoleService { RoleService(services: services) }

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get(use: list)
        group.post(use: create)
        group.get(":id", use: show)
        group.patch(":id", use: update)
        group.delete(":id", use: remove)
        group.get(":id/permissions", use: permissions)
    }

    struct RoleDTO: Encodable, Sendable {
        let id: String
        let accountId: String
        let name: String
        let description: String
        let requireMfa: Bool
        let permissions: [PermissionDTO]?
        let createdAt: String
        let updatedAt: String

        init(_ role: Role, permissions: [Permission]?) {
            id = role.id
            accountId = role.accountID.rawValue
            name = role.name
            description = role.description
            requireMfa = role.requireMFA
            self.permissions = permissions?.map { PermissionDTO($0, roleName: role.name) }
            createdAt = role.createdAt
            updatedAt = role.updatedAt
        }
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (_, scope) = try await AccountAdministration.require(request, context, services: services)
        let all = try await roles.list(in: scope)
        let page = try Pagination(request)
        let items = all.dropFirst(page.skip).prefix(page.limit).map { RoleDTO($0, permissions: nil) }
        return try JSONBody.response(.ok, Page(items: Array(items), total: all.count, skip: page.skip, limit: page.limit))
    }

    struct CreateBody: Decodable {
        let name: String
        let description: String?
        let permissions: [PermissionDocument]?
        let requireMfa: Bool?
    }

    /// Creates a role with the seed's custom-role document, permissions included, in one transaction.
    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (body, bodyAccount) = try await JSONBody.document(CreateBody.self, from: request)
        let (principal, scope) = try await AccountAdministration.require(request, context, services: services, bodyAccount: bodyAccount)
        let (role, permissions) = try await roles.create(
            name: body.name, description: body.description, permissions: body.permissions, requireMFA: body.requireMfa ?? false, by: principal, in: scope
        )
        return try JSONBody.response(.created, RoleDTO(role, permissions: permissions))
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (_, scope) = try await AccountAdministration.require(request, context, services: services)
        let (role, permissions) = try await roles.get(id: context.parameters.get("id") ?? "", in: scope)
        return try JSONBody.response(.ok, RoleDTO(role, permissions: permissions))
    }

    @Sendable func permissions(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (_, scope) = try await AccountAdministration.require(request, context, services: services)
        let (role, permissions) = try await roles.get(id: context.parameters.get("id") ?? "", in: scope)
        let items = permissions.map { PermissionDTO($0, roleName: role.name) }
        return try JSONBody.response(.ok, Page(items: items, total: items.count, skip: 0, limit: max(items.count, 1)))
    }

    struct UpdateBody: Decodable {
        let name: String?
        let description: String?
        let requireMfa: Bool?
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (body, bodyAccount) = try await JSONBody.document(UpdateBody.self, from: request)
        let (principal, scope) = try await AccountAdministration.require(request, context, services: services, bodyAccount: bodyAccount)
        let updated = try await roles.update(id: context.parameters.get("id") ?? "", name: body.name, description: body.description, requireMFA: body.requireMfa, by: principal, in: scope)
        return try JSONBody.response(.ok, RoleDTO(updated, permissions: nil))
    }

    @Sendable func remove(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (principal, scope) = try await AccountAdministration.require(request, context, services: services)
        let force = FormQuery(request)["force"] == "true"
        try await roles.delete(id: context.parameters.get("id") ?? "", force: force, by: principal, in: scope)
        return JSONBody.noContent()
    }
}

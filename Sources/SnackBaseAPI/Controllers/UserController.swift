import Hummingbird
import SnackBaseCore
import SnackBaseService

/// `/api/v1/users`: an account admin manages the users of the account (the superadmin, of any account).
/// Nobody changes their own roles or deactivates themselves, grants a role of another account,
/// or makes a superadmin through this API.
struct UserController {
    let services: AppServices

    private var users: UserService { UserService(services: services) }

    func register(on group: RouterGroup<AppRequestContext>) {
        group.post(use: create)
        group.post("import", use: importUsers)
        group.get(use: list)
        group.get(":id", use: show)
        group.patch(":id", use: update)
        group.delete(":id", use: deactivate)
        group.delete(":id/mfa", use: disableTwoFactor)
    }

    /// An account admin turns off a user's two-factor sign-in (a lost phone and no recovery code).
    @Sendable func disableTwoFactor(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (principal, scope) = try await administrator(request, context)
        try await TwoFactorService(services: services).disable(userID: context.parameters.get("id") ?? "", by: principal, in: scope)
        return JSONBody.noContent()
    }

    private func administrator(_ request: Request, _ context: AppRequestContext, bodyAccount: String? = nil) async throws -> (Principal, AccountScope) {
        try await AccountAdministration.require(request, context, services: services, bodyAccount: bodyAccount)
    }

    struct CreateBody: Decodable {
        let email: String
        let password: String
        let roles: [String]?
        let accountId: String?
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(CreateBody.self, from: request)
        let (principal, scope) = try await administrator(request, context, bodyAccount: body.accountId)
        let user = try await users.create(email: body.email, password: body.password, roles: body.roles, by: principal, in: scope)
        return try JSONBody.response(.created, UserDTO(user))
    }

    /// `POST /users/import`: JSON Lines of users with their Argon2id hashes, such as a Python SnackBase
    /// users table exported line by line (operations.md); `{created, failed}` as a record import answers.
    @Sendable func importUsers(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (principal, scope) = try await administrator(request, context)
        let lines = try RecordController.lines(of: try await RecordController.importBody(request))
        return try RecordController.importAnswer(try await users.importUsers(lines, by: principal, in: scope), context: context)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (_, scope) = try await administrator(request, context)
        let page = try Pagination(request)
        let (items, total) = try await users.list(in: scope, skip: page.skip, limit: page.limit)
        return try JSONBody.response(.ok, Page(items: items.map(UserDTO.init), total: total, skip: page.skip, limit: page.limit))
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (_, scope) = try await administrator(request, context)
        return try JSONBody.response(.ok, UserDTO(try await users.get(id: context.parameters.get("id") ?? "", in: scope)))
    }

    struct UpdateBody: Decodable {
        let email: String?
        let roles: [String]?
        let isActive: Bool?
        let password: String?
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (body, bodyAccount) = try await JSONBody.document(UpdateBody.self, from: request)
        let (principal, scope) = try await administrator(request, context, bodyAccount: bodyAccount)
        let change = UserService.Change(email: body.email, roles: body.roles, isActive: body.isActive, password: body.password)
        let stored = try await users.update(id: context.parameters.get("id") ?? "", change, by: principal, in: scope)
        return try JSONBody.response(.ok, UserDTO(stored))
    }

    /// Deactivates (never deletes) a user; its tokens stop working on the next request.
    @Sendable func deactivate(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (principal, scope) = try await administrator(request, context)
        try await users.deactivate(id: context.parameters.get("id") ?? "", by: principal, in: scope)
        return JSONBody.noContent()
    }
}

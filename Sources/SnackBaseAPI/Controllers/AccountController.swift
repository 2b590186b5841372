import Hummingbird
import SnackBaseCore
import SnackBaseService

/// `/api/v1/accounts`: the superadmin's view of every tenant.
struct AccountController {
    let services: AppServices

    var accounts: AccountService { AccountService(services: services) }

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get(use: list)
        group.post(use: create)
        group.get(":id", use: show)
        group.get(":id/export", use: exportArchive)
        group.patch(":id", use: update)
        group.delete(":id", use: remove)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try context.requireSuperadmin()
        let page = try Pagination(request)
        let (items, total) = try await accounts.list(skip: page.skip, limit: page.limit)
        return try JSONBody.response(.ok, Page(items: items.map(AccountDTO.init), total: total, skip: page.skip, limit: page.limit))
    }

    struct CreateBody: Decodable {
        let name: String
        let slug: String?
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requireSuperadmin()
        let body = try await JSONBody.decode(CreateBody.self, from: request)
        var problems: [SnackBaseError.Detail] = []
        let new = AccountService.NewAccount(name: body.name, slug: body.slug, fields: ("name", "slug"), problems: &problems)
        guard let new, problems.isEmpty else { throw SnackBaseError.validation(problems) }
        let account = try await accounts.create(new, by: principal)
        return try JSONBody.response(.created, AccountDTO(account))
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try context.requireSuperadmin()
        return try JSONBody.response(.ok, AccountDTO(try await accounts.get(id: context.parameters.get("id") ?? "")))
    }

    struct UpdateBody: Decodable {
        let name: String?
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requireSuperadmin()
        let body = try await JSONBody.decode(UpdateBody.self, from: request)
        let account = try await accounts.rename(id: context.parameters.get("id") ?? "", to: body.name, by: principal)
        return try JSONBody.response(.ok, AccountDTO(account))
    }

    @Sendable func remove(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requireSuperadmin()
        try await accounts.delete(id: context.parameters.get("id") ?? "", by: principal)
        return JSONBody.noContent()
    }
}

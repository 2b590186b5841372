import Hummingbird
import SnackBaseCore
import SnackBaseService
import SnackBaseStore

/// `/api/v1/accounts`: the superadmin's view of every tenant.
struct AccountController {
    let services: AppServices

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get(use: list)
        group.post(use: create)
        group.get(":id", use: show)
        group.patch(":id", use: update)
        group.delete(":id", use: remove)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try context.requireSuperadmin()
        let page = try Pagination(request)
        let (items, total) = try await services.database.read { db in
            try await AccountRepository.list(skip: page.skip, limit: page.limit, on: db)
        }
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
        let account = try await AccountService(services: services).create(new, by: principal)
        return try JSONBody.response(.created, AccountDTO(account))
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try context.requireSuperadmin()
        let account = try await find(context)
        return try JSONBody.response(.ok, AccountDTO(account))
    }

    struct UpdateBody: Decodable {
        let name: String?
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requireSuperadmin()
        let body = try await JSONBody.decode(UpdateBody.self, from: request)
        var account = try await find(context)
        let before = account
        if let name = body.name?.trimmingCharacters(in: .whitespacesAndNewlines) {
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
        return try JSONBody.response(.ok, AccountDTO(account))
    }

    @Sendable func remove(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requireSuperadmin()
        let account = try await find(context)
        guard !account.id.isSystem else { throw SnackBaseError.forbidden("The system account cannot be deleted") }
        // The entry lands in the deleted account's own chain, which outlives the account.
        try await services.database.transaction { db in
            try await AccountRepository.delete(account.id, on: db)
            try await AuditLog.append(AuditEvent("account.delete", in: account.id, by: principal, status: 204, recordID: account.id.rawValue,
                                                 changes: account.deletedChanges), on: db)
        }
        // Its cached roles and permissions go with it.
        await services.accessChanged(in: account.id)
        return JSONBody.noContent()
    }

    private func find(_ context: AppRequestContext) async throws -> Account {
        let raw = context.parameters.get("id") ?? ""
        guard let id = AccountID(raw),
              let account = try await services.database.read({ db in try await AccountRepository.find(id: id, on: db) })
        else { throw SnackBaseError.notFound("Account") }
        return account
    }
}

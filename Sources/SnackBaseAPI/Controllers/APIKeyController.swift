import Hummingbird
import SnackBaseCore
import SnackBaseService
import SnackBaseStore

/// `/api/v1/api-keys`: an account admin's API keys (the superadmin's, of any account). The key
/// itself is in the `POST` answer only; lists and `GET /{id}` show its `prefix`.
struct APIKeyController {
    let services: AppServices

    private var keys: APIKeyService { APIKeyService(services: services) }

    func register(on group: RouterGroup<AppRequestContext>) {
        group.post(use: create)
        group.get(use: list)
        group.get(":id", use: show)
        group.delete(":id", use: revoke)
    }

    /// A key as the API shows it; `key` only when it was just created. Absent times are `null`.
    struct APIKeyDTO: Encodable, Sendable {
        let stored: APIKeyRepository.Key
        let key: String?

        enum CodingKeys: String, CodingKey {
            case id, name, roles, prefix, key, createdAt = "created_at", createdBy = "created_by", expiresAt = "expires_at"
            case lastUsedAt = "last_used_at", revokedAt = "revoked_at", accountId = "account_id"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(stored.id, forKey: .id)
            try container.encode(stored.accountID.rawValue, forKey: .accountId)
            try container.encode(stored.name, forKey: .name)
            try container.encode(stored.roles, forKey: .roles)
            try container.encode(stored.prefix, forKey: .prefix)
            if let key { try container.encode(key, forKey: .key) }
            try container.encode(stored.createdAt, forKey: .createdAt)
            try container.encode(stored.createdBy, forKey: .createdBy)
            try container.encode(stored.expiresAt, forKey: .expiresAt)
            try container.encode(stored.lastUsedAt, forKey: .lastUsedAt)
            try container.encode(stored.revokedAt, forKey: .revokedAt)
        }
    }

    struct CreateBody: Decodable {
        let name: String
        let roles: [String]
        let expiresAt: String?
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (body, bodyAccount) = try await JSONBody.document(CreateBody.self, from: request)
        let (principal, scope) = try await AccountAdministration.require(request, context, services: services, bodyAccount: bodyAccount)
        let created = try await keys.create(name: body.name, roles: body.roles, expiresAt: body.expiresAt, by: principal, in: scope)
        return try JSONBody.response(.created, APIKeyDTO(stored: created.key, key: created.secret))
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (principal, scope) = try await AccountAdministration.require(request, context, services: services)
        let page = try Pagination(request)
        let (items, total) = try await keys.list(by: principal, in: scope, skip: page.skip, limit: page.limit)
        return try JSONBody.response(.ok, Page(items: items.map { APIKeyDTO(stored: $0, key: nil) }, total: total, skip: page.skip, limit: page.limit))
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (principal, scope) = try await AccountAdministration.require(request, context, services: services)
        let key = try await keys.get(id: context.parameters.get("id") ?? "", by: principal, in: scope)
        return try JSONBody.response(.ok, APIKeyDTO(stored: key, key: nil))
    }

    @Sendable func revoke(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (principal, scope) = try await AccountAdministration.require(request, context, services: services)
        try await keys.revoke(id: context.parameters.get("id") ?? "", by: principal, in: scope)
        return JSONBody.noContent()
    }
}

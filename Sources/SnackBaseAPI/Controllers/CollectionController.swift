import Hummingbird
import SnackBaseCore
import SnackBaseService

/// `/api/v1/collections`: the superadmin defines collections; any signed-in user reads names and schemas.
struct CollectionController {
    let services: AppServices

    var collections: CollectionService { CollectionService(services: services) }

    func register(on group: RouterGroup<AppRequestContext>) {
        group.post(use: create)
        group.get(use: list)
        // Before `:name` in Hummingbird's trie: GET of a collection named `export` is answered by the
        // list (its PATCH and DELETE are unaffected). See docs/operations.md.
        group.get("export", use: exportSchemas)
        group.post("import", use: importSchemas)
        group.get(":name", use: show)
        group.patch(":name", use: update)
        group.delete(":name", use: remove)
    }

    struct SchemaBody: Codable, Sendable {
        let fields: [FieldSchema]
    }

    struct CreateBody: Decodable {
        let name: String
        let description: String?
        let schema: SchemaBody
    }

    struct CollectionDTO: Encodable, Sendable {
        let id: String
        let name: String
        let description: String
        let schema: SchemaBody
        let createdAt: String
        let updatedAt: String
        let warnings: [String]?

        init(_ collection: CollectionSchema, warnings: [String]? = nil) {
            id = collection.id
            name = collection.name
            description = collection.description
            schema = SchemaBody(fields: collection.fields)
            createdAt = collection.createdAt
            updatedAt = collection.updatedAt
            self.warnings = warnings
        }
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requireSuperadmin()
        let body = try await JSONBody.decode(CreateBody.self, from: request)
        let (collection, warnings) = try await collections.create(
            name: body.name, description: body.description, fields: body.schema.fields, by: principal
        )
        return try JSONBody.response(.created, CollectionDTO(collection, warnings: warnings))
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try context.requireUser()
        let all = try await collections.list()
        let page = try Pagination(request)
        let items = all.dropFirst(page.skip).prefix(page.limit).map { CollectionDTO($0) }
        return try JSONBody.response(.ok, Page(items: Array(items), total: all.count, skip: page.skip, limit: page.limit))
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try context.requireUser()
        return try JSONBody.response(.ok, CollectionDTO(try await collections.get(name: context.parameters.get("name") ?? "")))
    }

    struct UpdateBody: Decodable {
        let description: String?
        let schema: SchemaBody?
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requireSuperadmin()
        let body = try await JSONBody.decode(UpdateBody.self, from: request)
        let (updated, warnings) = try await collections.update(
            name: context.parameters.get("name") ?? "", description: body.description, fields: body.schema?.fields,
            confirmed: FormQuery(request)["confirm"] == "true", by: principal
        )
        return try JSONBody.response(.ok, CollectionDTO(updated, warnings: warnings))
    }

    @Sendable func remove(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requireSuperadmin()
        try await collections.delete(name: context.parameters.get("name") ?? "", confirmed: FormQuery(request)["confirm"] == "true", by: principal)
        return JSONBody.noContent()
    }
}

import Hummingbird
import SnackBaseCore
import SnackBaseService

/// `GET /collections/export` and `POST /collections/import` (superadmin): schemas between servers.
extension CollectionController {
    /// One collection of an export or an import: what another server needs to create it.
    struct PortableCollection: Codable, Sendable {
        let name: String
        let description: String?
        let schema: SchemaBody
    }

    struct Export: Encodable {
        let collections: [PortableCollection]
    }

    struct ImportBody: Decodable {
        let collections: [PortableCollection]
        let mode: String?
    }

    struct ImportAnswer: Encodable {
        let created: [String]
        let extended: [String]
    }

    @Sendable func exportSchemas(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try context.requireSuperadmin()
        let all = try await collections.list()
        return try JSONBody.response(.ok, Export(collections: all.map {
            PortableCollection(name: $0.name, description: $0.description, schema: SchemaBody(fields: $0.fields))
        }))
    }

    /// `{collections:[…], mode:"create"|"merge"}` → `200 {created, extended}`, or 422 naming every problem and nothing changed.
    @Sendable func importSchemas(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requireSuperadmin()
        let body = try await JSONBody.decode(ImportBody.self, from: request)
        guard let mode = CollectionService.ImportMode(rawValue: body.mode ?? "create") else {
            throw SnackBaseError.validation(field: "mode", "must be create or merge")
        }
        let (created, extended) = try await collections.importCollections(
            body.collections.map { .init(name: $0.name, description: $0.description, fields: $0.schema.fields) }, mode: mode, by: principal
        )
        return try JSONBody.response(.ok, ImportAnswer(created: created, extended: extended))
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import SnackBaseCore
import SnackBaseService

/// `/api/v1/backups` (superadmin): start a backup, list them, download one. The work is
/// ``BackupCatalog``'s; this decodes and encodes only.
struct BackupController {
    let services: AppServices

    func register(on group: RouterGroup<AppRequestContext>) {
        group.post(use: create)
        group.get(use: list)
        group.get(":id/download", use: download)
    }

    struct BackupDTO: Encodable {
        let id: String
        let file: String
        /// Null while the backup runs (the OpenAPI document requires the keys; schemathesis found them missing).
        @NullWhenAbsent var size: Int?
        @NullWhenAbsent var sha256: String?
        let createdAt: String
        let status: String

        init(_ entry: BackupEntry) {
            id = entry.id
            file = entry.file
            size = entry.size
            sha256 = entry.sha256
            createdAt = entry.createdAt
            status = entry.status.rawValue
        }
    }

    struct Started: Encodable {
        let id: String
        let status: String
    }

    struct Items: Encodable {
        let items: [BackupDTO]
    }

    /// The catalog, for a superadmin only (401 anonymous, 403 anyone else, before anything else is told).
    private func catalog(_ context: AppRequestContext) throws -> (BackupCatalog, Principal) {
        let principal = try context.requireSuperadmin()
        guard let catalog = services.backups else { throw SnackBaseError.notFound("Backups") }
        return (catalog, principal)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (catalog, principal) = try catalog(context)
        let entry = try await catalog.start(by: principal)
        return try JSONBody.response(.accepted, Started(id: entry.id, status: entry.status.rawValue))
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (catalog, _) = try catalog(context)
        let entries = await catalog.list()
        return try JSONBody.response(.ok, Items(items: entries.map(BackupDTO.init)))
    }

    /// Streams the file in chunks (never read whole into memory).
    @Sendable func download(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (catalog, _) = try catalog(context)
        guard let id = context.parameters.get("id"), let path = await catalog.path(of: id) else { throw SnackBaseError.notFound("Backup") }
        let body = try await FileIO().loadFile(path: path, context: context)
        var headers = HTTPFields()
        headers[.contentType] = "application/octet-stream"
        headers[.contentDisposition] = "attachment; filename=\"\((path as NSString).lastPathComponent)\""
        return Response(status: .ok, headers: headers, body: body)
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SnackBaseCore
import SnackBaseService
import SnackBaseStore

/// `GET /accounts/{id}/export` (operations.md): one tar archive of a tenant's data. Members:
/// `users.jsonl` (as the API shows users: no password hash, no two-factor secret), `roles.jsonl`,
/// `permissions.jsonl`, `records/<collection>.jsonl` (every collection, through the exporter's read
/// decision), `audit.jsonl` (the account's chain, in order, with each entry's hashes) and, last,
/// `manifest.json` with each member's line count, size and SHA-256.
///
/// Streamed member by member: the server holds one member at a time (a tar header carries its size),
/// so the largest member (one collection's records of the account) bounds the memory.
extension AccountController {
    @Sendable func exportArchive(_ request: Request, context: AppRequestContext) async throws -> Response {
        let principal = try context.requireUser()
        let raw = context.parameters.get("id") ?? ""
        // The superadmin, or an admin of this very account; anyone else is refused as the account routes refuse.
        guard principal.isSuperadmin || (principal.accountID.rawValue == raw && principal.hasRole(Role.admin)) else {
            throw SnackBaseError.escalation("Only the superadmin or an admin of the account can export it")
        }
        let account = try await accounts.get(id: raw)
        let scope = AccountScope(account.id)
        let services = self.services
        let modified = Int(Date().timeIntervalSince1970)
        let body = ResponseBody { writer in
            var manifest: [ManifestMember] = []
            var skipped: [ManifestSkip] = []
            func emit(_ name: String, _ contents: ByteBuffer, count: Int) async throws {
                manifest.append(ManifestMember(name: name, count: count, bytes: contents.readableBytes, sha256: TarArchive.sha256(contents)))
                try await writer.write(TarArchive.member(name, contents, modified: modified))
            }

            // Users: every page, as the API shows them.
            var users = ByteBuffer()
            var userCount = 0
            var skip = 0
            while true {
                let (items, _) = try await UserService(services: services).list(in: scope, skip: skip, limit: 100)
                for user in items { try Self.line(UserDTO(user), into: &users) }
                userCount += items.count
                skip += items.count
                if items.count < 100 { break }
            }
            try await emit("users.jsonl", users, count: userCount)

            let roles = try await RoleService(services: services).list(in: scope)
            var rolesOut = ByteBuffer()
            for role in roles { try Self.line(RoleController.RoleDTO(role, permissions: nil), into: &rolesOut) }
            try await emit("roles.jsonl", rolesOut, count: roles.count)

            let (permissions, roleNames) = try await PermissionService(services: services).list(roleID: nil, collection: nil, in: scope)
            var permissionsOut = ByteBuffer()
            for permission in permissions { try Self.line(PermissionDTO(permission, roleName: roleNames[permission.roleID]), into: &permissionsOut) }
            try await emit("permissions.jsonl", permissionsOut, count: permissions.count)

            // Records: each collection through the exporter's own read decision (fails closed: a
            // collection the exporter may not read is listed as skipped, never read around the policy).
            let records = RecordService(services: services)
            for collection in try await CollectionService(services: services).list() {
                let plan: RecordService.ExportPlan
                do {
                    let target = try await records.target(collection: collection.name, principal: principal, requestedAccount: scope.accountID.rawValue)
                    plan = try records.exportPlan(target: target)
                } catch let refused as SnackBaseError {
                    skipped.append(ManifestSkip(collection: collection.name, reason: refused.message))
                    continue
                }
                var out = ByteBuffer()
                var count = 0
                var after: String?
                repeat {
                    let page = try await records.exportPage(after: after, plan: plan)
                    for index in 0..<page.listed.count {
                        page.listed.write(index, into: &out)
                        out.writeInteger(UInt8(ascii: "\n"))
                    }
                    count += page.listed.count
                    after = page.lastID
                } while after != nil
                try await emit("records/\(collection.name).jsonl", out, count: count)
            }

            // The audit chain, in order, as the audit export writes it.
            let pages = try await AuditService(services: services).export(AuditFilter(account: scope), reader: principal)
            var audit = ByteBuffer()
            var auditCount = 0
            var cursor: AuditLog.Cursor?
            repeat {
                let (entries, next) = try await pages.page(after: cursor)
                for entry in entries { try Self.line(AuditEntryDTO(entry, includeCanonicalChanges: true), into: &audit) }
                auditCount += entries.count
                cursor = next
            } while cursor != nil
            try await emit("audit.jsonl", audit, count: auditCount)

            let document = Manifest(format: "snackbase-account-archive/1", accountId: scope.accountID.rawValue, accountSlug: account.slug,
                                    exportedAt: Timestamp.now(), members: manifest, skipped: skipped)
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            try await writer.write(TarArchive.member("manifest.json", ByteBuffer(bytes: try encoder.encode(document)), modified: modified))
            try await writer.write(TarArchive.end)
            try await writer.finish(nil)
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/x-tar"
        headers[.contentDisposition] = "attachment; filename=\"account-\(scope.accountID.rawValue).tar\""
        return Response(status: .ok, headers: headers, body: body)
    }

    static func line(_ value: some Encodable, into out: inout ByteBuffer) throws {
        out.writeBytes(try JSONBody.encoder.encode(value))
        out.writeInteger(UInt8(ascii: "\n"))
    }

    struct ManifestMember: Encodable, Sendable {
        let name: String
        let count: Int
        let bytes: Int
        let sha256: String
    }

    struct ManifestSkip: Encodable, Sendable {
        let collection: String
        let reason: String
    }

    struct Manifest: Encodable {
        let format: String
        let accountId: String
        let accountSlug: String
        let exportedAt: String
        let members: [ManifestMember]
        let skipped: [ManifestSkip]
    }
}

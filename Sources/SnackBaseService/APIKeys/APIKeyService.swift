import Foundation
import SnackBaseAuth
import SnackBaseCore
import SnackBaseStore

/// An account admin's API keys (identity.md): create (the key is answered once, only its digest is
/// kept), list, get, revoke. `scope` is the account `principal` administers, from
/// ``AccountAccess/administration(by:query:body:)``. A key never manages keys, whatever its roles.
package struct APIKeyService: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }

    /// A new key: the stored key and the secret, which nothing else ever holds again.
    package struct Created: Sendable {
        package let key: APIKeyRepository.Key
        package let secret: String
    }

    package static let maximumNameLength = 100

    /// Refuses a caller that is itself an API key (403, audited as an escalation attempt).
    package static func refuseAPIKey(_ principal: Principal, _ what: String) throws {
        guard !principal.isAPIKey else { throw SnackBaseError.escalation("API keys cannot \(what)") }
    }

    package func create(name: String, roles: [String], expiresAt: String?, by principal: Principal, in scope: AccountScope) async throws -> Created {
        try Self.refuseAPIKey(principal, "manage API keys")
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        var problems: [SnackBaseError.Detail] = []
        if name.isEmpty || name.count > Self.maximumNameLength { problems.append(.init(field: "name", message: "must be 1-\(Self.maximumNameLength) characters")) }
        var expiry: String?
        if let expiresAt {
            if let date = Self.parse(expiresAt) {
                if date > Date() { expiry = Timestamp.format(date) } else { problems.append(.init(field: "expires_at", message: "must be in the future")) }
            } else {
                problems.append(.init(field: "expires_at", message: "must be an RFC 3339 time like 2026-01-05T10:00:00Z"))
            }
        }
        guard problems.isEmpty else { throw SnackBaseError.validation(problems) }
        let material = APIKeySecret.generate()
        let id = SecureID.make("key")
        let now = Timestamp.now()
        let stored = expiry
        let key = try await services.database.transaction { db -> APIKeyRepository.Key in
            let roleIDs = try await RoleRepository.ids(forNames: roles, in: scope, on: db)
            try await APIKeyRepository.insert(id: id, name: name, prefix: material.prefix, digest: material.digest, roleIDs: roleIDs,
                                              createdAt: now, createdBy: principal.userID, expiresAt: stored, in: scope, on: db)
            guard let key = try await APIKeyRepository.find(id: id, in: scope, on: db) else { throw SnackBaseError.internalError }
            try await AuditLog.append(AuditEvent("api_key.create", in: scope.accountID, by: principal, status: 201, recordID: id,
                                                 changes: AuditChange.diff([:], key.auditFields)), on: db)
            return key
        }
        return Created(key: key, secret: material.key)
    }

    package func list(by principal: Principal, in scope: AccountScope, skip: Int, limit: Int) async throws -> (items: [APIKeyRepository.Key], total: Int) {
        try Self.refuseAPIKey(principal, "manage API keys")
        return try await services.database.read { db in try await APIKeyRepository.list(in: scope, skip: skip, limit: limit, on: db) }
    }

    package func get(id: String, by principal: Principal, in scope: AccountScope) async throws -> APIKeyRepository.Key {
        try Self.refuseAPIKey(principal, "manage API keys")
        guard let key = try await services.database.read({ db in try await APIKeyRepository.find(id: id, in: scope, on: db) }) else {
            throw SnackBaseError.notFound("API key")
        }
        return key
    }

    /// Revokes a key: a write transaction, so (on SQLite) every remembered sign-in ends with it and
    /// the key is refused on the very next request; PostgreSQL reads keys every time.
    package func revoke(id: String, by principal: Principal, in scope: AccountScope) async throws {
        try Self.refuseAPIKey(principal, "manage API keys")
        let now = Timestamp.now()
        try await services.database.transaction { db in
            guard let key = try await APIKeyRepository.find(id: id, in: scope, on: db) else { throw SnackBaseError.notFound("API key") }
            guard try await APIKeyRepository.revoke(id: id, at: now, in: scope, on: db) else { return }
            try await AuditLog.append(AuditEvent("api_key.revoke", in: scope.accountID, by: principal, status: 204, recordID: key.id,
                                                 changes: ["revoked_at": AuditChange(old: .null, new: .string(now))]), on: db)
        }
    }

    static func parse(_ text: String) -> Date? {
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        return withFraction.date(from: text) ?? plain.date(from: text)
    }
}

extension APIKeyRepository.Key {
    /// What the audit log shows of a key: never the key or its digest.
    package var auditFields: [String: JSONValue] {
        [
            "name": .string(name), "roles": .array(roles.map(JSONValue.string)), "prefix": .string(prefix),
            "expires_at": expiresAt.map(JSONValue.string) ?? .null,
        ]
    }
}

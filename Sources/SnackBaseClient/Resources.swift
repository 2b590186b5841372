import Foundation

/// A resource of the API in the usual shape (list, get, create, update, delete), as dynamic JSON or
/// decoded into your own types with the `as:` variants.
public struct Resource: Sendable {
    let client: SnackBaseClient
    let path: String

    /// `query`: the route's parameters (`skip`, `limit`, `account_id`, …).
    public func list(_ query: [String: String] = [:]) async throws -> JSONValue { try await list(query, as: JSONValue.self) }

    public func list<T: Decodable>(_ query: [String: String] = [:], as type: T.Type) async throws -> T {
        try await client.call("GET", path, query: sorted(query))
    }

    public func get(_ id: String) async throws -> JSONValue { try await get(id, as: JSONValue.self) }

    public func get<T: Decodable>(_ id: String, as type: T.Type) async throws -> T {
        try await client.call("GET", "\(path)/\(segment(id))")
    }

    @discardableResult
    public func create(_ document: some Encodable & Sendable) async throws -> JSONValue { try await client.call("POST", path, body: document) }

    /// PATCH.
    @discardableResult
    public func update(_ id: String, _ patch: some Encodable & Sendable) async throws -> JSONValue {
        try await client.call("PATCH", "\(path)/\(segment(id))", body: patch)
    }

    public func delete(_ id: String) async throws { try await client.callVoid("DELETE", "\(path)/\(segment(id))") }

    func sorted(_ query: [String: String]) -> [(String, String)] { query.keys.sorted().map { ($0, query[$0]!) } }
}

/// Collection definitions (`client.collections`).
public struct Collections: Sendable {
    let client: SnackBaseClient
    private var resource: Resource { Resource(client: client, path: "/collections") }

    public func list() async throws -> JSONValue { try await resource.list() }
    public func get(_ name: String) async throws -> JSONValue { try await resource.get(name) }
    /// `{name, description?, schema: {fields: [{name, type, required?, default?, unique?, options?}]}}`.
    @discardableResult
    public func create(_ definition: some Encodable & Sendable) async throws -> JSONValue { try await resource.create(definition) }
    /// Adds fields or changes the description; dropping a field needs `confirm`.
    @discardableResult
    public func update(_ name: String, _ patch: some Encodable & Sendable, confirm: Bool = false) async throws -> JSONValue {
        try await client.call("PATCH", "/collections/\(segment(name))", query: confirm ? [("confirm", "true")] : [], body: patch)
    }
    /// Deletes the collection and every record in it (calling this is the confirmation).
    public func delete(_ name: String) async throws {
        try await client.callVoid("DELETE", "/collections/\(segment(name))", query: [("confirm", "true")])
    }
}

/// A resource that answers the usual calls (list, get, create, update, delete) through `resource`, and adds
/// its own below.
public protocol ResourceCalls: Sendable {
    var resource: Resource { get }
}

extension ResourceCalls {
    /// `query`: the route's parameters (`skip`, `limit`, `account_id`, `role_id`, …).
    public func list(_ query: [String: String] = [:]) async throws -> JSONValue { try await resource.list(query) }
    public func get(_ id: String) async throws -> JSONValue { try await resource.get(id) }
    @discardableResult
    public func create(_ document: some Encodable & Sendable) async throws -> JSONValue { try await resource.create(document) }
    /// PATCH.
    @discardableResult
    public func update(_ id: String, _ patch: some Encodable & Sendable) async throws -> JSONValue { try await resource.update(id, patch) }
}

/// Users of the account (`client.users`): create `{email, password, roles}`, update `{email?, roles?, is_active?, password?}`.
public struct Users: ResourceCalls {
    let client: SnackBaseClient
    public var resource: Resource { Resource(client: client, path: "/users") }

    /// Deactivates the user; their tokens stop working at once.
    public func delete(_ id: String) async throws { try await resource.delete(id) }
    /// Turns two-factor sign-in off for a user of the account.
    public func disableMfa(_ id: String) async throws { try await client.callVoid("DELETE", "/users/\(segment(id))/mfa") }
}

/// Roles of the account (`client.roles`): create `{name, description?, permissions?, require_mfa?}`.
public struct Roles: ResourceCalls {
    let client: SnackBaseClient
    public var resource: Resource { Resource(client: client, path: "/roles") }

    /// 409 while users hold the role, unless `force`.
    public func delete(_ id: String, force: Bool = false) async throws {
        try await client.callVoid("DELETE", "/roles/\(segment(id))", query: force ? [("force", "true")] : [])
    }
    public func permissions(of id: String) async throws -> JSONValue { try await client.call("GET", "/roles/\(segment(id))/permissions") }
}

/// Permission documents (`client.permissions`); `list` takes `role_id` and `collection`.
public struct Permissions: ResourceCalls {
    let client: SnackBaseClient
    public var resource: Resource { Resource(client: client, path: "/permissions") }

    /// Full replace (PUT).
    @discardableResult
    public func replace(_ id: String, _ permission: some Encodable & Sendable) async throws -> JSONValue {
        try await client.call("PUT", "/permissions/\(segment(id))", body: permission)
    }
    public func delete(_ id: String) async throws { try await resource.delete(id) }
}

/// A key as listed (`key` itself is only in the answer of `create`).
public struct APIKey: Sendable, Decodable, Hashable {
    public let id: String
    public let name: String
    public let roles: [String]
    /// The key's first 12 characters, to tell keys apart.
    public let prefix: String
    /// The key: only in the answer of `create`, never again.
    public let key: String?
    public let createdAt: Date?
    public let expiresAt: Date?
    public let lastUsedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, name, roles, prefix, key
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case lastUsedAt = "last_used_at"
    }
}

/// API keys of the account (`client.apiKeys`).
public struct APIKeys: Sendable {
    let client: SnackBaseClient

    public func list(skip: Int? = nil, limit: Int? = nil) async throws -> Page<APIKey> {
        var query: [(String, String)] = []
        if let skip { query.append(("skip", String(skip))) }
        if let limit { query.append(("limit", String(limit))) }
        return try await client.call("GET", "/api-keys", query: query)
    }

    public func get(_ id: String) async throws -> APIKey { try await client.call("GET", "/api-keys/\(segment(id))") }

    /// The answer's `key` is shown only here.
    public func create(name: String, roles: [String], expiresAt: Date? = nil) async throws -> APIKey {
        var body: [String: JSONValue] = ["name": .string(name), "roles": .array(roles.map(JSONValue.string))]
        if let expiresAt {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            body["expires_at"] = .string(formatter.string(from: expiresAt))
        }
        return try await client.call("POST", "/api-keys", body: JSONValue.object(body))
    }

    /// The key stops working on the very next request.
    public func revoke(_ id: String) async throws { try await client.callVoid("DELETE", "/api-keys/\(segment(id))") }
}

/// The audit log (`client.audit`).
public struct Audit: Sendable {
    let client: SnackBaseClient

    /// `query`: `skip`, `limit`, `actor_id`, `action`, `collection`, `record_id`, `outcome`, `since`, `until`.
    public func list(_ query: [String: String] = [:]) async throws -> Page<JSONValue> {
        try await client.call("GET", "/audit-logs", query: query.keys.sorted().map { ($0, query[$0]!) })
    }
    public func get(_ id: String) async throws -> JSONValue { try await client.call("GET", "/audit-logs/\(segment(id))") }
    /// `{valid, checked, first_broken_id?}`.
    public func verify() async throws -> JSONValue { try await client.call("GET", "/audit-logs/verify") }
    /// The whole log as text, `jsonl` or `csv`.
    public func export(format: String = "jsonl") async throws -> String {
        String(decoding: try await client.send("GET", "/audit-logs/export", query: [("format", format)]), as: UTF8.self)
    }
}

import Foundation

/// The records of one collection, on `/api/v1/records/{collection}`, decoded as `Record`
/// (`JSONValue` for dynamic JSON, or a `Decodable` type of your own).
public struct Records<Record: Decodable & Sendable>: Sendable {
    let client: SnackBaseClient
    public let collection: String

    private var base: String { "/records/\(segment(collection))" }

    /// One page of the records the caller may read (the read rule applies inside the query).
    public func list(_ query: ListQuery = ListQuery()) async throws -> Page<Record> {
        try await client.call("GET", base, query: query.items)
    }

    /// One record; `fields` narrows the answer.
    public func get(_ id: String, fields: [String] = []) async throws -> Record {
        try await client.call("GET", "\(base)/\(segment(id))", query: fields.isEmpty ? [] : [("fields", fields.joined(separator: ","))])
    }

    /// Creates a record; answers the stored record (system fields set by the server).
    public func create(_ data: some Encodable & Sendable) async throws -> Record {
        try await client.call("POST", base, body: data)
    }

    /// A partial update (PATCH).
    public func update(_ id: String, _ data: some Encodable & Sendable) async throws -> Record {
        try await client.call("PATCH", "\(base)/\(segment(id))", body: data)
    }

    /// A full replace of the user fields (PUT).
    public func replace(_ id: String, _ data: some Encodable & Sendable) async throws -> Record {
        try await client.call("PUT", "\(base)/\(segment(id))", body: data)
    }

    public func delete(_ id: String) async throws {
        try await client.callVoid("DELETE", "\(base)/\(segment(id))")
    }
}

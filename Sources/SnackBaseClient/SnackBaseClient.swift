import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A client of one SnackBase server.
///
/// ```swift
/// let client = SnackBaseClient(baseURL: URL(string: "http://127.0.0.1:8090")!)
/// if case .mfaRequired(let challenge) = try await client.auth.login(account: "acme", email: "ann@acme.test", password: password) {
///     try await client.auth.verifyMfa(challenge, code: codeFromTheApp)
/// }
/// let page = try await client.records("posts", as: Post.self).list(ListQuery(filter: #"status == "draft""#))
/// ```
///
/// Tokens are kept in memory and refreshed before they expire and once more after a 401 (the request is
/// then retried once); many concurrent calls share one refresh. With `apiKey` every request carries the
/// key and nothing is refreshed. Every failure is a `SnackBaseClientError`.
public final class SnackBaseClient: Sendable {
    /// The server's address, without `/api/v1`.
    public let baseURL: URL
    let transport: Transport
    let tokens: TokenStore
    let apiKey: String?
    let account: String?

    /// - Parameters:
    ///   - apiKey: an API key (`sb_ak_…`) for servers and scripts: sent on every request, never refreshed.
    ///   - account: slug or id sent as `X-Account` while nobody is signed in (anonymous access).
    ///   - session: the `URLSession` for requests; realtime streams use sessions of their own with its configuration.
    ///   - refreshMargin: refresh this many seconds before the access token expires (at most a fifth of its lifetime).
    public init(baseURL: URL, apiKey: String? = nil, account: String? = nil, session: URLSession = .shared, refreshMargin: TimeInterval = 30) {
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.account = account
        self.transport = Transport(baseURL: baseURL, session: session)
        self.tokens = TokenStore(transport: transport, margin: refreshMargin)
    }

    /// Sign-in, tokens, two-factor enrolment.
    public var auth: Auth { Auth(client: self) }

    /// The records of `collection` as dynamic JSON.
    public func records(_ collection: String) -> Records<JSONValue> { Records(client: self, collection: collection) }

    /// The records of `collection` decoded into your own type (its `CodingKeys` name the API's snake_case fields).
    public func records<Record: Decodable & Sendable>(_ collection: String, as type: Record.Type) -> Records<Record> {
        Records(client: self, collection: collection)
    }

    /// Collection definitions (superadmin writes; anyone signed in reads).
    public var collections: Collections { Collections(client: self) }
    /// Accounts (superadmin only).
    public var accounts: Resource { Resource(client: self, path: "/accounts") }
    /// Users of the caller's account (account admin or superadmin).
    public var users: Users { Users(client: self) }
    /// Roles of the caller's account.
    public var roles: Roles { Roles(client: self) }
    /// Permission documents.
    public var permissions: Permissions { Permissions(client: self) }
    /// API keys of the account.
    public var apiKeys: APIKeys { APIKeys(client: self) }
    /// The audit log.
    public var audit: Audit { Audit(client: self) }

    /// Explains an access decision without taking it (`POST /permissions/check`):
    /// `{allowed, status, reason, role, permission_id, rule, visible_fields, writable_fields}`.
    public func explain(userID: String, collection: String, operation: String, recordID: String? = nil,
                        data: JSONValue? = nil) async throws -> JSONValue {
        var question: [String: JSONValue] = ["user_id": .string(userID), "collection": .string(collection), "operation": .string(operation)]
        if let recordID { question["record_id"] = .string(recordID) }
        if let data { question["data"] = data }
        return try await call("POST", "/permissions/check", body: JSONValue.object(question))
    }

    /// `GET /health`.
    public func health() async throws -> JSONValue {
        try decode(JSONValue.self, try await transport.send("GET", "/health"))
    }

    // MARK: - Requests

    /// The headers that say who calls, and the user token among them (to tell a stale one after a 401).
    func identity() async throws -> (headers: [String: String], token: String?) {
        if let apiKey { return (["Authorization": "Bearer \(apiKey)"], nil) }
        if let token = try await tokens.bearer() { return (["Authorization": "Bearer \(token)"], token) }
        if let account { return (["X-Account": account], nil) }
        return ([:], nil)
    }

    /// An API call below `/api/v1`. A 401 with a user token refreshes once and retries once.
    func send(_ method: String, _ path: String, query: [(String, String)] = [], body: Data? = nil, authenticated: Bool = true) async throws -> Data {
        let fullPath = "/api/v1" + path
        guard authenticated else { return try await transport.send(method, fullPath, query: query, body: body) }
        let (headers, token) = try await identity()
        do {
            return try await transport.send(method, fullPath, query: query, body: body, headers: headers)
        } catch let refused as SnackBaseClientError where refused.status == 401 && token != nil {
            // A refused refresh throws its own error (401: the session is over, and forgotten).
            try await tokens.refresh(replacing: token)
            let (again, retried) = try await identity()
            guard retried != nil else { throw refused }
            return try await transport.send(method, fullPath, query: query, body: body, headers: again)
        }
    }

    func call<Answer: Decodable>(_ method: String, _ path: String, query: [(String, String)] = [], body: (any Encodable & Sendable)? = nil,
                                 authenticated: Bool = true, as type: Answer.Type = Answer.self) async throws -> Answer {
        let data = try await send(method, path, query: query, body: try body.map(encode), authenticated: authenticated)
        return try decode(Answer.self, data)
    }

    func callVoid(_ method: String, _ path: String, query: [(String, String)] = [], body: (any Encodable & Sendable)? = nil) async throws {
        _ = try await send(method, path, query: query, body: try body.map(encode))
    }

    func encode(_ value: any Encodable) throws -> Data {
        do { return try SnackBaseCoding.encoder().encode(value) } catch {
            throw SnackBaseClientError(status: 0, message: "Cannot encode the request body: \(error)")
        }
    }

    func decode<T: Decodable>(_ type: T.Type, _ data: Data) throws -> T {
        do { return try SnackBaseCoding.decoder().decode(T.self, from: data) } catch {
            throw SnackBaseClientError(status: 0, message: "Cannot decode the answer as \(T.self): \(error)")
        }
    }
}

/// A path segment, percent-encoded (ids and names are plain, but a caller may pass anything).
func segment(_ value: String) -> String { Transport.encode(value).replacingOccurrences(of: "+", with: "%20") }

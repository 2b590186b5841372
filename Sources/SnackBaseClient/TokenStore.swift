import Foundation

/// The tokens of a signed-in session, as an app may keep them between launches (in the Keychain, say:
/// the client itself keeps them in memory only).
public struct SessionTokens: Sendable, Hashable, Codable {
    public var accessToken: String
    public var refreshToken: String

    public init(accessToken: String, refreshToken: String) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
    }
}

/// The session's tokens and the one refresh in flight.
///
/// Every request asks `bearer()`: shortly before the access token expires (read from the JWT's `exp`)
/// it refreshes first. Many callers at once share one refresh request: a second refresh with the same
/// refresh token would be token reuse, and the server would revoke the whole session.
actor TokenStore {
    private let transport: Transport
    private var tokens: SessionTokens?
    private var expiresAt: Date?
    private var lifetime: TimeInterval?
    private var inFlight: Task<Void, any Error>?
    private var listeners: [UUID: @Sendable (SessionTokens?) -> Void] = [:]
    /// Refresh requests sent, for the tests of "one refresh for many callers".
    private(set) var refreshesSent = 0
    /// Seconds before expiry to refresh (at most a fifth of the token's lifetime).
    private let margin: TimeInterval

    init(transport: Transport, margin: TimeInterval) {
        self.transport = transport
        self.margin = margin
    }

    var current: SessionTokens? { tokens }

    func set(_ new: SessionTokens?, expiresIn: Int? = nil) {
        tokens = new
        if let new {
            let claims = JWTTimes(new.accessToken)
            expiresAt = claims?.exp ?? expiresIn.map { Date().addingTimeInterval(TimeInterval($0)) }
            lifetime = claims.flatMap { claims in claims.iat.map { claims.exp.timeIntervalSince($0) } } ?? expiresIn.map(TimeInterval.init)
        } else {
            expiresAt = nil
            lifetime = nil
        }
        for listener in listeners.values { listener(new) }
    }

    func addListener(_ listener: @escaping @Sendable (SessionTokens?) -> Void) -> UUID {
        let id = UUID()
        listeners[id] = listener
        return id
    }

    func removeListener(_ id: UUID) { listeners[id] = nil }

    /// The access token to send, refreshed first when it is about to expire; nil when signed out.
    func bearer() async throws -> String? {
        if let inFlight { try await inFlight.value }
        guard let tokens else { return nil }
        if let expiresAt {
            let ahead = min(margin, (lifetime ?? 3600) / 5)
            if Date() >= expiresAt.addingTimeInterval(-ahead) {
                try await refresh(replacing: tokens.accessToken)
            }
        }
        return self.tokens?.accessToken
    }

    /// Refreshes now, unless the session moved on since `replacing` was handed out (someone else
    /// refreshed meanwhile: then the new token is already here). Concurrent callers share one request.
    func refresh(replacing stale: String? = nil) async throws {
        if let inFlight { return try await inFlight.value }
        guard let tokens else { throw SnackBaseClientError.notSignedIn }
        if let stale, stale != tokens.accessToken { return }
        let refreshToken = tokens.refreshToken
        refreshesSent += 1
        let task = Task { [transport] in
            do {
                let body = try SnackBaseCoding.encoder().encode(["refresh_token": refreshToken])
                let data = try await transport.send("POST", "/api/v1/auth/refresh", body: body)
                let session = try SnackBaseCoding.decoder().decode(Session.self, from: data)
                self.finished(with: session)
            } catch {
                self.failed(error)
                throw error
            }
        }
        inFlight = task
        try await task.value
    }

    private func finished(with session: Session) {
        inFlight = nil
        set(SessionTokens(accessToken: session.token, refreshToken: session.refreshToken), expiresIn: session.expiresIn)
    }

    private func failed(_ error: any Error) {
        inFlight = nil
        // A refused refresh token: the session is over (revoked, expired, reused).
        if (error as? SnackBaseClientError)?.status == 401 { set(nil) }
    }
}

/// `exp` and `iat` of a JWT. The signature is not checked (the server does that): this only schedules refreshes.
struct JWTTimes {
    let exp: Date
    let iat: Date?

    init?(_ token: String) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        var base64 = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64),
              let claims = try? SnackBaseCoding.decoder().decode(JSONValue.self, from: data),
              let exp = claims["exp"]?.doubleValue
        else { return nil }
        self.exp = Date(timeIntervalSince1970: exp)
        self.iat = claims["iat"]?.doubleValue.map { Date(timeIntervalSince1970: $0) }
    }
}

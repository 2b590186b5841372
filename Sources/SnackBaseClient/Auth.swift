import Foundation

/// Sign-in and the session (`client.auth`).
public struct Auth: Sendable {
    let client: SnackBaseClient

    /// Signs in (`account` is a slug or id). With two-factor sign-in on, the answer is a challenge for `verifyMfa`.
    @discardableResult
    public func login(account: String, email: String, password: String) async throws -> LoginResult {
        let body: JSONValue = ["account": .string(account), "email": .string(email), "password": .string(password)]
        let answer: JSONValue = try await client.call("POST", "/auth/login", body: body, authenticated: false)
        if answer["mfa_required"]?.boolValue == true, let token = answer["mfa_token"]?.stringValue {
            return .mfaRequired(MfaChallenge(mfaToken: token, expiresIn: answer["expires_in"]?.intValue ?? 300))
        }
        return .signedIn(try await keep(client.decode(Session.self, client.encode(answer))))
    }

    /// The second step of a two-factor sign-in, with the code of the authenticator app.
    @discardableResult
    public func verifyMfa(_ challenge: MfaChallenge, code: String) async throws -> Session {
        try await keep(client.call("POST", "/auth/mfa/verify", body: ["mfa_token": challenge.mfaToken, "code": code] as [String: String], authenticated: false))
    }

    /// The second step with one of the single-use recovery codes instead.
    @discardableResult
    public func verifyMfa(_ challenge: MfaChallenge, recoveryCode: String) async throws -> Session {
        try await keep(client.call("POST", "/auth/mfa/verify", body: ["mfa_token": challenge.mfaToken, "recovery_code": recoveryCode] as [String: String],
                                   authenticated: false))
    }

    /// Creates an account and its first user (an admin), and signs in as that user.
    @discardableResult
    public func register(accountName: String, accountSlug: String? = nil, email: String, password: String) async throws -> Session {
        var body = ["account_name": accountName, "email": email, "password": password]
        if let accountSlug { body["account_slug"] = accountSlug }
        return try await keep(client.call("POST", "/auth/register", body: body, authenticated: false))
    }

    /// Rotates the tokens now (concurrent calls share one request).
    public func refresh() async throws {
        try await client.tokens.refresh()
    }

    /// Revokes the session on the server, then forgets the tokens (even when the server call fails).
    public func logout() async throws {
        guard client.apiKey == nil, let tokens = await client.tokens.current else { return }
        do {
            try await client.callVoid("POST", "/auth/logout", body: ["refresh_token": tokens.refreshToken])
        } catch {
            await client.tokens.set(nil)
            throw error
        }
        await client.tokens.set(nil)
    }

    /// Who the caller is.
    public func me() async throws -> Me { try await client.call("GET", "/auth/me") }

    /// Whether a user session is held (the tokens may still be refused).
    public var isSignedIn: Bool { get async { await client.tokens.current != nil } }

    /// The current tokens, to keep between launches (in the Keychain; never in plain files).
    public var tokens: SessionTokens? { get async { await client.tokens.current } }

    /// Takes tokens kept from an earlier launch or obtained elsewhere; nil signs out locally.
    public func setTokens(_ tokens: SessionTokens?) async { await client.tokens.set(tokens) }

    /// Called with the new tokens after each sign-in and refresh, and with nil after a sign-out or a
    /// refused refresh. Returns an id for `removeObserver`.
    @discardableResult
    public func observe(_ observer: @escaping @Sendable (SessionTokens?) -> Void) async -> UUID {
        await client.tokens.addListener(observer)
    }

    public func removeObserver(_ id: UUID) async { await client.tokens.removeListener(id) }

    /// Starts two-factor enrolment.
    public func enrollMfa() async throws -> MfaEnrollment { try await client.call("POST", "/auth/mfa/totp") }

    /// Turns two-factor sign-in on with a first code.
    public func confirmMfa(code: String) async throws { try await client.callVoid("POST", "/auth/mfa/totp/confirm", body: ["code": code]) }

    /// Turns two-factor sign-in off.
    public func disableMfa(code: String) async throws { try await client.callVoid("DELETE", "/auth/mfa/totp", body: ["code": code]) }

    /// Changes the signed-in user's own password (`POST /auth/password`). A wrong current password is a
    /// 422 on `current_password`, a weak new one a 422 on `new_password`; the user's other sign-ins end,
    /// this client's stays.
    public func changePassword(current: String, new: String) async throws {
        try await client.callVoid("POST", "/auth/password", body: ["current_password": current, "new_password": new])
    }

    private func keep(_ session: Session) async throws -> Session {
        await client.tokens.set(SessionTokens(accessToken: session.token, refreshToken: session.refreshToken), expiresIn: session.expiresIn)
        return session
    }
}

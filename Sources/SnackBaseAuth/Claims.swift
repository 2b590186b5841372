import JWTKit

/// The claims of SnackBase tokens: `sub, account_id, type, jti, iat, exp, iss`, plus `fam`,
/// the refresh-token family (one sign-in) the token belongs to, so that logout and reuse
/// detection can revoke every token of a sign-in at once.
public struct Claims: JWTPayload, Equatable {
    public enum Kind: String, Codable, Sendable {
        case access, refresh
    }

    public var subject: String
    public var accountID: String
    public var type: Kind
    public var id: String
    public var issuedAt: Int
    public var expiresAt: Int
    public var issuer: String
    public var family: String

    public init(subject: String, accountID: String, type: Kind, id: String, issuedAt: Int, expiresAt: Int, issuer: String, family: String) {
        self.subject = subject
        self.accountID = accountID
        self.type = type
        self.id = id
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.issuer = issuer
        self.family = family
    }

    enum CodingKeys: String, CodingKey {
        case subject = "sub", accountID = "account_id", type, id = "jti", issuedAt = "iat", expiresAt = "exp", issuer = "iss", family = "fam"
    }

    /// Signature and algorithm are checked by ``TokenService``; the time and type checks live there too,
    /// because they need the configured leeway and the expected kind.
    public func verify(using algorithm: some JWTAlgorithm) async throws {}
}

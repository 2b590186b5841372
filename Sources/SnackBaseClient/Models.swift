import Foundation

/// The answer of login, register, refresh and the second step of a two-factor sign-in.
public struct Session: Sendable, Decodable {
    public let token: String
    public let refreshToken: String
    /// Seconds the access token lives.
    public let expiresIn: Int
    /// `{id, slug, name, …}` (login, register).
    public let account: JSONValue?
    /// `{id, email, roles, …}` (login, register).
    public let user: JSONValue?

    enum CodingKeys: String, CodingKey {
        case token, account, user
        case refreshToken = "refresh_token"
        case expiresIn = "expires_in"
    }
}

/// What a login gives: a session, or the challenge of a two-factor sign-in (call `auth.verifyMfa` next).
public enum LoginResult: Sendable {
    case signedIn(Session)
    case mfaRequired(MfaChallenge)

    /// The session, nil while a second step is due.
    public var session: Session? { if case .signedIn(let session) = self { return session }; return nil }
}

/// The first step of a two-factor sign-in: no tokens yet.
public struct MfaChallenge: Sendable, Hashable {
    public let mfaToken: String
    /// Seconds the challenge stays valid.
    public let expiresIn: Int
}

/// The start of a two-factor enrolment (`POST /auth/mfa/totp`): show `otpauthURL` as a QR code and keep the
/// recovery codes; `auth.confirmMfa(code:)` with a first code turns it on.
public struct MfaEnrollment: Sendable, Decodable {
    /// The shared secret in base32.
    public let secret: String
    public let otpauthURL: String
    public let recoveryCodes: [String]

    enum CodingKeys: String, CodingKey {
        case secret
        case otpauthURL = "otpauth_url"
        case recoveryCodes = "recovery_codes"
    }
}

/// `GET /auth/me`.
public struct Me: Sendable, Decodable, Hashable {
    public let userID: String
    public let accountID: String
    /// nil for an API key.
    public let email: String?
    public let roles: [String]
    public let isSuperadmin: Bool
    public let isAPIKey: Bool

    enum CodingKeys: String, CodingKey {
        case email, roles
        case userID = "user_id"
        case accountID = "account_id"
        case isSuperadmin = "is_superadmin"
        case isAPIKey = "api_key"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        userID = try container.decode(String.self, forKey: .userID)
        accountID = try container.decode(String.self, forKey: .accountID)
        email = try container.decodeIfPresent(String.self, forKey: .email)
        roles = try container.decodeIfPresent([String].self, forKey: .roles) ?? []
        isSuperadmin = try container.decodeIfPresent(Bool.self, forKey: .isSuperadmin) ?? false
        isAPIKey = try container.decodeIfPresent(Bool.self, forKey: .isAPIKey) ?? false
    }
}

/// One page of a list: `{items, total, skip, limit}`.
public struct Page<Item: Decodable & Sendable>: Sendable, Decodable {
    public let items: [Item]
    /// How many match, over every page.
    public let total: Int
    public let skip: Int
    public let limit: Int
}

/// The query of a record list.
///
/// ```swift
/// ListQuery(filter: #"status == "draft""#, sort: ["-created_at"], fields: ["id", "title"], limit: 20)
/// ```
public struct ListQuery: Sendable, Hashable {
    /// A rule-language expression over the record's fields (rules.md); sent form-encoded.
    public var filter: String?
    /// Field names, `-` first for descending.
    public var sort: [String]
    /// The fields to return (default: every field the caller may read).
    public var fields: [String]
    public var skip: Int?
    /// 1–100 (the server's default is 30).
    public var limit: Int?
    /// `{field}=value` equality shortcuts.
    public var equals: [String: String]

    public init(filter: String? = nil, sort: [String] = [], fields: [String] = [], skip: Int? = nil, limit: Int? = nil,
                equals: [String: String] = [:]) {
        self.filter = filter
        self.sort = sort
        self.fields = fields
        self.skip = skip
        self.limit = limit
        self.equals = equals
    }

    var items: [(String, String)] {
        var items: [(String, String)] = []
        if let filter { items.append(("filter", filter)) }
        if !sort.isEmpty { items.append(("sort", sort.joined(separator: ","))) }
        if !fields.isEmpty { items.append(("fields", fields.joined(separator: ","))) }
        if let skip { items.append(("skip", String(skip))) }
        if let limit { items.append(("limit", String(limit))) }
        for key in equals.keys.sorted() { items.append((key, equals[key]!)) }
        return items
    }
}

/// Who is calling: an authenticated user of an account, or an anonymous caller that named an
/// account. Roles are looked up on every request (never trusted from the token).
public struct Principal: Sendable, Equatable {
    public let userID: String?
    public let email: String?
    public let accountID: AccountID
    public let roles: [String]
    /// The refresh-token family the access token belongs to (logout revokes it).
    public let sessionFamily: String?
    /// The caller is an API key (identity.md): `userID` is the key's id, `email` is nil, and it is
    /// never a superadmin, even in the system account.
    public let isAPIKey: Bool
    /// A user who holds a role with `require_mfa` and has not turned two-factor sign-in on: refused
    /// everywhere but `/auth/*` until they enrol.
    public let mustEnrolTwoFactor: Bool

    public init(userID: String?, email: String?, accountID: AccountID, roles: [String], sessionFamily: String? = nil,
                isAPIKey: Bool = false, mustEnrolTwoFactor: Bool = false) {
        self.userID = userID
        self.email = email
        self.accountID = accountID
        self.roles = roles
        self.sessionFamily = sessionFamily
        self.isAPIKey = isAPIKey
        self.mustEnrolTwoFactor = mustEnrolTwoFactor
    }

    /// Any user of the system account is a superadmin; an anonymous caller or an API key never is.
    public var isSuperadmin: Bool { accountID.isSystem && userID != nil && !isAPIKey }
    public var isAnonymous: Bool { userID == nil }
    public func hasRole(_ name: String) -> Bool { roles.contains(name) }

    /// The account scope every tenant query of this caller runs in.
    public var scope: AccountScope { AccountScope(accountID) }
}

/// The tenant a query runs in. Repositories take one of these for every tenant table; it is
/// made from an authenticated ``Principal`` (``Principal/scope``) or, on the superadmin path,
/// explicitly by the code that checked the caller is a superadmin.
public struct AccountScope: Sendable, Hashable {
    public let accountID: AccountID
    package init(_ accountID: AccountID) { self.accountID = accountID }
}

/// The four operations a permission grants.
public enum Operation: String, Sendable, CaseIterable, Codable {
    case create, read, update, delete
}

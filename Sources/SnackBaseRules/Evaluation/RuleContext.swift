/// Who is asking. Built by the server from the verified token; an anonymous caller has no user id,
/// no email, no account and no roles.
public struct RuleCaller: Sendable, Equatable {
    public var userID: String?
    public var email: String?
    public var accountID: String?
    public var roles: [String]
    /// The caller belongs to the system account.
    public var isSuperadmin: Bool

    public init(userID: String? = nil, email: String? = nil, accountID: String? = nil, roles: [String] = [], isSuperadmin: Bool = false) {
        self.userID = userID
        self.email = email
        self.accountID = accountID
        self.roles = roles
        self.isSuperadmin = isSuperadmin
    }

    public static let anonymous = RuleCaller()
}

/// Everything a rule may know about the request besides the record: `user.*` and `context.*`.
public struct RuleContext: Sendable, Equatable {
    public var caller: RuleCaller
    /// `context.account_id`: the account the request acts in.
    public var accountID: String
    /// `context.operation`: `create`, `read`, `update`, `delete` (or what the server names it).
    public var operation: String
    /// `context.now`: the request time in canonical form (``RuleDateTime/canonical(_:)``).
    public var now: String

    public init(caller: RuleCaller, accountID: String, operation: String, now: String) {
        self.caller = caller
        self.accountID = accountID
        self.operation = operation
        self.now = now
    }
}

/// A tenant: the customer of a SaaS builder. Every tenant row belongs to exactly one.
public struct Account: Sendable, Equatable {
    public let id: AccountID
    public var slug: String
    public var name: String
    public let createdAt: String
    public var updatedAt: String

    public init(id: AccountID, slug: String, name: String, createdAt: String, updatedAt: String) {
        self.id = id
        self.slug = slug
        self.name = name
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A user of one account. `roles` are role names of that same account.
public struct User: Sendable, Equatable {
    public let id: String
    public let accountID: AccountID
    public var email: String
    public var passwordHash: String
    public var isActive: Bool
    public var roles: [String]
    public let createdAt: String
    public var updatedAt: String
    /// Whether the user followed a verification link sent to `email` (or accepted an invitation
    /// sent there); a changed e-mail is unverified again.
    public var emailVerified: Bool
    /// Two-factor sign-in is on (identity.md): a login then needs a code as well.
    public var mfaEnabled: Bool

    public init(
        id: String, accountID: AccountID, email: String, passwordHash: String, isActive: Bool,
        roles: [String], createdAt: String, updatedAt: String, emailVerified: Bool = false, mfaEnabled: Bool = false
    ) {
        self.emailVerified = emailVerified
        self.mfaEnabled = mfaEnabled
        self.id = id
        self.accountID = accountID
        self.email = email
        self.passwordHash = passwordHash
        self.isActive = isActive
        self.roles = roles
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A named set of permissions inside one account.
public struct Role: Sendable, Equatable {
    public let id: String
    public let accountID: AccountID
    public var name: String
    public var description: String
    public let createdAt: String
    public var updatedAt: String
    /// Its holders must have two-factor sign-in on (identity.md).
    public var requireMFA: Bool

    public init(id: String, accountID: AccountID, name: String, description: String, createdAt: String, updatedAt: String, requireMFA: Bool = false) {
        self.requireMFA = requireMFA
        self.id = id
        self.accountID = accountID
        self.name = name
        self.description = description
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The roles every new account starts with; `anonymous` serves requests without a token.
    public static let defaultNames = ["admin", "editor", "viewer", "anonymous"]
    public static let admin = "admin"
    public static let anonymous = "anonymous"
}

/// Per-field rules of a permission: who may read and who may write one field.
public struct FieldRule: Sendable, Equatable, Codable {
    public var read: String?
    public var write: String?
    public init(read: String? = nil, write: String? = nil) {
        self.read = read
        self.write = write
    }
}

/// What one role may do to one collection (or to every collection, `*`): the seed's document.
public struct Permission: Sendable, Equatable {
    public static let wildcard = "*"

    public let id: String
    public let accountID: AccountID
    public var roleID: String
    public var collection: String
    public var create: Bool
    public var read: Bool
    public var update: Bool
    public var delete: Bool
    /// `nil`: every field. `[]`: `id` only.
    public var fields: [String]?
    public var excludedFields: [String]
    /// Operation name → rule source.
    public var rules: [String: String]
    /// Field name → its read/write rules.
    public var fieldRules: [String: FieldRule]
    public let createdAt: String
    public var updatedAt: String

    public init(
        id: String, accountID: AccountID, roleID: String, collection: String,
        create: Bool, read: Bool, update: Bool, delete: Bool,
        fields: [String]? = nil, excludedFields: [String] = [], rules: [String: String] = [:],
        fieldRules: [String: FieldRule] = [:], createdAt: String, updatedAt: String
    ) {
        self.id = id
        self.accountID = accountID
        self.roleID = roleID
        self.collection = collection
        self.create = create
        self.read = read
        self.update = update
        self.delete = delete
        self.fields = fields
        self.excludedFields = excludedFields
        self.rules = rules
        self.fieldRules = fieldRules
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public func allows(_ operation: Operation) -> Bool {
        switch operation {
        case .create: create
        case .read: read
        case .update: update
        case .delete: delete
        }
    }
}

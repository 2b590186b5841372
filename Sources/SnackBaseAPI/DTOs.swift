import SnackBaseCore

/// Wire shapes of accounts and users (snake_case on the wire via the encoder).
struct AccountDTO: Encodable, Sendable {
    let id: String
    let slug: String
    let name: String
    let createdAt: String
    let updatedAt: String

    init(_ account: Account) {
        id = account.id.rawValue
        slug = account.slug
        name = account.name
        createdAt = account.createdAt
        updatedAt = account.updatedAt
    }
}

/// A user as the API shows it: never its password hash.
struct UserDTO: Encodable, Sendable {
    let id: String
    let accountId: String
    let email: String
    let roles: [String]
    let isActive: Bool
    let emailVerified: Bool
    let mfaEnabled: Bool
    let createdAt: String
    let updatedAt: String

    init(_ user: User) {
        emailVerified = user.emailVerified
        mfaEnabled = user.mfaEnabled
        id = user.id
        accountId = user.accountID.rawValue
        email = user.email
        roles = user.roles
        isActive = user.isActive
        createdAt = user.createdAt
        updatedAt = user.updatedAt
    }
}

struct TokenPairDTO: Encodable, Sendable {
    let token: String
    let refreshToken: String
    let expiresIn: Int
}

/// An optional answer field written as `null` when absent instead of left out, for the keys the
/// OpenAPI document requires (nullable): the synthesized `Encodable` skips a nil optional.
@propertyWrapper
struct NullWhenAbsent<Value: Encodable & Sendable>: Encodable, Sendable {
    var wrappedValue: Value?

    init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wrappedValue)
    }
}

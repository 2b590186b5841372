import SnackBaseCore
import SnackBaseStore

/// Turns a verified token's subject into the caller as it is *now*: the user must exist in the
/// token's account and be active, the sign-in must not be revoked, and roles are read fresh.
///
/// "Now" means as of the last write: where every write passes through this process (SQLite), a
/// sign-in found valid is remembered until the next write transaction of any kind ends (a sign-out,
/// a deactivation or a role change is such a write, and it ends before its own answer is sent).
/// A refused sign-in is never remembered. PostgreSQL, shared with other processes, reads every time.
public struct IdentityResolver: Sendable {
    package struct Key: Hashable, Sendable {
        package let accountID: AccountID
        package let userID: String
        package let family: String
    }

    package let database: any Database
    package let remembered: RememberedUntilWrite<Key, IdentityRepository.Identity?>?

    package init(database: any Database) {
        self.database = database
        self.remembered = database.writeGeneration.map { RememberedUntilWrite(generation: $0, limit: 4096) }
    }

    /// An anonymous caller of the account named by `X-Account` (slug or id), acting with its
    /// `anonymous` role; nil when no such account exists.
    package func anonymous(in account: String) async throws -> Principal? {
        guard let found = try await database.read({ db in try await AccountRepository.find(idOrSlug: account, on: db) }) else { return nil }
        return Principal(userID: nil, email: nil, accountID: found.id, roles: [Role.anonymous])
    }

    public func principal(userID: String, accountID: AccountID, family: String) async throws -> Principal? {
        let scope = AccountScope(accountID)
        let read = {
            try await database.read { db in try await IdentityRepository.current(userID: userID, family: family, in: scope, on: db) }
        }
        let found = if let remembered {
            try await remembered.value(for: Key(accountID: accountID, userID: userID, family: family), keep: { $0 != nil }, read: read)
        } else {
            try await read()
        }
        guard let identity = found else { return nil }
        return Principal(userID: userID, email: identity.email, accountID: accountID, roles: identity.roles, sessionFamily: family)
    }
}

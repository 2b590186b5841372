import Foundation
import Synchronization
import SnackBaseAuth
import SnackBaseCore
import SnackBaseStore

/// Turns a presented credential — an access token or an API key — into the caller as it is *now*:
/// ``resolve(_:from:)`` is the one function every transport calls (the HTTP middleware, a realtime
/// stream), so the rules below hold wherever a caller comes in.
///
/// - An access token: its signature and claims check, the user exists in the token's account and is
///   active, the sign-in is not revoked, and roles are read fresh.
/// - An API key: found by its digest; it must be neither revoked nor expired; its roles are read
///   fresh. An unknown key counts as a failed sign-in of the caller's address (429 past the login
///   limit per address). `last_used_at` is written at most once a minute per key.
///
/// "Now" means as of the last write: where every write passes through this process (SQLite), what
/// was found valid is remembered until the next write transaction of any kind ends (a sign-out, a
/// deactivation, a revoked key or a role change is such a write, and it ends before its own answer
/// is sent); an API key's expiry is checked on every use regardless. A refusal is never remembered.
/// On PostgreSQL the other processes' writes are told through the change listener, and nothing is
/// remembered longer than 500 ms (``PostgresStore/writeGeneration``, docs/scaling.md).
public struct IdentityResolver: Sendable {
    package struct Key: Hashable, Sendable {
        package let accountID: AccountID
        package let userID: String
        package let family: String
    }

    /// What a request presents.
    public enum Credential: Sendable {
        /// A JWT access token.
        case accessToken(String)
        /// `sb_ak_…`.
        case apiKey(String)

        /// A bearer value: an API key when it starts with `sb_ak_`, else an access token.
        public static func bearer(_ value: String) -> Credential {
            value.hasPrefix(APIKeySecret.keyPrefix) ? .apiKey(value) : .accessToken(value)
        }
    }

    /// The answer of ``resolve(_:from:)``.
    public enum Resolution: Sendable {
        case principal(Principal)
        /// Refused with `error` (401, or 429 past the limit for unknown keys). `signIn`: the account
        /// and user of a token whose signature checked but whose sign-in was refused, where the
        /// denial is audited.
        case refused(SnackBaseError, signIn: (accountID: AccountID, userID: String)?)
    }

    package let database: any Database
    package let remembered: RememberedUntilWrite<Key, IdentityRepository.Identity?>?
    package let rememberedKeys: RememberedUntilWrite<String, APIKeyRepository.Key?>?
    /// When this process last wrote each key's `last_used_at`, so the steady state of a busy key
    /// formats no timestamp and asks nothing of the database.
    let touched = TouchLedger()
    let tokens: TokenService?
    let loginLimiter: LoginRateLimiter?
    let metrics: AppMetrics?

    package init(database: any Database, tokens: TokenService? = nil, loginLimiter: LoginRateLimiter? = nil, metrics: AppMetrics? = nil) {
        self.database = database
        // The requests in flight for one caller after a write (every 500 ms on PostgreSQL) read it once:
        // a caller waits for the read before its request holds any connection.
        self.remembered = database.writeGeneration.map { RememberedUntilWrite(generation: $0, limit: 4096, sharesReads: true) }
        self.rememberedKeys = database.writeGeneration.map { RememberedUntilWrite(generation: $0, limit: 4096, sharesReads: true) }
        self.tokens = tokens
        self.loginLimiter = loginLimiter
        self.metrics = metrics
    }

    /// The caller `credential` proves, presented from `address` (the client's IP, for the limits).
    public func resolve(_ credential: Credential, from address: String?) async -> Resolution {
        switch credential {
        case .accessToken(let token):
            guard let tokens else { return .refused(.internalError, signIn: nil) }
            let claims: Claims
            do {
                claims = try await tokens.verify(token, expecting: .access)
            } catch {
                return .refused(error, signIn: nil)
            }
            guard let accountID = AccountID(claims.accountID) else { return .refused(.unauthorized("Invalid token"), signIn: nil) }
            let signIn = (accountID: accountID, userID: claims.subject)
            do {
                guard let principal = try await principal(userID: claims.subject, accountID: accountID, family: claims.family) else {
                    return .refused(.unauthorized("Token revoked or user inactive"), signIn: signIn)
                }
                return .principal(principal)
            } catch {
                return .refused(error is DatabaseUnavailable ? .databaseUnavailable : .internalError, signIn: signIn)
            }
        case .apiKey(let key):
            do {
                return try await apiKey(key, from: address)
            } catch {
                return .refused(error is DatabaseUnavailable ? .databaseUnavailable : .internalError, signIn: nil)
            }
        }
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
        return Principal(userID: userID, email: identity.email, accountID: accountID, roles: identity.roles, sessionFamily: family,
                         mustEnrolTwoFactor: identity.mustEnrolTwoFactor)
    }

    /// `last_used_at` is written when it is older than this.
    static let lastUsedResolution: TimeInterval = 60

    private func apiKey(_ key: String, from address: String?) async throws -> Resolution {
        // The digest is what is looked up and remembered; the key itself goes nowhere.
        let digest = APIKeySecret.looksLikeKey(key) ? APIKeySecret.digest(of: key) : nil
        let read = { () async throws -> APIKeyRepository.Key? in
            guard let digest else { return nil }
            return try await database.read { db in
                guard let account = try await RowSecurity.accountOfAPIKey(digest: digest, on: db) else { return nil }
                return try await APIKeyRepository.find(digest: digest, in: AccountScope(account), on: db)
            }
        }
        let found = if let rememberedKeys, let digest {
            try await rememberedKeys.value(for: digest, keep: { $0 != nil }, read: read)
        } else {
            try await read()
        }
        guard let found else { return await unknownKey(digest: digest ?? APIKeySecret.digest(of: key), from: address) }
        let now = Date()
        guard found.revokedAt == nil else { return .refused(.unauthorized("API key revoked"), signIn: nil) }
        if let expiresAt = found.expiresAt, expiresAt <= Timestamp.format(now) { return .refused(.unauthorized("API key expired"), signIn: nil) }
        if touched.isDue(found.id, now: now, every: Self.lastUsedResolution) {
            let threshold = Timestamp.format(now.addingTimeInterval(-Self.lastUsedResolution))
            if found.lastUsedAt.map({ $0 < threshold }) ?? true {
                let scope = AccountScope(found.accountID)
                try await database.transaction { db in
                    try await APIKeyRepository.touch(id: found.id, at: Timestamp.format(now), unlessSince: threshold, in: scope, on: db)
                }
            }
        }
        return .principal(Principal(userID: found.id, email: nil, accountID: found.accountID, roles: found.roles, isAPIKey: true))
    }

    /// An unknown key is a failed sign-in of the address: 401, and 429 once the address is over the
    /// login limit. Each key is its own identity, so only the address limit binds across guesses.
    private func unknownKey(digest: String, from address: String?) async -> Resolution {
        guard let loginLimiter else { return .refused(.unauthorized("Invalid API key"), signIn: nil) }
        switch await loginLimiter.begin(identity: "api_key|" + digest, address: address) {
        case .refused(let wait):
            metrics?.rateLimitHit()
            return .refused(.tooManyRequests(retryAfter: wait), signIn: nil)
        case .admitted(let attempt):
            await loginLimiter.finish(attempt, .failed)
            metrics?.loginFailed()
            return .refused(.unauthorized("Invalid API key"), signIn: nil)
        }
    }
}

/// When this process last wrote (or found fresh) each key's `last_used_at`.
final class TouchLedger: Sendable {
    private let times = Mutex<[String: Date]>([:])

    /// True at most once per `every` per key (and then remembered as done); the database's
    /// conditional write keeps it at most once a minute across processes too.
    func isDue(_ keyID: String, now: Date, every interval: TimeInterval) -> Bool {
        times.withLock { times in
            if let last = times[keyID], now.timeIntervalSince(last) < interval { return false }
            if times.count > 100_000 { times.removeAll() }
            times[keyID] = now
            return true
        }
    }
}

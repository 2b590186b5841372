import SQLKit
import SnackBaseCore

/// Two-factor sign-in of the users of one account: the sealed TOTP seed, whether it is on, the last
/// time step used, the recovery-code digests and the `mfa_token` challenges (by digest). Every
/// "once only" rule is a conditional write, so two processes on one PostgreSQL cannot both win.
public enum TwoFactorRepository {
    public struct State: Sendable, Equatable {
        /// `SecretSealer`'s string, nil before enrolment.
        public let sealedSeed: String?
        public let enabled: Bool
        public let lastStep: Int64?
    }

    public static func state(userID: String, in scope: AccountScope, on db: any SQLDatabase) async throws -> State? {
        try await RowSecurity.enter(scope, on: db)
        guard let row = try await db.raw("""
            SELECT totp_seed, mfa_enabled, totp_last_step FROM users WHERE account_id = \(bind: scope.accountID.rawValue) AND id = \(bind: userID)
            """).first() else { return nil }
        return State(
            sealedSeed: try row.decode(column: "totp_seed", as: String?.self),
            enabled: try row.decode(column: "mfa_enabled", as: Bool.self),
            lastStep: try row.decode(column: "totp_last_step", as: Int64?.self)
        )
    }

    /// A new (not yet confirmed) seed and recovery codes, replacing any unconfirmed ones. False when
    /// two-factor sign-in is already on (it must be turned off first).
    public static func startEnrolment(userID: String, sealedSeed: String, recoveryDigests: [String], in scope: AccountScope, on db: any SQLDatabase) async throws -> Bool {
        try await RowSecurity.enter(scope, on: db)
        let account = scope.accountID.rawValue
        let written = try await db.raw("""
            UPDATE users SET totp_seed = \(bind: sealedSeed), totp_last_step = NULL
            WHERE account_id = \(bind: account) AND id = \(bind: userID) AND mfa_enabled = \(bind: false) RETURNING id
            """).all()
        guard !written.isEmpty else { return false }
        try await replaceRecoveryCodes(userID: userID, digests: recoveryDigests, in: scope, on: db)
        return true
    }

    /// Turns two-factor sign-in on with the step of the confirming code; false when it was already on
    /// or there is no seed.
    public static func enable(userID: String, step: Int64, in scope: AccountScope, on db: any SQLDatabase) async throws -> Bool {
        try await RowSecurity.enter(scope, on: db)
        return try await !db.raw("""
            UPDATE users SET mfa_enabled = \(bind: true), totp_last_step = \(bind: step)
            WHERE account_id = \(bind: scope.accountID.rawValue) AND id = \(bind: userID) AND mfa_enabled = \(bind: false)
                AND totp_seed IS NOT NULL RETURNING id
            """).all().isEmpty
    }

    /// Turns it off and forgets the seed and the recovery codes; false when it was not on.
    public static func disable(userID: String, in scope: AccountScope, on db: any SQLDatabase) async throws -> Bool {
        try await RowSecurity.enter(scope, on: db)
        let written = try await db.raw("""
            UPDATE users SET mfa_enabled = \(bind: false), totp_seed = NULL, totp_last_step = NULL
            WHERE account_id = \(bind: scope.accountID.rawValue) AND id = \(bind: userID) AND mfa_enabled = \(bind: true) RETURNING id
            """).all()
        try await replaceRecoveryCodes(userID: userID, digests: [], in: scope, on: db)
        return !written.isEmpty
    }

    /// Records `step` as used; false when it (or a later one) already was: the code is a replay.
    public static func useStep(userID: String, step: Int64, in scope: AccountScope, on db: any SQLDatabase) async throws -> Bool {
        try await RowSecurity.enter(scope, on: db)
        return try await !db.raw("""
            UPDATE users SET totp_last_step = \(bind: step)
            WHERE account_id = \(bind: scope.accountID.rawValue) AND id = \(bind: userID) AND mfa_enabled = \(bind: true)
                AND (totp_last_step IS NULL OR totp_last_step < \(bind: step)) RETURNING id
            """).all().isEmpty
    }

    /// Uses up a recovery code; false when the user has no such (unused) code.
    public static func useRecoveryCode(userID: String, digest: String, in scope: AccountScope, on db: any SQLDatabase) async throws -> Bool {
        try await RowSecurity.enter(scope, on: db)
        return try await !db.raw("""
            DELETE FROM recovery_codes WHERE account_id = \(bind: scope.accountID.rawValue) AND user_id = \(bind: userID) AND digest = \(bind: digest)
            RETURNING digest
            """).all().isEmpty
    }

    private static func replaceRecoveryCodes(userID: String, digests: [String], in scope: AccountScope, on db: any SQLDatabase) async throws {
        let account = scope.accountID.rawValue
        try await db.raw("DELETE FROM recovery_codes WHERE account_id = \(bind: account) AND user_id = \(bind: userID)").run()
        for digest in Set(digests) {
            try await db.raw("INSERT INTO recovery_codes (account_id, user_id, digest) VALUES (\(bind: account), \(bind: userID), \(bind: digest))").run()
        }
    }

    // MARK: mfa_token challenges

    public struct Challenge: Sendable, Equatable {
        public let userID: String
        public let expiresAt: String
        public let failures: Int
        public let usedAt: String?
    }

    public static func createChallenge(digest: String, userID: String, expiresAt: String, in scope: AccountScope, on db: any SQLDatabase) async throws {
        try await RowSecurity.enter(scope, on: db)
        try await db.raw("""
            INSERT INTO mfa_challenges (digest, account_id, user_id, expires_at, failures, created_at)
            VALUES (\(bind: digest), \(bind: scope.accountID.rawValue), \(bind: userID), \(bind: expiresAt), \(bind: 0), \(bind: Timestamp.now()))
            """).run()
    }

    public static func challenge(digest: String, in scope: AccountScope, on db: any SQLDatabase) async throws -> Challenge? {
        try await RowSecurity.enter(scope, on: db)
        guard let row = try await db.raw("""
            SELECT user_id, expires_at, failures, used_at FROM mfa_challenges
            WHERE account_id = \(bind: scope.accountID.rawValue) AND digest = \(bind: digest)
            """).first() else { return nil }
        return Challenge(
            userID: try row.decode(column: "user_id", as: String.self),
            expiresAt: try row.decode(column: "expires_at", as: String.self),
            failures: try row.decode(column: "failures", as: Int.self),
            usedAt: try row.decode(column: "used_at", as: String?.self)
        )
    }

    /// Counts one wrong code against a challenge still open.
    public static func failChallenge(digest: String, in scope: AccountScope, on db: any SQLDatabase) async throws {
        try await RowSecurity.enter(scope, on: db)
        try await db.raw("""
            UPDATE mfa_challenges SET failures = failures + 1
            WHERE account_id = \(bind: scope.accountID.rawValue) AND digest = \(bind: digest) AND used_at IS NULL
            """).run()
    }

    /// Uses up a challenge that is unused, unexpired at `now` and under `maxFailures`; false otherwise
    /// (another request used it first, or it became void meanwhile).
    public static func consumeChallenge(digest: String, now: String, maxFailures: Int, in scope: AccountScope, on db: any SQLDatabase) async throws -> Bool {
        try await RowSecurity.enter(scope, on: db)
        return try await !db.raw("""
            UPDATE mfa_challenges SET used_at = \(bind: now)
            WHERE account_id = \(bind: scope.accountID.rawValue) AND digest = \(bind: digest) AND used_at IS NULL
                AND failures < \(bind: maxFailures) AND expires_at > \(bind: now) RETURNING digest
            """).all().isEmpty
    }
}

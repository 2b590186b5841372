import Foundation

/// The limits of the routes a caller reaches without a token (identity.md, "Limits on
/// unauthenticated routes"), set with `SNACKBASE_RATE_LIMITS`: a comma list of `name=count/period`
/// with the period `s`, `m`, `h` or `d`, for example `register=100/h,login_address=60/m`. A limit
/// not named keeps its default; an unknown name or a bad value is an error (the server does not start).
public struct RateLimits: Sendable, Equatable {
    /// At most `count` in any `period` seconds.
    public struct Limit: Sendable, Equatable {
        public var count: Int
        public var period: TimeInterval
        public init(_ count: Int, per period: TimeInterval) {
            self.count = count
            self.period = period
        }

        /// The same limit as ``LoginRateLimiter`` counts it (failures in a sliding window).
        public var asLoginLimit: LoginRateLimiter.Limit { .init(failures: count, window: period) }
    }

    /// Failed logins per (account, email): 5 in 15 minutes (security-model.md §1).
    public var loginIdentity = Limit(5, per: 15 * 60)
    /// Failed logins per client address: 30 a minute.
    public var loginAddress = Limit(30, per: 60)
    /// Registrations per client address: 10 an hour (each costs a password hash and a new account).
    public var register = Limit(10, per: 3600)
    public var passwordResetIdentity = Limit(3, per: 3600)
    public var passwordResetAddress = Limit(10, per: 3600)
    public var verifyEmail = Limit(10, per: 60)
    public var acceptInvitation = Limit(10, per: 60)
    /// Second steps of two-factor sign-in per client address, as failed logins.
    public var mfaVerify = Limit(30, per: 60)

    public init() {}

    /// The names `SNACKBASE_RATE_LIMITS` takes.
    public static var names: [String: WritableKeyPath<RateLimits, Limit>] {
        [
            "login_identity": \.loginIdentity, "login_address": \.loginAddress, "register": \.register,
            "password_reset_identity": \.passwordResetIdentity, "password_reset_address": \.passwordResetAddress,
            "verify_email": \.verifyEmail, "accept_invitation": \.acceptInvitation, "mfa_verify": \.mfaVerify,
        ]
    }

    /// The defaults with the limits `text` names changed.
    public init(parsing text: String) throws(RateLimitsError) {
        self.init()
        for item in text.split(separator: ",") {
            let entry = item.trimmingCharacters(in: .whitespaces)
            if entry.isEmpty { continue }
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let path = Self.names[parts[0]] else {
                throw RateLimitsError(message: "unknown limit \(parts[0]); known: \(Self.names.keys.sorted().joined(separator: ", "))")
            }
            let value = parts[1].split(separator: "/", maxSplits: 1).map(String.init)
            let periods: [String: TimeInterval] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
            guard value.count == 2, let count = Int(value[0]), (1...1_000_000).contains(count), let period = periods[value[1]] else {
                throw RateLimitsError(message: "\(parts[0]) must be count/period like 10/h (count 1-1000000, period s, m, h or d)")
            }
            self[keyPath: path] = Limit(count, per: period)
        }
    }
}

/// A bad `SNACKBASE_RATE_LIMITS` value.
public struct RateLimitsError: Error, Sendable {
    public let message: String
}

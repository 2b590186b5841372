/// A failure as the domain describes it: what kind of failure (the input, the caller, a limit, the
/// server), a message for people and, for validation, one detail per offending field.
///
/// Every layer throws this (or something the API maps to it); the API alone knows which HTTP status
/// each ``Kind`` is (`SnackBaseError+HTTP.swift`), and one middleware turns it into the error JSON of
/// the API contract, so no stack trace or SQL text can ever reach a client.
public struct SnackBaseError: Error, Sendable, Equatable {
    /// One problem with one part of the input.
    public struct Detail: Sendable, Equatable, Codable {
        public var field: String?
        public var message: String
        public var position: Int?
        public init(field: String? = nil, message: String, position: Int? = nil) {
            self.field = field
            self.message = message
            self.position = position
        }
    }

    /// What went wrong, in the domain's words.
    public enum Kind: Sendable, Equatable {
        /// Malformed input: a bad query parameter, a rule or filter with an error, malformed JSON.
        case badRequest
        /// No caller, or a refused token or credentials (signing in might help).
        case unauthenticated
        /// A known caller who may not do this.
        case forbidden
        /// No such resource in the caller's account.
        case notFound
        /// A path asked with a method it does not take.
        case methodNotAllowed
        /// A unique value already taken.
        case conflict
        /// A body over the configured limit.
        case payloadTooLarge
        /// Well-formed input that fails validation.
        case validation
        /// Too many attempts; try again after `retryAfter` seconds.
        case rateLimited
        /// The request line and headers are too large.
        case headersTooLarge
        /// The server cannot serve this now (the database is away, no account id is free).
        case unavailable
        /// The database's disk is full: writes are refused until there is space, reads go on.
        case insufficientStorage
        /// A failure of the server, never explained to the client.
        case `internal`
    }

    /// What kind of denial this is, for the code that acts on it (the audit log and the metrics
    /// classify denials by it), so that rewording a message never changes what is recorded.
    public enum Code: String, Sendable, Equatable {
        /// A missing permission, a failed rule, a field not writable.
        case forbidden
        /// A request naming another account (forbidden, or unauthenticated for an anonymous caller).
        case crossAccount = "cross_account"
        /// A request for more power than the caller has: account administration without the admin
        /// role, superadmin routes, one's own roles.
        case escalation
        /// No caller, or a refused token or credentials.
        case unauthenticated
        /// Every other failure: the input, limits, the server.
        case other

        /// The code a kind has when the thrower names none.
        init(kind: Kind) {
            switch kind {
            case .unauthenticated: self = .unauthenticated
            case .forbidden: self = .forbidden
            case .badRequest, .notFound, .methodNotAllowed, .conflict, .payloadTooLarge, .validation, .rateLimited,
                 .headersTooLarge, .unavailable, .insufficientStorage, .internal:
                self = .other
            }
        }
    }

    public let kind: Kind
    public let code: Code
    public let message: String
    public let details: [Detail]
    /// Seconds a rate-limited client should wait (rate limits only).
    public let retryAfter: Int?
    /// The methods the path takes (a method not allowed only), for the `Allow` header.
    public let allow: [String]?

    public init(_ kind: Kind, message: String, details: [Detail] = [], retryAfter: Int? = nil, allow: [String]? = nil, code: Code? = nil) {
        self.kind = kind
        self.code = code ?? Code(kind: kind)
        self.message = message
        self.details = details
        self.retryAfter = retryAfter
        self.allow = allow
    }

    public static func badRequest(_ message: String, details: [Detail] = []) -> Self {
        .init(.badRequest, message: message, details: details)
    }
    /// One generic message for every authentication failure, so that a caller learns nothing
    /// about which part was wrong.
    public static func unauthorized(_ message: String = "Authentication required") -> Self {
        .init(.unauthenticated, message: message)
    }
    public static let invalidCredentials = SnackBaseError(.unauthenticated, message: "Invalid credentials")
    public static func forbidden(_ message: String, details: [Detail] = []) -> Self { .init(.forbidden, message: message, details: details) }
    /// A refusal of the access policy: unauthenticated for an anonymous caller (signing in might
    /// help), forbidden for a signed-in one.
    public static func denied(_ message: String, anonymous: Bool) -> Self {
        .init(anonymous ? .unauthenticated : .forbidden, message: message)
    }
    /// A request naming another account: forbidden, or unauthenticated for an anonymous caller.
    public static func crossAccount(anonymous: Bool) -> Self {
        .init(anonymous ? .unauthenticated : .forbidden, message: "You cannot access another account", code: .crossAccount)
    }
    /// A request for more power than the caller has (audited as `access.escalation`).
    public static func escalation(_ message: String) -> Self { .init(.forbidden, message: message, code: .escalation) }
    public static func notFound(_ what: String = "Resource") -> Self { .init(.notFound, message: "\(what) not found") }
    public static func conflict(_ message: String) -> Self { .init(.conflict, message: message) }
    public static func validation(_ details: [Detail]) -> Self {
        .init(.validation, message: "Validation failed", details: details)
    }
    public static func validation(field: String, _ message: String) -> Self {
        .validation([Detail(field: field, message: message)])
    }
    public static func tooManyRequests(retryAfter: Int) -> Self {
        .init(.rateLimited, message: "Too many attempts, try again later", retryAfter: max(1, retryAfter))
    }
    /// A path that exists, asked with a method it does not take.
    public static func methodNotAllowed(_ method: String, allow: [String]) -> Self {
        .init(.methodNotAllowed, message: "\(method) is not allowed here; this path takes \(allow.joined(separator: ", "))", allow: allow)
    }
    public static let internalError = SnackBaseError(.internal, message: "Internal server error")

    /// The database cannot be reached now (operations.md, outages): 503, try again in a few seconds.
    public static let databaseUnavailable = SnackBaseError(.unavailable, message: "The database is not reachable; try again shortly", retryAfter: 5)
}

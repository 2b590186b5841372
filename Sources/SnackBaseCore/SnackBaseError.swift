/// An error that knows how it is shown to a client: its HTTP status, the short title of
/// that status, a message for people and, for validation, one detail per offending field.
///
/// Every layer throws this (or something the API maps to it); one middleware turns it into
/// the error JSON of the API contract, so no stack trace or SQL text can ever reach a client.
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

    /// What kind of failure this is, for the code that acts on it (the audit log and the metrics
    /// classify denials by it), so that rewording a message never changes what is recorded.
    public enum Code: String, Sendable, Equatable {
        /// 403: a missing permission, a failed rule, a field not writable.
        case forbidden
        /// A request naming another account (403, or 401 for an anonymous caller).
        case crossAccount = "cross_account"
        /// A request for more power than the caller has: account administration without the admin
        /// role, superadmin routes, one's own roles (403).
        case escalation
        /// 401: no caller, or a refused token or credentials.
        case unauthenticated
        /// Every other status: the input (400, 404, 405, 409, 413, 422, 431), limits (429), the server (5xx).
        case other

        /// The code a status has when the thrower names none.
        init(status: Int) {
            switch status {
            case 401: self = .unauthenticated
            case 403: self = .forbidden
            default: self = .other
            }
        }
    }

    public let status: Int
    public let code: Code
    public let message: String
    public let details: [Detail]
    /// Seconds a rate-limited client should wait (429 only).
    public let retryAfter: Int?
    /// The methods the path takes (405 only), for the `Allow` header.
    public let allow: [String]?

    public init(status: Int, message: String, details: [Detail] = [], retryAfter: Int? = nil, allow: [String]? = nil, code: Code? = nil) {
        self.status = status
        self.code = code ?? Code(status: status)
        self.message = message
        self.details = details
        self.retryAfter = retryAfter
        self.allow = allow
    }

    /// The HTTP reason phrase used as the `error` field.
    public var title: String {
        switch status {
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 409: "Conflict"
        case 413: "Payload Too Large"
        case 422: "Unprocessable Entity"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 503: "Service Unavailable"
        default: status >= 500 ? "Internal Server Error" : "Error"
        }
    }

    public static func badRequest(_ message: String, details: [Detail] = []) -> Self {
        .init(status: 400, message: message, details: details)
    }
    /// One generic message for every authentication failure, so that a caller learns nothing
    /// about which part was wrong.
    public static func unauthorized(_ message: String = "Authentication required") -> Self {
        .init(status: 401, message: message)
    }
    public static let invalidCredentials = SnackBaseError(status: 401, message: "Invalid credentials")
    public static func forbidden(_ message: String) -> Self { .init(status: 403, message: message) }
    /// A request naming another account: 403, or 401 for an anonymous caller (signing in might help).
    public static func crossAccount(anonymous: Bool) -> Self {
        .init(status: anonymous ? 401 : 403, message: "You cannot access another account", code: .crossAccount)
    }
    /// A request for more power than the caller has (audited as `access.escalation`).
    public static func escalation(_ message: String) -> Self { .init(status: 403, message: message, code: .escalation) }
    public static func notFound(_ what: String = "Resource") -> Self { .init(status: 404, message: "\(what) not found") }
    public static func conflict(_ message: String) -> Self { .init(status: 409, message: message) }
    public static func validation(_ details: [Detail]) -> Self {
        .init(status: 422, message: "Validation failed", details: details)
    }
    public static func validation(field: String, _ message: String) -> Self {
        .validation([Detail(field: field, message: message)])
    }
    public static func tooManyRequests(retryAfter: Int) -> Self {
        .init(status: 429, message: "Too many attempts, try again later", retryAfter: max(1, retryAfter))
    }
    /// A path that exists, asked with a method it does not take.
    public static func methodNotAllowed(_ method: String, allow: [String]) -> Self {
        .init(status: 405, message: "\(method) is not allowed here; this path takes \(allow.joined(separator: ", "))", allow: allow)
    }
    public static let internalError = SnackBaseError(status: 500, message: "Internal server error")
}

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

    public let status: Int
    public let message: String
    public let details: [Detail]
    /// Seconds a rate-limited client should wait (429 only).
    public let retryAfter: Int?
    /// The methods the path takes (405 only), for the `Allow` header.
    public let allow: [String]?

    public init(status: Int, message: String, details: [Detail] = [], retryAfter: Int? = nil, allow: [String]? = nil) {
        self.status = status
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

import Foundation

/// The one error the client throws: an error answer of the API, or no answer at all (`status` 0).
///
/// ```swift
/// do { try await posts.create(["title": ""]) }
/// catch let error as SnackBaseClientError where error.status == 422 {
///     for detail in error.details { print(detail.field ?? "-", detail.message) }
/// }
/// ```
public struct SnackBaseClientError: Error, Sendable, CustomStringConvertible {
    /// One entry of the API's `details`: a field and what is wrong with it, or a position in a rule.
    public struct Detail: Sendable, Hashable, Decodable {
        public let field: String?
        public let message: String
        public let position: Int?

        public init(field: String? = nil, message: String, position: Int? = nil) {
            self.field = field
            self.message = message
            self.position = position
        }
    }

    /// The HTTP status; 0 when the server could not be reached or answered something unreadable.
    public let status: Int
    /// The API's `message`, fit to show to a person.
    public let message: String
    /// The API's `error` (the status in words, e.g. "Forbidden"), when it sent one.
    public let error: String?
    /// The API's `details`, empty when it sent none.
    public let details: [Detail]
    /// Seconds to wait, from `Retry-After` (429, 503).
    public let retryAfter: Int?
    /// The whole error document as sent (for keys beyond `error`, `message`, `details`).
    public let body: JSONValue?

    public init(status: Int, message: String, error: String? = nil, details: [Detail] = [], retryAfter: Int? = nil, body: JSONValue? = nil) {
        self.status = status
        self.message = message
        self.error = error
        self.details = details
        self.retryAfter = retryAfter
        self.body = body
    }

    public var description: String { "SnackBaseClientError(\(status)): \(message)" }

    /// The error of a non-2xx answer.
    init(status: Int, data: Data, retryAfterHeader: String?) {
        let body = try? SnackBaseCoding.decoder().decode(JSONValue.self, from: data)
        let details = (body?["details"]?.arrayValue ?? []).compactMap { entry -> Detail? in
            guard let message = entry["message"]?.stringValue else { return nil }
            return Detail(field: entry["field"]?.stringValue, message: message, position: entry["position"]?.intValue)
        }
        let message = body?["message"]?.stringValue ?? body?["error"]?.stringValue ?? "HTTP \(status)"
        self.init(status: status, message: message, error: body?["error"]?.stringValue, details: details,
                  retryAfter: Self.seconds(retryAfterHeader), body: body?.objectValue == nil ? nil : body)
    }

    /// A failure to reach the server; the underlying error's text only (never a header or a token).
    static func unreachable(_ base: URL, _ underlying: any Error) -> SnackBaseClientError {
        SnackBaseClientError(status: 0, message: "Cannot reach \(base.absoluteString): \(underlying.localizedDescription)")
    }

    static let notSignedIn = SnackBaseClientError(status: 401, message: "Not signed in")

    /// `Retry-After` as delta-seconds (the API sends those); an HTTP date is not expected and reads as nil.
    static func seconds(_ header: String?) -> Int? {
        guard let text = header?.trimmingCharacters(in: .whitespaces), let value = Int(text), value >= 0 else { return nil }
        return value
    }
}

import SnackBaseCore

extension SnackBaseError.Kind {
    /// The HTTP status of each kind (api.md, the status table): the one place statuses are chosen.
    var status: Int {
        switch self {
        case .badRequest: 400
        case .unauthenticated: 401
        case .forbidden: 403
        case .notFound: 404
        case .methodNotAllowed: 405
        case .conflict: 409
        case .payloadTooLarge: 413
        case .validation: 422
        case .rateLimited: 429
        case .headersTooLarge: 431
        case .unavailable: 503
        case .insufficientStorage: 507
        case .internal: 500
        }
    }

    /// The kind of an HTTP client error the framework raised itself (4xx), else internal.
    init(clientStatus status: Int) {
        switch status {
        case 401: self = .unauthenticated
        case 403: self = .forbidden
        case 404: self = .notFound
        case 405: self = .methodNotAllowed
        case 409: self = .conflict
        case 413: self = .payloadTooLarge
        case 422: self = .validation
        case 429: self = .rateLimited
        case 431: self = .headersTooLarge
        case 400..<500: self = .badRequest
        default: self = .internal
        }
    }
}

extension SnackBaseError {
    /// The HTTP status this error is answered with.
    var status: Int { kind.status }

    /// The HTTP reason phrase used as the `error` field.
    var title: String {
        switch kind {
        case .badRequest: "Bad Request"
        case .unauthenticated: "Unauthorized"
        case .forbidden: "Forbidden"
        case .notFound: "Not Found"
        case .methodNotAllowed: "Method Not Allowed"
        case .conflict: "Conflict"
        case .payloadTooLarge: "Payload Too Large"
        case .validation: "Unprocessable Entity"
        case .rateLimited: "Too Many Requests"
        case .headersTooLarge: "Request Header Fields Too Large"
        case .unavailable: "Service Unavailable"
        case .insufficientStorage: "Insufficient Storage"
        case .internal: "Internal Server Error"
        }
    }
}

import HTTPTypes
import Hummingbird
import SnackBaseCore

/// Which web origins may call the API from a browser (`--cors-origins`, `SNACKBASE_CORS_ORIGINS`).
/// By default none: a browser keeps pages of other origins from reading any answer. Tokens travel
/// in the `Authorization` header, never in cookies, so credentials are never allowed cross-origin.
public struct CORSPolicy: Sendable, Equatable {
    public enum Origins: Sendable, Equatable {
        case none
        case any
        case listed(Set<String>)
    }

    public let origins: Origins

    public static let sameOriginOnly = CORSPolicy(origins: .none)

    public init(origins: Origins) {
        self.origins = origins
    }

    /// Reads `*` or a comma-separated list of origins (`https://app.example.com,http://localhost:5173`);
    /// an empty text is ``sameOriginOnly``. Throws a message naming the first entry that is not an origin.
    public init(parsing text: String) throws(SnackBaseError) {
        let entries = text.split(separator: ",").map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
        if entries.isEmpty {
            self = .sameOriginOnly
        } else if entries.contains("*") {
            guard entries.count == 1 else { throw Self.invalid("`*` allows every origin and cannot be listed with others") }
            self = CORSPolicy(origins: .any)
        } else {
            var origins: Set<String> = []
            for entry in entries {
                guard let origin = Self.origin(entry) else {
                    throw Self.invalid("`\(entry)` is not an origin: scheme, host and optional port, like https://app.example.com")
                }
                origins.insert(origin)
            }
            self = CORSPolicy(origins: .listed(origins))
        }
    }

    /// The `Access-Control-Allow-Origin` value for a request from `origin`, or nil when it may not read answers.
    func allowOriginValue(for origin: String) -> String? {
        switch origins {
        case .none: nil
        case .any: "*"
        case .listed(let listed): listed.contains(origin) ? origin : nil
        }
    }

    /// `http` or `https`, a host of letters, digits, `.` and `-` (or a bracketed IPv6 address) and an
    /// optional port, lowercased as browsers send it; one trailing `/` is forgiven.
    static func origin(_ entry: String) -> String? {
        var text = entry.lowercased()
        if text.hasSuffix("/") { text.removeLast() }
        let scheme: String
        if text.hasPrefix("https://") { scheme = "https://" } else if text.hasPrefix("http://") { scheme = "http://" } else { return nil }
        var rest = Substring(text.dropFirst(scheme.count))
        let host: Substring
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            host = rest[rest.index(after: rest.startIndex)..<close]
            guard !host.isEmpty, host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return nil }
            rest = rest[rest.index(after: close)...]
        } else {
            let end = rest.firstIndex(of: ":") ?? rest.endIndex
            host = rest[..<end]
            guard !host.isEmpty, !host.hasPrefix("."), !host.hasPrefix("-"),
                  host.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "." || $0 == "-" })
            else { return nil }
            rest = rest[end...]
        }
        if !rest.isEmpty {
            guard rest.hasPrefix(":"), let port = Int(rest.dropFirst()), (1...65535).contains(port),
                  rest.dropFirst().allSatisfy(\.isNumber)
            else { return nil }
        }
        return text
    }

    private static func invalid(_ message: String) -> SnackBaseError {
        SnackBaseError(.badRequest, message: "SNACKBASE_CORS_ORIGINS: " + message)
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}

/// Cross-origin requests from browsers (the Fetch standard's CORS protocol), for the origins of a
/// ``CORSPolicy``. It wraps the middleware that turns errors into answers, so a 401 or 403 carries
/// the headers too and the page can read why. A preflight (`OPTIONS` with `Origin` and
/// `Access-Control-Request-Method`) of a path that exists is answered here, before authentication
/// (browsers send no credentials with it): 204 listing the path's methods when the origin is
/// allowed, 403 in the error JSON when it is not. Only added when some origin is allowed.
struct CORSMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let policy: CORSPolicy
    let routes: RouteMethods

    static let allowedHeaders = "Authorization, Content-Type, X-Request-ID, X-Account"
    static let exposedHeaders = "X-Request-ID, Retry-After, WWW-Authenticate, Allow"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin] else { return try await next(request, context) }
        let allowOrigin = policy.allowOriginValue(for: origin)
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            let methods = routes.methods(for: request.uri.path)
            if !methods.isEmpty {
                // Answered before the request-id middleware: give the answer its `X-Request-ID` here.
                let requestID = request.headers[.requestID].flatMap(RequestIDMiddleware.validated) ?? SecureID.randomHex(bytes: 16)
                guard let allowOrigin else {
                    var refused = ErrorResponder.response(
                        for: SnackBaseError.forbidden("Origin \(origin) may not call this API (see SNACKBASE_CORS_ORIGINS)"),
                        logger: context.logger)
                    refused.headers[.vary] = "Origin"
                    refused.headers[.requestID] = requestID
                    return refused
                }
                var headers = HTTPFields()
                headers[.requestID] = requestID
                headers[.accessControlAllowOrigin] = allowOrigin
                headers[.accessControlAllowMethods] = methods.map(\.rawValue).joined(separator: ", ")
                headers[.accessControlAllowHeaders] = Self.allowedHeaders
                headers[.accessControlMaxAge] = "600"
                headers[.vary] = "Origin"
                return Response(status: .noContent, headers: headers)
            }
        }
        var response = try await next(request, context)
        if let allowOrigin {
            response.headers[.accessControlAllowOrigin] = allowOrigin
            response.headers[.accessControlExposeHeaders] = Self.exposedHeaders
        }
        if case .listed = policy.origins { response.headers[.vary] = "Origin" }
        return response
    }
}

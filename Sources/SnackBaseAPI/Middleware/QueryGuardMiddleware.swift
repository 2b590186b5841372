import Hummingbird
import SnackBaseCore

/// Refuses a query string that decodes to text holding the NUL character (`%00`) with a 400.
/// PostgreSQL cannot store or compare such text (a bound parameter with NUL is an error there,
/// while SQLite accepts it), so it is refused before any handler reads a parameter; both
/// databases then answer the same. JSON bodies get the same rule in ``JSONBody``.
struct QueryGuardMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let query = request.uri.query, Self.holdsEncodedNUL(query) {
            throw SnackBaseError.badRequest("Query parameters must not contain the NUL character",
                                            details: [.init(field: "query", message: "must not contain %00")])
        }
        return try await next(request, context)
    }

    /// True when the raw query holds `%00` (either case is the same byte).
    static func holdsEncodedNUL(_ query: String) -> Bool {
        let bytes = Array(query.utf8)
        guard bytes.count >= 3 else { return false }
        for index in 0..<(bytes.count - 2) where bytes[index] == UInt8(ascii: "%") && bytes[index + 1] == UInt8(ascii: "0") && bytes[index + 2] == UInt8(ascii: "0") {
            return true
        }
        return false
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import Logging
import SnackBaseStore
import SnackBaseCore

/// The outermost middleware: gives every request an id (echoing a well-formed incoming
/// `X-Request-ID`), puts it on every response, and is the one place where any thrown error
/// becomes the contract's error JSON — so no stack trace or SQL text can reach a client.
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let requestID = request.headers[.requestID].flatMap(Self.validated) ?? SecureID.randomHex(bytes: 16)
        context.requestID = requestID
        context.logger[metadataKey: "request.id"] = .string(requestID)
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            response = ErrorResponder.response(for: error, logger: context.logger)
        }
        response.headers[.requestID] = requestID
        return response
    }

    /// 1–128 characters of `A-Za-z0-9-_.`; anything else is replaced, never echoed.
    static func validated(_ value: String) -> String? {
        guard (1...128).contains(value.utf8.count),
              value.utf8.allSatisfy({ (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) || $0 == 45 || $0 == 95 || $0 == 46 })
        else { return nil }
        return value
    }
}

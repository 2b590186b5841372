import Foundation
import HTTPTypes
import Hummingbird
import Logging
import SnackBaseStore
import SnackBaseCore

/// Turns any error into the error JSON of the API contract.
enum ErrorResponder {
    struct Body: Encodable {
        let error: String
        let message: String
        let details: [SnackBaseError.Detail]?
    }

    static func response(for error: any Error, logger: Logger) -> Response {
        let failure = snackBaseError(for: error)
        if failure.status >= 500 {
            logger.error("request.failed", metadata: ["error.type": .string(String(describing: type(of: error)))])
        }
        if error is AccountIDsExhausted {
            logger.critical("account.ids_exhausted", metadata: ["account.id_attempts": .stringConvertible(AccountRepository.freshIDAttempts)])
        }
        var response = JSONBody.response(.init(code: failure.status), buffer: body(of: failure))
        if let retryAfter = failure.retryAfter {
            response.headers[.retryAfter] = String(retryAfter)
        }
        if let allow = failure.allow {
            response.headers[.allow] = allow.joined(separator: ", ")
        }
        if failure.status == 401 {
            response.headers[.wwwAuthenticate] = "Bearer"
        }
        return response
    }

    /// The error JSON of `failure`.
    static func body(of failure: SnackBaseError) -> ByteBuffer {
        let body = Body(error: failure.title, message: failure.message, details: failure.details.isEmpty ? nil : failure.details)
        // Strings, an optional array of strings and numbers: the encoder has nothing to refuse.
        return ByteBuffer(bytes: (try? JSONBody.encoder.encode(body)) ?? Data(#"{"error":"Internal Server Error","message":"Internal server error"}"#.utf8))
    }

    /// The answer to a write refused for want of disk space (operations.md: reads keep working).
    static let storageFull = SnackBaseError(
        .insufficientStorage, message: "The database's disk is full: writes are refused until space is freed; reads still work"
    )

    static func snackBaseError(for error: any Error) -> SnackBaseError {
        switch error {
        case let error as SnackBaseError:
            return error
        case let error as HTTPError:
            switch error.status.code {
            case 404: return .notFound("Route")
            case 405: return SnackBaseError(.methodNotAllowed, message: "Method not allowed")
            case 413: return SnackBaseError(.payloadTooLarge, message: "Request body is too large")
            case 400..<500: return SnackBaseError(.init(clientStatus: error.status.code), message: "Bad request")
            default: return .internalError
            }
        case let error as DecodingError:
            return JSONBody.validationError(error)
        case is DatabaseUnavailable:
            return .databaseUnavailable
        case is StorageFull:
            return storageFull
        case let error where isStorageFull(error):
            return storageFull
        case is AccountIDsExhausted:
            return SnackBaseError(.unavailable, message: "No new account id is free; the operator has been told")
        case let error as UnknownRoles:
            return .validation(field: "roles", "unknown role(s) in this account: \(error.names.joined(separator: ", "))")
        case is UnknownColumn:
            // The controllers refuse unknown fields before the store sees them: reaching this is a bug.
            return .internalError
        default:
            return .internalError
        }
    }
}

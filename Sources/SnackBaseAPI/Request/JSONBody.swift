import Foundation
import Hummingbird
import NIOCore
import NIOHTTP1
import SnackBaseCore
import NIOFoundationCompat

/// Reading request bodies and writing JSON answers, with the contract's error statuses:
/// a body over the limit is 413, malformed JSON 400, well-formed JSON of the wrong shape 422.
public enum JSONBody {
    public static let maxBytes = 1 << 20

    /// Decoder for the API's fixed documents: snake_case keys map to camelCase properties.
    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()

    static func bytes(of request: Request) async throws -> ByteBuffer {
        do {
            return try await request.body.collect(upTo: maxBytes)
        } catch is NIOTooManyBytesError {
            throw SnackBaseError(.payloadTooLarge, message: "Request body is larger than \(maxBytes) bytes")
        } catch let error as HTTPParserError {
            // A body the HTTP parser refuses (a malformed chunk) was answered 413 as if it were too long.
            throw MalformedRequestHandler.failure(for: error)
        } catch {
            throw SnackBaseError.badRequest("The request body could not be read")
        }
    }

    /// A fixed document and the `account_id` it names, if any: naming another account is refused
    /// like the query parameter (``AccountAdministration``), never silently ignored.
    static func document<T: Decodable>(_ type: T.Type, from request: Request) async throws -> (value: T, account: String?) {
        let (value, parsed) = try decodeParsed(T.self, buffer: try await bytes(of: request))
        return (value, accountField(parsed))
    }

    /// The body's top-level `account_id` when it is a string (any other value names no account, as
    /// for records, whose system fields are ignored).
    static func accountField(_ body: JSONValue) -> String? {
        if case .object(let object) = body, case .string(let account)? = object["account_id"] { return account }
        return nil
    }

    /// Decodes the body as `T`, or throws a contract error naming what is wrong.
    public static func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        try decode(T.self, buffer: try await bytes(of: request))
    }

    /// Decodes a body already read.
    public static func decode<T: Decodable>(_ type: T.Type, buffer: ByteBuffer) throws -> T {
        try decodeParsed(T.self, buffer: buffer).value
    }

    /// The body decoded as `T`, and as the JSON value it was checked as (read once).
    private static func decodeParsed<T: Decodable>(_ type: T.Type, buffer: ByteBuffer) throws -> (value: T, parsed: JSONValue) {
        let parsed = try value(of: buffer)
        // PostgreSQL refuses text with NUL; refuse it here so that both databases answer the same.
        if let path = pathOfNUL(in: parsed) { throw SnackBaseError.validation(field: path, "must not contain the NUL character") }
        do {
            return (try decoder.decode(T.self, from: Data(buffer: buffer)), parsed)
        } catch let error as DecodingError {
            throw validationError(error)
        }
    }

    /// The body as one JSON value, read strictly (``JSONValue/parse(_:)``: no trailing comma, no
    /// key named twice), or a 400 whose detail says what is wrong and at which byte.
    public static func value(of buffer: ByteBuffer) throws -> JSONValue {
        do {
            return try buffer.withUnsafeReadableBytes { try JSONValue.parse($0) }
        } catch let error as JSONSyntaxError {
            throw SnackBaseError.badRequest("Malformed JSON body", details: [.init(field: "body", message: error.description, position: error.offset)])
        }
    }

    /// The dotted path (`body` at the top) of the first string or key holding U+0000, or nil.
    static func pathOfNUL(in value: JSONValue, path: String = "") -> String? {
        switch value {
        case .string(let text):
            return text.unicodeScalars.contains("\u{0}") ? (path.isEmpty ? "body" : path) : nil
        case .object(let object):
            for (key, member) in object {
                let here = path.isEmpty ? key : path + "." + key
                if key.unicodeScalars.contains("\u{0}") { return path.isEmpty ? "body" : path }
                if let found = pathOfNUL(in: member, path: here) { return found }
            }
        case .array(let array):
            for (index, member) in array.enumerated() {
                if let found = pathOfNUL(in: member, path: path.isEmpty ? String(index) : path + "." + String(index)) { return found }
            }
        case .null, .bool, .number:
            break
        }
        return nil
    }

    static func validationError(_ error: DecodingError) -> SnackBaseError {
        func name(_ path: [any CodingKey], _ key: (any CodingKey)? = nil) -> String {
            let keys = path + (key.map { [$0] } ?? [])
            let text = keys.map { $0.intValue.map(String.init) ?? snakeCase($0.stringValue) }.joined(separator: ".")
            return text.isEmpty ? "body" : text
        }
        switch error {
        case .keyNotFound(let key, let context):
            return .validation(field: name(context.codingPath, key), "is required")
        case .typeMismatch(let type, let context):
            return .validation(field: name(context.codingPath), "must be \(describe(type))")
        case .valueNotFound(let type, let context):
            return .validation(field: name(context.codingPath), "must be \(describe(type)), not null")
        case .dataCorrupted(let context):
            return .validation(field: name(context.codingPath), "is invalid")
        @unknown default:
            return .validation(field: "body", "is invalid")
        }
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Double.Type: "a number"
        case is [Any].Type: "an array"
        default: "an object"
        }
    }

    static func snakeCase(_ text: String) -> String {
        var out = ""
        for character in text {
            if character.isUppercase {
                out.append("_")
                out.append(contentsOf: character.lowercased())
            } else {
                out.append(character)
            }
        }
        return out
    }

    /// A JSON answer.
    public static func response(_ status: HTTPResponse.Status = .ok, _ value: some Encodable) throws -> Response {
        let data = try encoder.encode(value)
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }

    /// A JSON answer from bytes already encoded.
    public static func response(_ status: HTTPResponse.Status = .ok, data: Data) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A JSON answer already serialized.
    static func response(_ status: HTTPResponse.Status = .ok, buffer: ByteBuffer) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: buffer))
    }

    public static func noContent() -> Response {
        Response(status: .noContent)
    }
}

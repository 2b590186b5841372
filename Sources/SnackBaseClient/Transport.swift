import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP exchange with the API: builds the URL (query strings form-encoded), sends, and turns a
/// non-2xx answer into `SnackBaseClientError`. Knows nothing of tokens.
struct Transport: Sendable {
    let baseURL: URL
    let session: URLSession

    /// `path` is below the base URL, e.g. `/api/v1/auth/me`.
    func url(_ path: String, query: [(String, String)] = []) -> URL {
        var text = baseURL.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        text += path
        if !query.isEmpty { text += "?" + Self.formEncoded(query) }
        // Every character outside the unreserved set was percent-encoded above: this cannot fail.
        return URL(string: text)!
    }

    func send(_ method: String, _ path: String, query: [(String, String)] = [], body: Data? = nil,
              headers: [String: String] = [:]) async throws -> Data {
        var request = URLRequest(url: url(path, query: query))
        request.httpMethod = method
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let body {
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await session.data(for: request)
        } catch {
            throw SnackBaseClientError.unreachable(baseURL, error)
        }
        guard let http = response as? HTTPURLResponse else {
            throw SnackBaseClientError(status: 0, message: "Not an HTTP answer from \(baseURL.absoluteString)")
        }
        guard (200..<300).contains(http.statusCode) else {
            throw SnackBaseClientError(status: http.statusCode, data: data, retryAfterHeader: http.value(forHTTPHeaderField: "Retry-After"))
        }
        return data
    }

    /// `application/x-www-form-urlencoded`: unreserved characters as they are, a space as `+`, every other
    /// UTF-8 byte as `%XX` (so `+`, `&`, `=`, quotes and non-ASCII letters in a filter arrive intact).
    static func formEncoded(_ query: [(String, String)]) -> String {
        query.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
    }

    static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                out += "+"
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

import HTTPTypes
import Hummingbird
import NIOCore
import SnackBaseConsole
import SnackBaseCore

/// The admin console: `GET /` redirects to `/_/`, which serves the console's page; its modules, style
/// sheet and the JavaScript client (`/_/sdk/snackbase.js`) are files compiled into the binary
/// (``ConsoleFiles``). Every answer carries a strict Content-Security-Policy (no inline script, no
/// `eval`, no framing), `nosniff`, `no-referrer` and an `ETag`; `If-None-Match` answers 304. Nothing is
/// fingerprinted, so everything is `no-cache` (revalidated, a 304 when unchanged).
struct ConsoleController {
    /// The paths this controller registers, which are pages and files rather than the API the OpenAPI document describes.
    static let paths: Set<String> = ["/", "/_", "/_/**"]

    static let contentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; "
        + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    /// `GET` and `HEAD` alike; `HEAD` answers the same status and headers (`Content-Length` too) without the body (RFC 9110 §9.3.2).
    func register(on router: Router<AppRequestContext>) {
        for method in [HTTPRequest.Method.get, .head] {
            router.on("/", method: method) { request, _ in Self.answer(Self.redirect(), to: request) }
            // Hummingbird matches `/_` and `/_/` alike; only `/_/` keeps the page's relative addresses right.
            router.on("_", method: method) { request, _ in
                Self.answer(request.uri.path.hasSuffix("/") ? Self.serve(ConsoleFiles.index, request) : Self.redirect(), to: request)
            }
            router.on("_/**", method: method) { request, context in
                let path = context.parameters.getCatchAll().joined(separator: "/")
                if let file = ConsoleFiles.file(at: path) { return Self.answer(Self.serve(file, request), to: request) }
                // A console page's address (the console routes with `#`, but a reload of a pasted path works too);
                // a missing file (anything with a dot in its last segment) is the API's 404.
                guard !(path.split(separator: "/").last?.contains(".") ?? false) else { throw SnackBaseError.notFound("File") }
                return Self.answer(Self.serve(ConsoleFiles.index, request), to: request)
            }
        }
    }

    /// The response, without its body for a `HEAD` request (its headers, `Content-Length` included, stay).
    static func answer(_ response: Response, to request: Request) -> Response {
        guard request.method == .head else { return response }
        return Response(status: response.status, headers: response.headers)
    }

    static func headers(contentType: String? = nil) -> HTTPFields {
        var fields = HTTPFields()
        fields[.contentSecurityPolicy] = contentSecurityPolicy
        fields[.xContentTypeOptions] = "nosniff"
        fields[.referrerPolicy] = "no-referrer"
        fields[.xFrameOptions] = "DENY"
        fields[.cacheControl] = "no-cache"
        if let contentType { fields[.contentType] = contentType }
        return fields
    }

    static func redirect() -> Response {
        var fields = headers()
        fields[.location] = "/_/"
        return Response(status: .found, headers: fields)
    }

    static func serve(_ file: ConsoleFile, _ request: Request) -> Response {
        var fields = headers(contentType: file.contentType)
        fields[.eTag] = file.etag
        if let tags = request.headers[.ifNoneMatch], matches(tags, file.etag) {
            return Response(status: .notModified, headers: fields)
        }
        fields[.contentLength] = String(file.bytes.count)
        return Response(status: .ok, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: file.bytes)))
    }

    /// `If-None-Match`: `*`, or a comma list of tags compared weakly (RFC 9110 §13.1.2).
    static func matches(_ header: String, _ etag: String) -> Bool {
        header.split(separator: ",").contains { tag in
            let tag = tag.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed()
            let text = String(tag)
            return text == "*" || text == etag || text == "W/" + etag
        }
    }
}

extension HTTPField.Name {
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!
}

import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import Testing

@testable import SnackBaseAPI

#if canImport(Glibc)
import Glibc
#endif

/// A request the HTTP parser refuses is answered with the error JSON and a request id, like every
/// other refusal, and never in the middle of another answer.
@Suite("Malformed requests")
struct MalformedRequestTests {
    @Test("HTTP-001: what the parser refuses is answered in the error JSON, then the connection closes", arguments: [
        ("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 100_000))\r\n\r\n", 431,
         "Request Header Fields Too Large", "The request line and headers are too large (at most 80 KiB, 1,000 fields)"),
        ("GET /health HTTP/1.1\r\nHost: x\r\n\(String(repeating: "X-A: b\r\n", count: 1_001))\r\n", 431,
         "Request Header Fields Too Large", "The request line and headers are too large (at most 80 KiB, 1,000 fields)"),
        ("GARBAGE\r\n\r\n", 400, "Bad Request", "Malformed HTTP request"),
        ("GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400, "Bad Request", "Invalid Content-Length"),
    ])
    func refusedByTheParser(request: String, status: Int, error: String, message: String) throws {
        let channel = try Self.channel()
        #expect(throws: Never.self) { try channel.writeInbound(ByteBuffer(string: request)) }
        let answer = try Self.answer(of: channel)
        #expect(answer.status == status, "\(answer.raw.prefix(200))")
        #expect(answer.headers["connection"] == "close")
        #expect(answer.headers["content-type"] == "application/json; charset=utf-8")
        #expect(answer.headers["x-request-id"]?.count == 32)
        #expect(answer.json?["error"] as? String == error)
        #expect(answer.json?["message"] as? String == message)
        #expect(!channel.isActive, "the connection stays open")
    }

    @Test("HTTP-002: a refused request behind one not yet answered gets no answer of its own before it")
    func refusedWhileAnotherIsPending() throws {
        let channel = try Self.channel()
        let pending = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
        #expect(throws: HTTPParserError.self) { try channel.writeInbound(ByteBuffer(string: pending + "GARBAGE\r\n\r\n")) }
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil, "an answer was written before the pending request's")
    }

    @Test("HTTP-003: once every request is answered, a refused one is answered on the same connection")
    func refusedAfterAnAnswer() throws {
        let channel = try Self.channel()
        try channel.writeInbound(ByteBuffer(string: "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"))
        #expect(try channel.readInbound(as: HTTPRequestPart.self).map { if case .head = $0 { true } else { false } } == true)
        try channel.writeOutbound(HTTPResponsePart.head(.init(status: .ok, headerFields: [.contentLength: "0"])))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        var first = ByteBuffer()
        while var part = try channel.readOutbound(as: ByteBuffer.self) { first.writeBuffer(&part) }
        #expect(String(buffer: first).hasPrefix("HTTP/1.1 200"))
        try channel.writeInbound(ByteBuffer(string: "GARBAGE\r\n\r\n"))
        #expect(try Self.answer(of: channel).status == 400)
    }

    @Test("HTTP-004: the server the command runs answers these in the error JSON, a malformed body too (it was 413)")
    func theServerUsesIt() async throws {
        try await TestApp.run(live: true) { app in
            let port = try #require(app.client.port)
            let oversized = Answer(try await Self.exchange(port: port, "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 100_000))\r\n\r\n"))
            #expect(oversized.status == 431, "\(oversized.raw.prefix(200))")
            #expect(oversized.json?["error"] as? String == "Request Header Fields Too Large")
            let chunk = Answer(try await Self.exchange(port: port, """
                POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n
                """))
            #expect(chunk.status == 400, "\(chunk.raw.prefix(300))")
            #expect(chunk.json?["message"] as? String == "Invalid chunked body")
            #expect(chunk.headers["x-request-id"] != nil)
        }
    }

    // MARK: support

    /// The channel as Hummingbird's HTTP/1 server builds it, with the handler under test.
    static func channel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = 80 * 1024
        limits.maxHeaderListSize = 80 * 1024
        limits.maxHeaderFieldCount = 1000
        try channel.pipeline.syncOperations.configureHTTPServerPipeline(
            withPipeliningAssistance: false, withErrorHandling: false, withOutboundHeaderValidation: false,
            withEncoderConfiguration: .init(), withDecoderLimitConfiguration: limits
        )
        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
        try channel.pipeline.syncOperations.addHandler(MalformedRequestHandler())
        return channel
    }

    static func answer(of channel: EmbeddedChannel) throws -> Answer {
        var bytes = ByteBuffer()
        while var part = try channel.readOutbound(as: ByteBuffer.self) { bytes.writeBuffer(&part) }
        return Answer(String(buffer: bytes))
    }

    struct Answer {
        let raw: String
        let status: Int?
        let headers: [String: String]
        let json: [String: Any]?

        init(_ raw: String) {
            self.raw = raw
            let parts = raw.components(separatedBy: "\r\n\r\n")
            let lines = parts[0].components(separatedBy: "\r\n")
            status = lines.first.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") }
            var headers: [String: String] = [:]
            for line in lines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            self.headers = headers
            let body = parts.count > 1 ? parts[1...].joined(separator: "\r\n\r\n") : ""
            json = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
        }
    }

    struct SocketFailure: Error {
        let step: String
    }

    /// Sends `request` on a new TCP connection and reads until the server closes it (at most 30 s),
    /// on a thread of its own: blocking calls on one of the few threads of Swift's cooperative pool
    /// (one per core) stalled every other test of the process.
    static func exchange(port: Int, _ request: String) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try blockingExchange(port: port, request) }) }.start()
        }
    }

    private static func blockingExchange(port: Int, _ request: String) throws -> String {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw SocketFailure(step: "socket") }
        defer { close(socket) }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw SocketFailure(step: "connect") }
        let bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count <= 0 { break }   // the server may close before reading everything it refused
            sent += count
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            received += buffer[..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }
}

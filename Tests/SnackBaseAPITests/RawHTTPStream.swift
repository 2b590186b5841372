import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SnackBaseTesting

/// A `GET` over a plain TCP socket, its answer kept byte for byte: what an SSE parser hides
/// (comment lines such as `: ping`, the exact frames, whether the server ended the connection) is
/// in ``body`` and ``endedByServer``. Nothing is read until the test asks (``read(until:timeout:)``),
/// so with a small receive buffer the socket is a client that stopped reading: once its buffer and
/// the server's are full, the server's writes wait.
///
/// One task uses it (not `Sendable`); the socket closes with ``close()`` or when it goes away.
final class RawHTTPStream {
    private var fd: Int32
    /// Bytes after the head not yet taken apart into chunks.
    private var pending: [UInt8] = []
    private var headEnded = false
    private var chunked = false
    /// The head as sent (status line and header lines).
    private(set) var head = ""
    /// The body, de-chunked: the event stream exactly as the server wrote it.
    private(set) var body: [UInt8] = []
    /// True once the last chunk came (the response ended; the connection may stay open).
    private(set) var responseEnded = false
    /// True once the server closed the connection (end of file, or reset).
    private(set) var endedByServer = false

    /// Connects to 127.0.0.1:`port` and sends the request; reads nothing. `receiveBuffer` sets
    /// `SO_RCVBUF` before connecting (so the advertised window stays small).
    init(port: Int, _ path: String, headers: [(String, String)] = [], receiveBuffer: Int? = nil) throws {
        #if canImport(Glibc)
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw TestFailure("socket: errno \(errno)") }
        if var size = receiveBuffer.map(Int32.init) {
            guard setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
                throw TestFailure("SO_RCVBUF: errno \(errno)")
            }
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw TestFailure("connect: errno \(errno)") }
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAccept: text/event-stream\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        let bytes = Array((request + "\r\n").utf8)
        var sent = 0
        while sent < bytes.count {
            let wrote = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            guard wrote > 0 else { throw TestFailure("send: errno \(errno)") }
            sent += wrote
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    deinit { close() }

    func close() {
        guard fd >= 0 else { return }
        #if canImport(Glibc)
        _ = Glibc.close(fd)
        #else
        _ = Darwin.close(fd)
        #endif
        fd = -1
    }

    /// The status of the answer, once its head arrived.
    var status: Int? {
        guard headEnded else { return nil }
        let parts = head.split(separator: " ", maxSplits: 2)
        return parts.count >= 2 ? Int(parts[1]) : nil
    }

    /// The body as text.
    var text: String { String(decoding: body, as: UTF8.self) }

    /// The body's frames (the server ends each with a blank line), without that line: `: ping`,
    /// `id: 42\nevent: record.created\ndata: {…}`. An unfinished last frame is left out.
    var frames: [String] {
        var frames = text.components(separatedBy: "\n\n")
        frames.removeLast()
        return frames
    }

    /// Reads what has arrived until `done` holds, the server ends the connection, or `timeout`
    /// passes; true when `done` holds.
    @discardableResult
    func read(until done: (RawHTTPStream) -> Bool, timeout: Duration) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            let progressed = try drain()
            if done(self) { return true }
            if endedByServer || ContinuousClock.now >= deadline { return false }
            if !progressed { try await Task.sleep(for: .milliseconds(5)) }
        }
    }

    /// Reads until the server ends the connection or `timeout` passes; true when it ended it.
    @discardableResult
    func readToEnd(timeout: Duration) async throws -> Bool {
        try await read(until: { $0.endedByServer }, timeout: timeout)
    }

    /// Everything the socket holds now; true when something came.
    private func drain() throws -> Bool {
        guard fd >= 0 else { return false }
        var progressed = false
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                feed(buffer[..<count])
                progressed = true
                continue
            }
            if count == 0 || errno == ECONNRESET {
                endedByServer = true
                return true
            }
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return progressed }
            throw TestFailure("recv: errno \(errno)")
        }
    }

    private func feed(_ bytes: ArraySlice<UInt8>) {
        pending += bytes
        if !headEnded {
            guard let end = find([13, 10, 13, 10]) else { return }
            head = String(decoding: pending[..<end], as: UTF8.self)
            headEnded = true
            chunked = head.lowercased().contains("transfer-encoding: chunked")
            pending.removeFirst(end + 4)
        }
        guard chunked else {
            body += pending
            pending.removeAll()
            return
        }
        // Chunks: a hexadecimal size line, that many bytes, CRLF; size 0 is the last.
        while !responseEnded, let lineEnd = find([13, 10]) {
            let sizeText = String(decoding: pending[..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                body += Array("<malformed chunk \(sizeText)>".utf8)
                responseEnded = true
                return
            }
            if size == 0 {
                responseEnded = true
                pending.removeAll()
                return
            }
            guard pending.count >= lineEnd + 2 + size + 2 else { return }
            body += pending[(lineEnd + 2)..<(lineEnd + 2 + size)]
            pending.removeFirst(lineEnd + 2 + size + 2)
        }
    }

    private func find(_ needle: [UInt8]) -> Int? {
        guard pending.count >= needle.count else { return nil }
        var index = pending.startIndex
        while index + needle.count <= pending.endIndex {
            if pending[index] == needle[0], Array(pending[index..<(index + needle.count)]) == needle { return index - pending.startIndex }
            index += 1
        }
        return nil
    }
}

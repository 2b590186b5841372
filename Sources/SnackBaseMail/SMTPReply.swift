import NIOCore

/// One SMTP reply: a three-digit code and its text lines (`250-a`, `250-b`, `250 c` → code 250, ["a","b","c"]).
struct SMTPReply: Sendable, Equatable {
    var code: Int
    var lines: [String]
    /// Whether more bytes were already buffered when this reply was complete. After `220` to
    /// `STARTTLS` that means the server (or a man in the middle) pipelined plaintext that would be
    /// read as if it came over TLS — the client refuses to go on (the CVE-2011-0411 class of bug).
    var hadBufferedBytesAfter: Bool = false

    var text: String { lines.joined(separator: " ") }
}

/// Malformed reply stream.
struct SMTPProtocolError: Error, CustomStringConvertible {
    var description: String
}

/// Decodes the byte stream from an SMTP server into ``SMTPReply`` values, handling multi-line
/// replies. Lines end in CRLF (a bare LF is accepted). Limits: 4 KiB a line, 256 lines a reply.
struct SMTPReplyDecoder: ByteToMessageDecoder {
    typealias InboundOut = SMTPReply

    private var code: Int?
    private var lines: [String] = []

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let view = buffer.readableBytesView
        guard let lf = view.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > 4096 { throw SMTPProtocolError(description: "reply line too long") }
            return .needMoreData
        }
        let length = view.distance(from: view.startIndex, to: lf) + 1
        guard length <= 4097 else { throw SMTPProtocolError(description: "reply line too long") }
        var bytes = buffer.readBytes(length: length) ?? []
        bytes.removeLast()
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        guard bytes.count >= 3, bytes[0...2].allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            throw SMTPProtocolError(description: "malformed reply line")
        }
        let lineCode = Int(bytes[0] - 48) * 100 + Int(bytes[1] - 48) * 10 + Int(bytes[2] - 48)
        let separator = bytes.count > 3 ? bytes[3] : UInt8(ascii: " ")
        guard separator == UInt8(ascii: " ") || separator == UInt8(ascii: "-") else {
            throw SMTPProtocolError(description: "malformed reply line")
        }
        if let code, code != lineCode { throw SMTPProtocolError(description: "inconsistent codes in a multi-line reply") }
        code = lineCode
        lines.append(bytes.count > 4 ? String(decoding: bytes[4...], as: UTF8.self) : "")
        guard lines.count <= 256 else { throw SMTPProtocolError(description: "reply has too many lines") }
        if separator == UInt8(ascii: "-") { return .continue }
        let reply = SMTPReply(code: lineCode, lines: lines, hadBufferedBytesAfter: buffer.readableBytes > 0)
        code = nil
        lines = []
        context.fireChannelRead(wrapInboundOut(reply))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}

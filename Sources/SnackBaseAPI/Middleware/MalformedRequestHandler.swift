import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import SnackBaseCore

/// Answers a request that NIO's HTTP parser refuses — headers past the size limits, a malformed
/// request line, an invalid `Content-Length` — with the error JSON and a request id, like every
/// other answer, then closes the connection. Without it Hummingbird answers an empty 400.
///
/// It sits in the channel right after the HTTP/1 codec, so it sees requests and answers as parts.
/// It answers only when every request of the connection has been answered: a refused request
/// pipelined behind one still being handled is left to Hummingbird (an empty 400 after that
/// answer), so an answer can never land in the middle of another or go to the wrong request.
final class MalformedRequestHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// Requests whose head has arrived and whose answer has not ended yet.
    private var unanswered = 0

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) { unanswered += 1 }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { unanswered = max(0, unanswered - 1) }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let refusal = error as? HTTPParserError, unanswered == 0 else {
            context.fireErrorCaught(error)
            return
        }
        let failure = Self.failure(for: refusal)
        let body = ErrorResponder.body(of: failure)
        let head = HTTPResponse(status: .init(code: failure.status), headerFields: [
            .contentType: "application/json; charset=utf-8",
            .contentLength: String(body.readableBytes),
            .connection: "close",
            .requestID: SecureID.randomHex(bytes: 16),
        ])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        // The parser reads nothing more on this connection; the request was answered, so the
        // error stops here and the connection ends.
        context.close(promise: nil)
    }

    /// What the client is told: nothing of the parser's internals, only which part was wrong.
    static func failure(for error: HTTPParserError) -> SnackBaseError {
        switch error {
        case .headerOverflow:
            SnackBaseError(.headersTooLarge, message: "The request line and headers are too large (at most 80 KiB, 1,000 fields)")
        case .invalidContentLength, .unexpectedContentLength:
            .badRequest("Invalid Content-Length")
        case .invalidChunkSize:
            .badRequest("Invalid chunked body")
        default:
            .badRequest("Malformed HTTP request")
        }
    }
}

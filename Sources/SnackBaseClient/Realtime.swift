import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A change on the realtime stream (realtime.md).
public struct RealtimeEvent: Sendable {
    /// The event id, sent back as `Last-Event-ID` when the client reconnects (it does that for you).
    public let id: String
    /// `record.created`, `record.updated`, `record.hidden`, `record.deleted`, or `reset` (the missed events
    /// are no longer buffered: reload your data).
    public let event: String
    /// The parsed JSON of `data` (a string when it is not JSON).
    public let data: JSONValue

    /// An event from a frame of the stream, its `data` parsed as JSON where it is JSON.
    init(_ frame: ServerSentEvent) {
        id = frame.id
        event = frame.event
        data = (try? SnackBaseCoding.decoder().decode(JSONValue.self, from: Data(frame.data.utf8))) ?? .string(frame.data)
    }

    public var collection: String? { data["collection"]?.stringValue }
    /// The record as `GET /{id}` would show it to this subscriber (`{id}` only for hidden and deleted).
    public var record: JSONValue? { data["record"] }

    /// The record decoded into your own type.
    public func record<T: Decodable>(as type: T.Type) throws -> T {
        guard let record else { throw SnackBaseClientError(status: 0, message: "The \(event) event carries no record") }
        do { return try record.decode(as: T.self) } catch {
            throw SnackBaseClientError(status: 0, message: "Cannot decode the record as \(T.self): \(error)")
        }
    }
}

/// How a subscription connects and reconnects.
public struct RealtimeOptions: Sendable {
    /// A rule expression; only with exactly one collection topic.
    public var filter: String?
    /// Resume after this event.
    public var lastEventID: String?
    /// Superadmin only: narrow the stream to one account.
    public var accountID: String?
    /// The first reconnection delay (the server's `retry:` replaces it); doubled after each failure.
    public var retryDelay: Duration
    public var maxRetryDelay: Duration
    /// Reconnect when nothing (not even `: ping`) arrived for this long.
    public var idleTimeout: TimeInterval
    /// Called on each (re)connection once the server accepted it, with the `Last-Event-ID` sent (nil on a fresh start).
    public var onOpen: (@Sendable (_ lastEventID: String?) -> Void)?

    public init(filter: String? = nil, lastEventID: String? = nil, accountID: String? = nil, retryDelay: Duration = .seconds(1),
                maxRetryDelay: Duration = .seconds(30), idleTimeout: TimeInterval = 45,
                onOpen: (@Sendable (_ lastEventID: String?) -> Void)? = nil) {
        self.filter = filter
        self.lastEventID = lastEventID
        self.accountID = accountID
        self.retryDelay = retryDelay
        self.maxRetryDelay = maxRetryDelay
        self.idleTimeout = idleTimeout
        self.onOpen = onOpen
    }
}

extension SnackBaseClient {
    /// Follows record changes live over `GET /api/v1/realtime`.
    ///
    /// ```swift
    /// for try await change in client.subscribe(["posts"], options: RealtimeOptions(filter: #"status == "published""#)) {
    ///     if change.event == "reset" { reload() } else { apply(change) }
    /// }
    /// ```
    ///
    /// The connection opens when iteration starts and closes when it stops. The token travels in the
    /// `Authorization` header, never in the URL. The client reconnects with back-off and `Last-Event-ID`
    /// after a drop, `slow consumer` or `shutdown`; on `token expired` it refreshes and reconnects at once.
    /// The sequence throws (and ends) on `revoked` (401), `forbidden` (403), a refusal to open with
    /// 400/401/403/404, or a refused refresh.
    public func subscribe(_ topics: [String], options: RealtimeOptions = RealtimeOptions()) -> RealtimeSubscription {
        RealtimeSubscription(client: self, topics: topics.joined(separator: ","), options: options)
    }
}

/// The realtime stream as an `AsyncSequence`; each iteration opens its own connection.
public struct RealtimeSubscription: AsyncSequence, Sendable {
    public typealias Element = RealtimeEvent
    let client: SnackBaseClient
    let topics: String
    let options: RealtimeOptions

    public func makeAsyncIterator() -> AsyncIterator {
        let (stream, continuation) = AsyncThrowingStream<RealtimeEvent, any Error>.makeStream()
        let loop = RealtimeLoop(client: client, topics: topics, options: options)
        let task = Task { await loop.run(continuation) }
        continuation.onTermination = { _ in task.cancel() }
        return AsyncIterator(base: stream.makeAsyncIterator())
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<RealtimeEvent, any Error>.AsyncIterator

        public mutating func next() async throws -> RealtimeEvent? { try await base.next() }
    }
}

/// The reconnecting loop behind a subscription.
struct RealtimeLoop: Sendable {
    let client: SnackBaseClient
    let topics: String
    let options: RealtimeOptions

    private enum Outcome {
        /// Not opened: the error answer (or status 0 when the server was not reached).
        case refused(SnackBaseClientError)
        /// The server sent `closed` with this reason.
        case closed(String)
        /// The connection ended or broke.
        case ended
    }

    func run(_ out: AsyncThrowingStream<RealtimeEvent, any Error>.Continuation) async {
        var lastEventID = options.lastEventID
        var baseDelay = options.retryDelay
        var delay = baseDelay
        var refreshedForOpen = false
        var lastExpiryRefresh: ContinuousClock.Instant?
        while !Task.isCancelled {
            let headers: [String: String]
            let token: String?
            do { (headers, token) = try await client.identity() } catch {
                return out.finish(throwing: error) // a refused refresh: signed out
            }
            var retry: Int?
            var opened = false
            let outcome = await connect(headers: headers, lastEventID: &lastEventID, retry: &retry, opened: &opened, out)
            if let retry { baseDelay = .milliseconds(retry) }
            if opened {
                delay = baseDelay
                refreshedForOpen = false
            }
            if Task.isCancelled { break }
            var wait = delay
            switch outcome {
            case .refused(let error):
                if error.status == 401, token != nil, !refreshedForOpen {
                    refreshedForOpen = true
                    do { try await client.tokens.refresh(replacing: token) } catch { return out.finish(throwing: error) }
                    continue
                }
                if [400, 401, 403, 404].contains(error.status) { return out.finish(throwing: error) }
                if let seconds = error.retryAfter { wait = .seconds(seconds) }
            case .closed("revoked"):
                return out.finish(throwing: SnackBaseClientError(status: 401, message: "Realtime stream closed: revoked"))
            case .closed("forbidden"):
                return out.finish(throwing: SnackBaseClientError(status: 403, message: "Realtime stream closed: forbidden"))
            case .closed("token expired") where client.apiKey == nil && token != nil:
                // A fresh token that is "expired" again at once (clock skew?) must not spin: back off then.
                let now = ContinuousClock.now
                if let last = lastExpiryRefresh, now - last < .seconds(1) {
                    try? await Task.sleep(for: jittered(delay))
                    delay = min(delay * 2, options.maxRetryDelay)
                }
                lastExpiryRefresh = now
                do { try await client.tokens.refresh(replacing: token) } catch { return out.finish(throwing: error) }
                continue
            case .closed, .ended:
                break
            }
            do { try await Task.sleep(for: jittered(wait)) } catch { break }
            delay = min(delay * 2, options.maxRetryDelay)
        }
        out.finish()
    }

    /// One connection, read until it ends.
    private func connect(headers: [String: String], lastEventID: inout String?, retry: inout Int?, opened: inout Bool,
                         _ out: AsyncThrowingStream<RealtimeEvent, any Error>.Continuation) async -> Outcome {
        var query: [(String, String)] = [("topics", topics)]
        if let filter = options.filter { query.append(("filter", filter)) }
        if let accountID = options.accountID { query.append(("account_id", accountID)) }
        // The watchdog below ends a silent stream; this timeout (an idle one on Apple's systems, none on
        // Linux, where FoundationNetworking ignores it for a body that keeps coming) is only the fallback.
        var request = URLRequest(url: client.transport.url("/api/v1/realtime", query: query), timeoutInterval: options.idleTimeout + 15)
        request.setValue("text/event-stream", forHTTPHeaderField: "Accept")
        request.setValue("no-cache", forHTTPHeaderField: "Cache-Control")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let sentID = lastEventID.flatMap { $0.isEmpty ? nil : $0 }
        if let sentID { request.setValue(sentID, forHTTPHeaderField: "Last-Event-ID") }

        let body = ByteStream(request: request, configuration: client.transport.session.configuration)
        let activity = Activity()
        let idleTimeout = Duration.milliseconds(Int(options.idleTimeout * 1000))
        let watchdog = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: min(idleTimeout / 4, .seconds(1)))
                if await activity.silence > idleTimeout { return body.cancel() }
            }
        }
        defer {
            watchdog.cancel()
            body.cancel()
        }
        var parser = ServerSentEventParser(lastEventID: sentID ?? "")
        var status: Int?
        var errorBody = Data()
        var retryAfter: String?
        do {
            for try await part in body.parts {
                await activity.touch()
                if status == nil, let response = part.response {
                    status = response.statusCode
                    retryAfter = response.value(forHTTPHeaderField: "Retry-After")
                    if status == 200 {
                        opened = true
                        options.onOpen?(sentID)
                    }
                }
                guard status == 200 else {
                    errorBody.append(part.data)
                    continue
                }
                for frame in parser.push(part.data) {
                    if !frame.id.isEmpty { lastEventID = frame.id }
                    let event = RealtimeEvent(frame)
                    if event.event == "closed" { return .closed(event.data["reason"]?.stringValue ?? frame.data) }
                    out.yield(event)
                }
                if let value = parser.retry { retry = value }
            }
        } catch {
            if status == nil { return .refused(.unreachable(client.baseURL, error)) }
        }
        guard let status else { return .refused(SnackBaseClientError(status: 0, message: "No answer from \(client.baseURL.absoluteString)")) }
        if status != 200 { return .refused(SnackBaseClientError(status: status, data: errorBody, retryAfterHeader: retryAfter)) }
        return .ended
    }

    private func jittered(_ duration: Duration) -> Duration { duration * Double.random(in: 0.75...1.0) }
}

/// When the stream last sent anything (an event, or the server's `: ping` every 15 s).
private actor Activity {
    private var last = ContinuousClock.now
    func touch() { last = .now }
    var silence: Duration { .now - last }
}

/// A response body as it arrives, over a `URLSessionDataDelegate`: `URLSession.bytes(for:)` does not exist in
/// FoundationNetworking on Linux (swift-corelibs-foundation has `data(for:)` only), and the delegate works on
/// every platform. One session per stream, invalidated when the stream ends.
final class ByteStream: Sendable {
    struct Part: Sendable {
        let data: Data
        let response: HTTPURLResponse?
    }

    let parts: AsyncThrowingStream<Part, any Error>
    private let session: URLSession
    private let task: URLSessionDataTask

    init(request: URLRequest, configuration: URLSessionConfiguration) {
        let (parts, continuation) = AsyncThrowingStream<Part, any Error>.makeStream()
        self.parts = parts
        let delegate = Delegate(continuation: continuation)
        session = URLSession(configuration: configuration, delegate: delegate, delegateQueue: nil)
        task = session.dataTask(with: request)
        task.resume()
    }

    func cancel() {
        task.cancel()
        session.invalidateAndCancel()
    }

    private final class Delegate: NSObject, URLSessionDataDelegate, Sendable {
        let continuation: AsyncThrowingStream<Part, any Error>.Continuation

        init(continuation: AsyncThrowingStream<Part, any Error>.Continuation) { self.continuation = continuation }

        func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
            continuation.yield(Part(data: data, response: dataTask.response as? HTTPURLResponse))
        }

        func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
            continuation.yield(Part(data: Data(), response: task.response as? HTTPURLResponse))
            if let error { continuation.finish(throwing: error) } else { continuation.finish() }
        }
    }
}

import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SnackBaseTesting
import Synchronization

/// One Server-Sent Event as `EventSource` dispatches it (HTML standard, "Parsing an event stream").
struct ServerSentEvent: Sendable, Equatable {
    let id: String
    let event: String
    let data: String

    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(data.utf8))) as? [String: Any] ?? [:] }
    var record: [String: Any] { json["record"] as? [String: Any] ?? [:] }
    var recordID: String? { record["id"] as? String }
}

/// A realtime stream read the way `EventSource` reads one, over a real connection to a live server:
/// bytes as they arrive, split into lines at CR, LF or CRLF, fields `id`, `event`, `data`, comments
/// ignored, an event dispatched at a blank line (none when its data is empty, but its id is kept).
final class EventStreamClient: Sendable {
    let status: Int
    let headers: HTTPHeaders
    private struct State {
        var events: [ServerSentEvent] = []
        var lastID = ""
        var ended = false
    }
    /// Shared with the reading task.
    private final class Shared: Sendable {
        let state = Mutex(State())
    }
    private let shared = Shared()
    private let reader = Mutex<Task<Void, Never>?>(nil)

    /// The last event id the stream set (what a reconnecting client sends as `Last-Event-ID`).
    var lastEventID: String { shared.state.withLock { $0.lastID } }
    /// True once the server ended the response.
    var isEnded: Bool { shared.state.withLock { $0.ended && $0.events.isEmpty } }

    /// Opens `path` on the live server at `port`; the status is known when this returns.
    static func open(port: Int, _ path: String, headers: [(String, String)] = [], read: Bool = true) async throws -> EventStreamClient {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.headers.add(name: "Accept", value: "text/event-stream")
        // A connection of its own that is never reused: the server closes a stream's connection
        // right after the stream's end, and a pooled one picked up in between (by the next stream
        // of any test: the shared client pools by host and port, which later servers reuse) failed
        // with remoteConnectionClosed or "I/O on closed channel" under load.
        request.headers.add(name: "Connection", value: "close")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(600))
        let client = EventStreamClient(status: Int(response.status.code), headers: response.headers)
        if read { client.startReading(response.body) } else { client.held.withLock { $0 = response.body } }
        return client
    }

    /// The body of a stream opened with `read: false` (a client that does not read).
    private let held = Mutex<HTTPClientResponse.Body?>(nil)

    private init(status: Int, headers: HTTPHeaders) {
        self.status = status
        self.headers = headers
    }

    /// Starts reading a stream opened with `read: false`.
    func resume() {
        guard let body = held.withLock({ $0.take() }) else { return }
        startReading(body)
    }

    private func startReading(_ body: HTTPClientResponse.Body) {
        let shared = self.shared
        let task = Task {
                var parser = EventStreamParser()
                do {
                    for try await buffer in body {
                        let events = parser.feed(Array(buffer.readableBytesView))
                        let id = parser.lastEventID
                        shared.state.withLock { state in
                            state.events += events
                            state.lastID = id
                        }
                    }
                } catch {}
                shared.state.withLock { $0.ended = true }
        }
        reader.withLock { $0 = task }
    }

    /// The next event; nil when the stream ended. Fails after `timeout` (a guard against a hang, not a measurement).
    func next(timeout: Duration = .seconds(20)) async throws -> ServerSentEvent? {
        let deadline = ContinuousClock.now + timeout
        while true {
            let (event, ended): (ServerSentEvent?, Bool) = shared.state.withLock { state in
                state.events.isEmpty ? (nil, state.ended) : (state.events.removeFirst(), false)
            }
            if let event { return event }
            if ended { return nil }
            guard ContinuousClock.now < deadline else { throw TestFailure("no realtime event within \(timeout)") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// The events up to and including the first that `isLast` accepts.
    func events(until isLast: (ServerSentEvent) -> Bool) async throws -> [ServerSentEvent] {
        var seen: [ServerSentEvent] = []
        while let event = try await next() {
            seen.append(event)
            if isLast(event) { return seen }
        }
        throw TestFailure("the stream ended before the expected event; saw \(seen.map(\.event))")
    }

    /// The events received so far and not yet read, without waiting.
    func drain() -> [ServerSentEvent] {
        shared.state.withLock { state in
            defer { state.events.removeAll() }
            return state.events
        }
    }

    func close() {
        reader.withLock { $0?.cancel() }
        held.withLock { $0 = nil }
    }
}

/// The event-stream parser of the HTML standard.
struct EventStreamParser {
    private var line: [UInt8] = []
    private var afterCR = false
    private var data = ""
    private var eventType = ""
    private var idBuffer = ""
    private(set) var lastEventID = ""

    mutating func feed(_ bytes: [UInt8]) -> [ServerSentEvent] {
        var dispatched: [ServerSentEvent] = []
        for byte in bytes {
            if afterCR {
                afterCR = false
                if byte == 0x0A { continue }
            }
            if byte == 0x0D || byte == 0x0A {
                afterCR = byte == 0x0D
                if let event = process(String(decoding: line, as: UTF8.self)) { dispatched.append(event) }
                line.removeAll(keepingCapacity: true)
            } else {
                line.append(byte)
            }
        }
        return dispatched
    }

    private mutating func process(_ line: String) -> ServerSentEvent? {
        if line.isEmpty {
            lastEventID = idBuffer
            guard !data.isEmpty else {
                eventType = ""
                return nil
            }
            if data.hasSuffix("\n") { data.removeLast() }
            let event = ServerSentEvent(id: lastEventID, event: eventType.isEmpty ? "message" : eventType, data: data)
            data = ""
            eventType = ""
            return event
        }
        if line.hasPrefix(":") { return nil }
        let field: Substring
        var value: Substring
        if let colon = line.firstIndex(of: ":") {
            field = line[..<colon]
            value = line[line.index(after: colon)...]
            if value.hasPrefix(" ") { value.removeFirst() }
        } else {
            field = Substring(line)
            value = ""
        }
        switch field {
        case "event": eventType = String(value)
        case "data": data += value + "\n"
        case "id": if !value.contains("\0") { idBuffer = String(value) }
        default: break
        }
        return nil
    }
}

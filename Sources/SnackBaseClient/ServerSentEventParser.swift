/// One event of a `text/event-stream`, as the HTML standard dispatches it.
public struct ServerSentEvent: Sendable, Hashable {
    /// The last event ID buffer when the event was dispatched ("" when none was ever set).
    public let id: String
    /// The `event` field, "message" when absent.
    public let event: String
    /// The `data` lines joined with "\n".
    public let data: String
}

/// An incremental `text/event-stream` parser following the HTML standard (§9.2.6), over bytes in any
/// chunking: lines end with CRLF, LF or CR (a CR at the end of one chunk and an LF at the start of the
/// next are one line end); a leading BOM is skipped; `:` starts a comment; `data` lines join with "\n";
/// `id` persists across events and is ignored when it contains NUL; `retry` takes ASCII digits only; an
/// event is dispatched at a blank line and only when it has data. Lines are decoded as UTF-8 once complete,
/// so a character split between chunks is kept whole.
public struct ServerSentEventParser: Sendable {
    /// The last event ID buffer: survives across events, as the standard says.
    public private(set) var lastEventID = ""
    /// The last `retry:` value in milliseconds.
    public private(set) var retry: Int?
    /// Comments seen since the last call of `push` (the server's `: ping`): for idle detection.
    public private(set) var comments = 0

    private var line: [UInt8] = []
    private var data = ""
    private var hasData = false
    private var type = ""
    private var afterCR = false
    private var started = false

    /// - Parameter lastEventID: resume the last event ID buffer of an earlier connection.
    public init(lastEventID: String = "") { self.lastEventID = lastEventID }

    /// Feeds bytes; answers the events completed by them, in order.
    public mutating func push(_ bytes: some Sequence<UInt8>) -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        comments = 0
        for byte in bytes {
            if afterCR {
                afterCR = false
                if byte == 0x0A { continue }
            }
            switch byte {
            case 0x0A:
                if let event = finishLine() { events.append(event) }
            case 0x0D:
                afterCR = true
                if let event = finishLine() { events.append(event) }
            default:
                line.append(byte)
            }
        }
        return events
    }

    /// The stream ended: an unfinished event is discarded (the last event ID stays).
    public mutating func end() {
        line = []
        data = ""
        hasData = false
        type = ""
        afterCR = false
    }

    private mutating func finishLine() -> ServerSentEvent? {
        var bytes = line[...]
        line = []
        if !started {
            started = true
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        }
        if bytes.isEmpty { return dispatch() }
        if bytes.first == UInt8(ascii: ":") {
            comments += 1
            return nil
        }
        let text = String(decoding: bytes, as: UTF8.self)
        let field: Substring
        var value: Substring
        if let colon = text.firstIndex(of: ":") {
            field = text[..<colon]
            value = text[text.index(after: colon)...]
            if value.first == " " { value = value.dropFirst() }
        } else {
            field = text[...]
            value = ""
        }
        switch field {
        case "event": type = String(value)
        case "data":
            if hasData { data += "\n" }
            data += value
            hasData = true
        case "id": if !value.contains("\u{0}") { lastEventID = String(value) }
        case "retry": if !value.isEmpty, value.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let ms = Int(value) { retry = ms }
        default: break // unknown fields are ignored
        }
        return nil
    }

    private mutating func dispatch() -> ServerSentEvent? {
        defer {
            data = ""
            hasData = false
            type = ""
        }
        guard hasData else { return nil }
        return ServerSentEvent(id: lastEventID, event: type.isEmpty ? "message" : type, data: data)
    }
}

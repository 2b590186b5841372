import Foundation
import SnackBaseClient
import Testing

/// The client's `text/event-stream` parser alone, by the HTML standard's rules (no server).
@Suite("SnackBaseClient: the SSE parser and JSONValue")
struct ServerSentEventParserTests {
    /// Feeds `text` in pieces of `size` bytes and answers every event.
    static func parse(_ text: String, size: Int) -> (events: [ServerSentEvent], parser: ServerSentEventParser) {
        var parser = ServerSentEventParser()
        let bytes = Array(text.utf8)
        var events: [ServerSentEvent] = []
        for start in stride(from: 0, to: bytes.count, by: size) { events += parser.push(bytes[start..<min(start + size, bytes.count)]) }
        return (events, parser)
    }

    @Test("SSE-001: CRLF, LF and CR line ends, in any chunking (a CR and its LF in two chunks, a UTF-8 character split), give the same events",
          arguments: [1, 2, 3, 7, 1000])
    func chunking(size: Int) {
        let stream = "\u{FEFF}: snackbase realtime\r\nretry: 2000\r\n\r\nid: 1\revent: record.created\rdata: {\"t\":\"Grüße 🍿\"}\r\rid: 2\nevent: record.deleted\ndata: a\ndata:b\n\n"
        let (events, parser) = Self.parse(stream, size: size)
        #expect(events.map { [$0.id, $0.event, $0.data] } == [["1", "record.created", #"{"t":"Grüße 🍿"}"#], ["2", "record.deleted", "a\nb"]])
        #expect(parser.retry == 2000 && parser.lastEventID == "2")
    }

    @Test("SSE-002: the id persists, an id with NUL is ignored, no data dispatches nothing, retry takes digits only, an unfinished event is dropped")
    func rules() {
        var parser = ServerSentEventParser(lastEventID: "7")
        let events = parser.push(Array("data: x\n\nid: a\u{0}b\ndata: y\n\nevent: e\n\nretry: 1s\nretry: 15\nfield without colon\ndata\n\ndata: unfinished".utf8))
        #expect(events.map(\.id) == ["7", "7", "7"])
        #expect(events.map(\.data) == ["x", "y", ""])
        #expect(events.map(\.event) == ["message", "message", "message"], "the `event: e` block had no data")
        #expect(parser.retry == 15)
        parser.end()
        #expect(parser.push(Array("\n".utf8)).isEmpty, "the unfinished event was discarded")
    }

    @Test("JSON-001: JSONValue round-trips and keeps whole numbers whole")
    func jsonValue() throws {
        let value: JSONValue = ["title": "Grüße", "views": 3, "ratio": 0.5, "tags": ["a", nil, true], "nested": ["empty": [:]]]
        let data = try JSONEncoder().encode(value)
        #expect(try JSONDecoder().decode(JSONValue.self, from: data) == value)
        #expect(String(decoding: try JSONEncoder().encode(JSONValue.number(3)), as: UTF8.self) == "3")
        #expect(value["tags"]?[2]?.boolValue == true && value["views"]?.intValue == 3 && value["ratio"]?.intValue == nil)
    }
}

import Foundation
import SQLKit
import SnackBaseAuth
import SnackBaseCore
@testable import SnackBaseService
import SnackBaseStore
import SnackBaseTesting
import Synchronization
import Testing

/// ``RealtimeRelay``: what a process published it receives back as the change it kept; what another
/// process published it opens; what neither sealed it refuses.
@Suite("Realtime relay between processes")
struct RealtimeRelayTests {
    /// Keeps the messages published, in order, instead of sending them.
    final class CapturingFeed: ChangeFeed {
        let messages = Mutex<[String]>([])
        func publish(_ invalidation: CacheInvalidation) async {}
        func publishRecordChange(_ message: String, account: AccountID, on db: any SQLDatabase) async throws {
            messages.withLock { $0.append(message) }
        }
        func listen(onListening: @escaping @Sendable () async -> Void, apply: @escaping @Sendable (CacheInvalidation) async -> Void,
                    receive: @escaping @Sendable (String) async -> Void) async {}
    }

    static func change(_ title: String) throws -> RecordChange {
        RecordChange(kind: .updated, accountID: try #require(AccountID("AB0001")), collection: "posts", recordID: "rec_1",
                     before: ["title": .text("before"), "views": .number(nil)],
                     after: ["title": .text(title), "views": .number(2.5), "draft": .bool(false)], at: "2026-12-04T21:00:00.000Z")
    }

    @Test("RT-RELAY-001: a process's own change comes back as kept (once), another process's opens to the same change, a forged one does not")
    func ownAndOthers() async throws {
        let secret = Array("relay-secret-0123456789abcdef0123456789abcdef".utf8)
        let feed = CapturingFeed()
        let here = RealtimeRelay(feed: feed, sealer: try SecretSealer(secretKey: secret))
        let elsewhere = RealtimeRelay(feed: CapturingFeed(), sealer: try SecretSealer(secretKey: secret))
        let stranger = RealtimeRelay(feed: CapturingFeed(), sealer: try SecretSealer(secretKey: Array("another-secret-0123456789abcdef0123456789ab".utf8)))
        let change = try Self.change("after")
        try await TestDatabase.with(.sqlite) { database in
            try await database.transaction { db in try await here.publish(change, on: db) }
        }
        let message = try #require(feed.messages.withLock { $0.first })
        #expect(here.keptChanges == 1)
        // Another process with the same secret opens and decodes it to the very change.
        #expect(elsewhere.open(message) == change)
        #expect(stranger.open(message) == nil)
        // Here it is the kept change, taken once; a second delivery of the same message is opened like any other.
        #expect(here.open(message) == change)
        #expect(here.keptChanges == 0)
        #expect(here.open(message) == change)
        #expect(here.open(String(message.dropLast(2)) + "AA") == nil)
    }

    @Test("RT-RELAY-002: the kept changes are bounded: the oldest is forgotten past the limit, each is taken once")
    func ownChangesBounded() throws {
        let own = OwnChanges(limit: 2)
        own.keep(try Self.change("a"), as: "m-a")
        own.keep(try Self.change("b"), as: "m-b")
        own.keep(try Self.change("c"), as: "m-c")
        #expect(own.count == 2)
        #expect(own.take("m-a") == nil)
        #expect(own.take("m-b") == (try Self.change("b")))
        #expect(own.take("m-b") == nil)
        #expect(own.take("m-c") == (try Self.change("c")))
        #expect(own.count == 0)
    }

    @Test("RT-RELAY-003: the wire JSON of the Codable form of before still opens (processes of either build read each other's); a wrong shape does not")
    func wireFormat() throws {
        let secret = Array("relay-secret-0123456789abcdef0123456789abcdef".utf8)
        let relay = RealtimeRelay(feed: CapturingFeed(), sealer: try SecretSealer(secretKey: secret))
        let sealer = try SecretSealer(secretKey: secret).derived(info: RealtimeRelay.info)
        func sealed(_ json: String) throws -> String { try sealer.seal(Array(json.utf8), associatedData: RealtimeRelay.associatedData) }
        // As JSONEncoder wrote WireChange: no `before`/`after` key when absent, numbers as Double.
        let codable = #"{"kind":"updated","account":"AB0001","collection":"posts","id":"rec_1","before":{"title":["t","before"],"views":["n",null]},"after":{"title":["t","after"],"views":["n",2.5],"draft":["b",false]},"at":"2026-12-04T21:00:00.000Z"}"#
        #expect(relay.open(try sealed(codable)) == (try Self.change("after")))
        let created = #"{"kind":"created","account":"AB0001","collection":"posts","id":"rec_2","after":{"n":["n",3]},"at":"2026-12-04T21:00:00.000Z"}"#
        let opened = try #require(relay.open(try sealed(created)))
        #expect(opened.kind == .created && opened.before == nil && opened.after == ["n": .number(3)])
        for wrong in [
            #"{"kind":"renamed","account":"AB0001","collection":"posts","id":"r","at":"x"}"#,
            #"{"kind":"created","account":"not-an-id","collection":"posts","id":"r","at":"x"}"#,
            #"{"kind":"created","account":"AB0001","collection":"posts","at":"x"}"#,
            #"{"kind":"created","account":"AB0001","collection":"posts","id":"r","at":"x","after":{"a":["n","3"]}}"#,
            #"{"kind":"created","account":"AB0001","collection":"posts","id":"r","at":"x","after":{"a":["x",null]}}"#,
            #"{"kind":"created","account":"AB0001","collection":"posts","id":"r","at":"x","after":{"a":["t"]}}"#,
            #"{"kind":"created","account":"AB0001","collection":"posts","id":"r","at":"x","after":[]}"#,
            #"{"kind":"created","account":"AB0001","collection":"posts","id":"r","at":"x"} trailing"#,
        ] {
            #expect(relay.open(try sealed(wrong)) == nil, "\(wrong)")
        }
    }
}

import Foundation
import HTTPTypes
import HummingbirdTesting
import SnackBaseAuth
import SnackBaseService
import SnackBaseTesting
import Testing

/// How realtime streams end, and what keeps an idle one alive (realtime.md "Events", "When a
/// stream ends"), over real connections to a live server. Where an SSE parser would hide what is
/// checked (comment lines, whether the server ended the connection, a client that does not read),
/// the stream is a plain socket read byte for byte (``RawHTTPStream``).
@Suite("Realtime: how streams end")
struct RealtimeEndingTests {
    static let open = "snackbase_realtime_streams"
    static let dropped = "snackbase_realtime_events_dropped_total"
    static func closed(_ reason: String) -> String { #"snackbase_realtime_streams_closed_total{reason="\#(reason)"}"# }
    static let slowConsumerFrame = #"event: closed"# + "\n" + #"data: {"reason":"slow consumer"}"#

    /// A collection `posts` and the tenant acme, whose admin reads every post.
    static func setUp(_ app: TestApp) async throws -> TestApp.Tenant {
        let root = try await app.superadminToken()
        try await app.createCollection("posts", fields: #"[{"name":"title","type":"text"},{"name":"body","type":"text"}]"#, root: root)
        return try await app.register("acme")
    }

    /// Waits until `metric` satisfies `holds`; how long that took, or nil when it did not within `timeout`.
    static func waitFor(_ app: TestApp, _ metric: String, timeout: Duration = .seconds(20), _ holds: (Int) -> Bool) async throws -> Duration? {
        let start = ContinuousClock.now
        while ContinuousClock.now - start < timeout {
            if holds(try await app.metric(metric) ?? 0) { return ContinuousClock.now - start }
            try await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    @Test("RT-006: a client that stops reading gets closed: slow consumer, and the server releases its connection within a bounded time; the other streams get every event")
    func slowConsumer() async throws {
        // A buffer of 8 events; the events are 48 KB, so that the socket buffers of the stuck
        // connection (some MB on loopback) fill after a few hundred at most.
        try await TestApp.run(live: true, realtime: RealtimeSettings(buffer: 8)) { app in
            let port = try #require(app.client.port)
            let acme = try await Self.setUp(app)
            let path = "/api/v1/realtime?topics=posts"
            let bearer = [("Authorization", "Bearer \(acme.token)")]
            let readers = [try await EventStreamClient.open(port: port, path, headers: bearer), try await EventStreamClient.open(port: port, path, headers: bearer)]
            defer { for reader in readers { reader.close() } }
            let body = String(repeating: "0123456789abcdef", count: 3_000)
            var written: [String] = []
            /// Writes events until `dropped` passes `before` (a stream overflowed); false when it never did.
            func writeUntilOverflow(after before: Int) async throws -> Bool {
                for _ in 0..<600 {
                    let created = try await app.request(.post, "/api/v1/posts", json: #"{"title":"e\#(written.count)","body":"\#(body)"}"#, token: acme.token)
                    written.append(try #require(created.string("id"), "\(created.status) \(created.text)"))
                    if try await app.metric(Self.dropped) ?? 0 > before { return true }
                }
                return false
            }

            // A client that sends its request and never reads, with a small receive buffer.
            let stuck = try RawHTTPStream(port: port, path, headers: bearer, receiveBuffer: 4096)
            defer { stuck.close() }
            #expect(try await Self.waitFor(app, Self.open) { $0 == 3 } != nil, "the stuck stream opened")
            #expect(try await writeUntilOverflow(after: 0), "no stream overflowed after \(written.count) events of 48 KB")
            let overflowAt = written.count
            // Released: its response ended on the server (counted as closed by slow consumer, no
            // longer open) while the client still reads nothing. The bound is the server's deadline
            // for writing `closed` (a few seconds) with a wide margin for a busy machine.
            let released = try await Self.waitFor(app, Self.closed("slow_consumer")) { $0 == 1 }
            #expect(released != nil && released! < .seconds(15), "the stuck stream was not released (\(released.map { "\($0)" } ?? "never"))")
            #expect(try await app.metric(Self.open) == 2)
            // What the client finds when it reads at last: a stream the server ended, that fell behind.
            #expect(try await stuck.readToEnd(timeout: .seconds(20)), "the server kept the stuck connection open")
            #expect(stuck.status == 200, "\(stuck.head)")
            let stuckEvents = stuck.frames.filter { $0.contains("event: record.created") }
            #expect(stuckEvents.count < overflowAt, "\(stuckEvents.count) of \(overflowAt)")
            let closings = stuck.frames.filter { $0.contains("event: closed") }
            #expect(closings.allSatisfy { $0 == Self.slowConsumerFrame } && (closings.isEmpty || stuck.frames.last == Self.slowConsumerFrame),
                    "\(closings)")

            // A client that stops reading and reads again at once when it overflowed gets what was
            // written to it, then `closed: slow consumer`, then the end of the response.
            let paused = try RawHTTPStream(port: port, path, headers: bearer, receiveBuffer: 4096)
            defer { paused.close() }
            #expect(try await Self.waitFor(app, Self.open) { $0 == 3 } != nil, "the paused stream opened")
            let droppedBefore = try await app.metric(Self.dropped) ?? 0
            #expect(try await writeUntilOverflow(after: droppedBefore), "the paused stream did not overflow")
            try await paused.read(until: { $0.responseEnded || $0.endedByServer }, timeout: .seconds(20))
            #expect(paused.status == 200, "\(paused.head)")
            #expect(paused.frames.last == Self.slowConsumerFrame, "last frames: \(paused.frames.suffix(2).map { $0.prefix(80) })")
            #expect(paused.responseEnded, "the response did not end with its last chunk")
            #expect(try await paused.readToEnd(timeout: .seconds(10)), "the server kept the connection open after closed")
            #expect(try await Self.waitFor(app, Self.closed("slow_consumer")) { $0 == 2 } != nil)

            // The readers were not held up: every event, in order, and the last one soon after its write.
            let last = try await app.request(.post, "/api/v1/posts", json: #"{"title":"last"}"#, token: acme.token)
            let answered = ContinuousClock.now
            written.append(try #require(last.string("id")))
            for (index, reader) in readers.enumerated() {
                let events = try await reader.events(until: { $0.recordID == written.last })
                let elapsed = ContinuousClock.now - answered
                #expect(events.map(\.event) == Array(repeating: "record.created", count: written.count), "reader \(index)")
                #expect(events.map(\.recordID) == written, "reader \(index) missed or reordered events")
                #expect(elapsed < .seconds(5), "reader \(index) got the last event \(elapsed) after its write")
            }
            #expect(try await app.metric(Self.open) == 2)
        }
    }

    @Test("RT-007: an idle stream receives `: ping` comment lines every SNACKBASE_REALTIME_HEARTBEAT seconds (1 s here), which dispatch no event")
    func heartbeats() async throws {
        try await TestApp.run(live: true, realtime: RealtimeSettings(heartbeatSeconds: 1)) { app in
            let port = try #require(app.client.port)
            let acme = try await Self.setUp(app)
            let opened = ContinuousClock.now
            let idle = try RawHTTPStream(port: port, "/api/v1/realtime?topics=posts", headers: [("Authorization", "Bearer \(acme.token)")])
            defer { idle.close() }
            let gotThree = try await idle.read(until: { $0.frames.filter { $0 == ": ping" }.count >= 3 }, timeout: .seconds(10))
            let elapsed = ContinuousClock.now - opened
            #expect(idle.status == 200, "\(idle.head)")
            #expect(gotThree, "frames: \(idle.frames)")
            // Three pings a second apart at the soonest: not earlier than the setting.
            #expect(elapsed >= .milliseconds(2900), "three pings within \(elapsed)")
            // Nothing but the opening comment, the stream's position and pings.
            let frames = idle.frames
            #expect(frames.first?.hasPrefix(": snackbase realtime") == true, "\(frames)")
            #expect(frames.dropFirst().first?.hasPrefix("id: ") == true, "\(frames)")
            #expect(frames.dropFirst(2).allSatisfy { $0 == ": ping" }, "\(frames)")
            #expect(!idle.endedByServer)
            // A comment is invisible to EventSource: no event, and the last event id is the position's.
            var parser = EventStreamParser()
            #expect(parser.feed(idle.body).isEmpty)
        }
    }

    @Test("RT-008: a stream opened with an access token that expires ends by itself at the expiry with closed: token expired (bearer and ticket); others go on")
    func tokenExpiry() async throws {
        try await TestApp.run(live: true) { app in
            let port = try #require(app.client.port)
            let acme = try await Self.setUp(app)
            let path = "/api/v1/realtime?topics=posts"
            // The admin's sign-in, with an access token that expires in 3 s.
            let claims = try await app.services.tokens.verify(acme.token, expecting: .access)
            let now = Int(Date().timeIntervalSince1970)
            let expiresAt = now + 3
            let short = try await app.services.tokens.sign(Claims(
                subject: claims.subject, accountID: claims.accountID, type: .access, id: "jti_rt008_\(UUID().uuidString)",
                issuedAt: now, expiresAt: expiresAt, issuer: TokenService.issuer, family: claims.family
            ))
            let byBearer = try await EventStreamClient.open(port: port, path, headers: [("Authorization", "Bearer \(short)")])
            let ticket = try #require(try await app.request(.post, "/api/v1/realtime/tickets", token: short).string("ticket"))
            let byTicket = try await EventStreamClient.open(port: port, path + "&ticket=\(ticket)")
            let control = try await EventStreamClient.open(port: port, path, headers: [("Authorization", "Bearer \(acme.token)")])
            defer { byBearer.close(); byTicket.close(); control.close() }
            #expect(byBearer.status == 200 && byTicket.status == 200 && control.status == 200)
            let openedAt = Date().timeIntervalSince1970

            // No write happens: the expiry alone ends the streams.
            for (name, stream) in [("bearer", byBearer), ("ticket", byTicket)] {
                let event = try await stream.next(timeout: .seconds(10))
                let at = Date().timeIntervalSince1970
                #expect(event?.event == "closed", "\(name): \(event?.event ?? "the end") \(event?.data ?? "")")
                #expect(event?.json["reason"] as? String == "token expired", "\(name): \(event?.data ?? "")")
                #expect(at >= Double(expiresAt), "\(name): closed \(Double(expiresAt) - at) s before the token expired")
                #expect(at < max(Double(expiresAt), openedAt) + 5, "\(name): closed \(at - Double(expiresAt)) s after the token expired")
                #expect(try await stream.next() == nil, "\(name): the response ends after closed")
            }
            #expect(try await Self.waitFor(app, Self.closed("token_expired")) { $0 == 2 } != nil)
            // The stream of a token that has not expired goes on.
            let after = try #require(try await app.request(.post, "/api/v1/posts", json: #"{"title":"after"}"#, token: acme.token).string("id"))
            #expect(try await control.events(until: { $0.recordID == after }).map(\.event) == ["record.created"])
            #expect(try await app.metric(Self.open) == 1)
        }
    }
}

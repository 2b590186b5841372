import Foundation
import SnackBaseClient
import Synchronization
import Testing

/// The realtime stream through the Swift client, against a live server.
@Suite("SnackBaseClient: realtime", .serialized)
struct ClientRealtimeTests {
    @Test("CL-RT-001: subscribe receives record.created, record.updated and record.deleted, the records decodable into the caller's type")
    func receives() async throws {
        try await LiveServer.run { server in
            try await server.createPosts()
            let admin = try await server.register("rt-co")
            let listener = Listener { admin.subscribe(["posts"], options: $0) }
            defer { listener.stop() }
            #expect(try await eventually { listener.opens.count == 1 })
            let posts = admin.records("posts", as: Post.self)
            let created = try await posts.create(Post(title: "Live", status: "draft"))
            let id = try #require(created.id)
            _ = try await posts.update(id, ["status": "published"])
            try await posts.delete(id)
            #expect(try await eventually { listener.events.count >= 3 })
            let events = listener.events
            #expect(events.map(\.event) == ["record.created", "record.updated", "record.deleted"], "\(events.map(\.event))")
            #expect(events.allSatisfy { $0.collection == "posts" && $0.record?["id"]?.stringValue == id })
            #expect(try events[1].record(as: Post.self).status == "published")
            let ids = events.compactMap { Int($0.id) }
            #expect(ids.count == 3 && ids == ids.sorted() && Set(ids).count == 3, "event ids increase")
        }
    }

    @Test("CL-RT-002: a filter narrows the events; a topic the caller cannot read ends the sequence with the API's 403")
    func filterAndRefusal() async throws {
        try await LiveServer.run { server in
            try await server.createPosts()
            let admin = try await server.register("rt-filter")
            let listener = Listener(RealtimeOptions(filter: #"status == "pub lished ✓""#)) { admin.subscribe(["posts"], options: $0) }
            defer { listener.stop() }
            #expect(try await eventually { listener.opens.count == 1 })
            let posts = admin.records("posts", as: Post.self)
            _ = try await posts.create(Post(title: "hidden", status: "draft"))
            _ = try await posts.create(Post(title: "shown", status: "pub lished ✓"))
            #expect(try await eventually { listener.events.count >= 1 })
            try await Task.sleep(for: .milliseconds(300))
            #expect(listener.events.map { $0.record?["title"]?.stringValue } == ["shown"])

            _ = try await admin.roles.create(["name": "nobody"] as JSONValue)
            _ = try await admin.users.create(["email": "n@rt-filter.test", "password": .string(LiveServer.password), "roles": ["nobody"]] as JSONValue)
            let nobody = server.client()
            try await nobody.auth.login(account: "rt-filter", email: "n@rt-filter.test", password: LiveServer.password)
            let refused = await #expect(throws: SnackBaseClientError.self) { for try await _ in nobody.subscribe(["posts"]) {} }
            #expect(refused?.status == 403 && refused?.message.isEmpty == false, "\(String(describing: refused))")
            let unknown = await #expect(throws: SnackBaseClientError.self) { for try await _ in admin.subscribe(["nosuchcollection"]) {} }
            #expect(unknown?.status == 404)
        }
    }

    @Test("CL-RT-003: a subscription resumes after lastEventID: the events missed while away arrive first")
    func resumes() async throws {
        try await LiveServer.run { server in
            try await server.createPosts()
            let admin = try await server.register("rt-resume")
            let posts = admin.records("posts", as: Post.self)
            let first = Listener { admin.subscribe(["posts"], options: $0) }
            #expect(try await eventually { first.opens.count == 1 })
            _ = try await posts.create(Post(title: "one"))
            #expect(try await eventually { first.events.count == 1 })
            first.stop()
            let seen = try #require(first.events.first?.id)
            _ = try await posts.create(Post(title: "two"))
            _ = try await posts.create(Post(title: "three"))

            let second = Listener(RealtimeOptions(lastEventID: seen)) { admin.subscribe(["posts"], options: $0) }
            defer { second.stop() }
            #expect(try await eventually { second.events.count >= 2 })
            #expect(second.opens == [seen], "Last-Event-ID sent")
            #expect(second.events.map { $0.record?["title"]?.stringValue } == ["two", "three"])
        }
    }

    @Test("CL-RT-004: when the stream's token expires the client refreshes, reconnects with Last-Event-ID, and events keep coming once each")
    func reconnects() async throws {
        try await LiveServer.run(accessTTL: 2) { server in
            try await server.createPosts()
            let admin = try await server.register("rt-expiry")
            let posts = admin.records("posts", as: Post.self)
            let listener = Listener(RealtimeOptions(retryDelay: .milliseconds(100))) { admin.subscribe(["posts"], options: $0) }
            defer { listener.stop() }
            #expect(try await eventually { listener.opens.count == 1 })
            _ = try await posts.create(Post(title: "before"))
            #expect(try await eventually { listener.events.count == 1 })
            let before = try #require(listener.events.first?.id)
            // The server closes the stream with `closed: token expired` at the token's `exp` (2 s); the
            // reconnection after that sends the id seen. (On a slow machine the first token may already
            // have expired before "before" arrived: then a later reconnection is the one.)
            #expect(try await eventually { listener.opens.contains(before) }, "reconnected with Last-Event-ID \(before): \(listener.opens)")
            _ = try await posts.create(Post(title: "after"))
            #expect(try await eventually { listener.events.contains { $0.record?["title"]?.stringValue == "after" } })
            #expect(listener.events.filter { $0.record?["title"]?.stringValue == "before" }.count == 1, "no event twice")
            #expect(listener.failure == nil)
        }
    }
}

extension ClientRealtimeTests {
    @Test("CL-RT-005: after signing out, the next event ends the open stream (`closed: revoked`): the sequence throws a 401, no reconnection")
    func revokedOnLogout() async throws {
        try await LiveServer.run { server in
            try await server.createPosts()
            let admin = try await server.register("rt-logout")
            let user = server.client()
            try await user.auth.login(account: "rt-logout", email: "admin@rt-logout.test", password: LiveServer.password)
            let listener = Listener { user.subscribe(["posts"], options: $0) }
            defer { listener.stop() }
            #expect(try await eventually { listener.opens.count == 1 })
            try await user.auth.logout()
            // The server finds the caller gone when it next has an event for the stream.
            _ = try await admin.records("posts").create(["title": "after the logout"] as JSONValue)
            #expect(try await eventually { listener.failure != nil }, "the sequence ended")
            #expect(listener.failure?.status == 401 && listener.failure?.message.contains("revoked") == true, "\(String(describing: listener.failure))")
            #expect(listener.events.isEmpty, "the signed-out caller got no event")
            try await Task.sleep(for: .milliseconds(300))
            #expect(listener.opens.count == 1, "no reconnection after revoked")
        }
    }
}

/// Iterates a subscription in the background, recording events, (re)connections and the error that ended it.
final class Listener: Sendable {
    private struct State {
        var events: [RealtimeEvent] = []
        var opens: [String?] = []
        var failure: SnackBaseClientError?
    }

    private let state = Mutex(State())
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(_ options: RealtimeOptions = RealtimeOptions(), _ subscribe: (RealtimeOptions) -> RealtimeSubscription) {
        var options = options
        options.onOpen = { [self] id in state.withLock { $0.opens.append(id) } }
        let subscription = subscribe(options)
        let running = Task { [self] in
            do {
                for try await event in subscription { state.withLock { $0.events.append(event) } }
            } catch {
                state.withLock { $0.failure = error as? SnackBaseClientError }
            }
        }
        task.withLock { $0 = running }
    }

    var events: [RealtimeEvent] { state.withLock { $0.events } }
    var opens: [String?] { state.withLock { $0.opens } }
    var failure: SnackBaseClientError? { state.withLock { $0.failure } }

    func stop() { task.withLock { $0?.cancel() } }
}

import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOHTTP1
import SnackBaseService
import SnackBaseStore
import SQLKit
import SnackBaseTesting
import Testing

/// Realtime streams (realtime.md), opened over real connections to a live server and read as
/// `EventSource` reads them. The oracle is `GET /records/{collection}/{id}` as each subscriber,
/// asked right after each write: a stream must carry exactly what that answer allows.
@Suite("Realtime")
struct RealtimeTests {
    /// A subscriber: how it reads records over REST, and its stream.
    struct Subscriber {
        let name: String
        let token: String?
        let account: String?
        var headers: HTTPFields {
            var fields = HTTPFields()
            if let token { fields[.authorization] = "Bearer \(token)" }
            if let account { fields[HTTPField.Name("X-Account")!] = account }
            return fields
        }
        var streamHeaders: [(String, String)] {
            token.map { [("Authorization", "Bearer \($0)")] } ?? []
        }
    }

    /// What a subscriber's stream should carry for one write.
    struct Expected: CustomStringConvertible {
        let event: String
        let record: NSDictionary
        var description: String { "\(event) \(record)" }
    }

    static func setUp(_ app: TestApp) async throws -> (acme: TestApp.Tenant, globex: TestApp.Tenant, owner: (id: String, token: String), subscribers: [Subscriber]) {
        let root = try await app.superadminToken()
        try await app.createCollection("posts", fields: #"[{"name":"title","type":"text"},{"name":"secret","type":"text"},{"name":"public","type":"boolean"},{"name":"body","type":"text"}]"#, root: root)
        let acme = try await app.register("acme")
        let globex = try await app.register("globex")
        try await app.role(#"{"name":"own","permissions":[{"collection":"posts","create":true,"read":true,"update":true,"rules":{"read":"@owns_record()","update":"@owns_record()"}}]}"#, in: acme)
        try await app.role(#"{"name":"nosecret","permissions":[{"collection":"posts","read":true,"excluded_fields":["secret"]}]}"#, in: acme)
        try await app.role(#"{"name":"ruled","permissions":[{"collection":"posts","read":true,"field_rules":{"secret":{"read":"public == true"}}}]}"#, in: acme)
        let roles = try await app.request(.get, "/api/v1/roles", token: acme.token)
        let anonymousRole = try #require(roles.items.first { $0["name"] as? String == "anonymous" }?["id"] as? String)
        let granted = try await app.request(.post, "/api/v1/permissions", json: #"{"role_id":"\#(anonymousRole)","collection":"posts","read":true,"rules":{"read":"public == true"},"excluded_fields":["secret"]}"#, token: acme.token)
        #expect(granted.status == 201, "\(granted.text)")
        let owner = try await app.user("owner@acme.test", roles: ["own"], in: acme)
        let plain = try await app.user("plain@acme.test", roles: ["nosecret"], in: acme)
        let ruled = try await app.user("ruled@acme.test", roles: ["ruled"], in: acme)
        return (acme, globex, owner, [
            Subscriber(name: "owner", token: owner.token, account: nil),
            Subscriber(name: "excluded field", token: plain.token, account: nil),
            Subscriber(name: "field rule", token: ruled.token, account: nil),
            Subscriber(name: "anonymous", token: nil, account: "acme"),
            Subscriber(name: "admin", token: acme.token, account: nil),
        ])
    }

    static func path(_ subscriber: Subscriber, _ topics: String = "posts") -> String {
        "/api/v1/realtime?topics=\(topics)" + (subscriber.account.map { "&account=\($0)" } ?? "")
    }

    @Test("RT-001: four roles, two tenants, one writer: each stream carries exactly what GET /{id} shows it")
    func permissionsPerSubscriber() async throws {
        try await TestApp.run(live: true) { app in
            let port = try #require(app.client.port)
            let (acme, globex, owner, subscribers) = try await Self.setUp(app)
            var streams: [EventStreamClient] = []
            for subscriber in subscribers {
                let stream = try await EventStreamClient.open(port: port, Self.path(subscriber), headers: subscriber.streamHeaders)
                #expect(stream.status == 200, "\(subscriber.name)")
                #expect(stream.headers.first(name: "content-type")?.hasPrefix("text/event-stream") == true)
                streams.append(stream)
            }
            let foreign = try await EventStreamClient.open(port: port, "/api/v1/realtime?topics=posts", headers: [("Authorization", "Bearer \(globex.token)")])
            #expect(foreign.status == 200)

            var expected = Array(repeating: [Expected](), count: subscribers.count)
            var visibleBefore = Array(repeating: Set<String>(), count: subscribers.count)
            /// Asks GET /{id} as every subscriber after a write and notes what its stream must carry.
            func note(_ kind: String, _ id: String) async throws {
                for (index, subscriber) in subscribers.enumerated() {
                    let seen = try await app.request(.get, "/api/v1/posts/\(id)", headers: subscriber.headers)
                    let wasVisible = visibleBefore[index].contains(id)
                    switch kind {
                    case "delete":
                        if wasVisible { expected[index].append(Expected(event: "record.deleted", record: ["id": id])) }
                        visibleBefore[index].remove(id)
                    default:
                        if seen.status == 200 {
                            expected[index].append(Expected(event: kind == "create" ? "record.created" : "record.updated", record: seen.json as NSDictionary))
                            visibleBefore[index].insert(id)
                        } else {
                            #expect(seen.status == 404 || seen.status == 403 || seen.status == 401, "\(subscriber.name): \(seen.status)")
                            if wasVisible { expected[index].append(Expected(event: "record.hidden", record: ["id": id])) }
                            visibleBefore[index].remove(id)
                        }
                    }
                }
            }
            func create(_ json: String, token: String) async throws -> String {
                let created = try await app.request(.post, "/api/v1/posts", json: json, token: token)
                #expect(created.status == 201, "\(created.text)")
                let id = try #require(created.string("id"))
                try await note("create", id)
                return id
            }
            func update(_ id: String, _ json: String, token: String) async throws {
                let updated = try await app.request(.patch, "/api/v1/posts/\(id)", json: json, token: token)
                #expect(updated.status == 200, "\(updated.text)")
                try await note("update", id)
            }

            let r1 = try await create(#"{"title":"a","secret":"s1","public":true}"#, token: acme.token)
            let r2 = try await create(#"{"title":"b","secret":"s2","public":false}"#, token: owner.token)
            try await update(r1, #"{"public":false}"#, token: acme.token)
            try await update(r2, #"{"public":true,"title":"b2"}"#, token: owner.token)
            try await update(r1, #"{"public":true}"#, token: acme.token)
            // A refused write sends nothing.
            #expect(try await app.request(.post, "/api/v1/posts", json: #"{"title":7}"#, token: acme.token).status == 422)
            // Another tenant's write reaches only its own stream.
            let theirs = try await app.request(.post, "/api/v1/posts", json: #"{"title":"globex","secret":"g"}"#, token: globex.token)
            let theirsID = try #require(theirs.string("id"))
            for (index, subscriber) in subscribers.enumerated() {
                let seen = try await app.request(.get, "/api/v1/posts/\(r1)", headers: subscriber.headers)
                if seen.status == 200 { visibleBefore[index].insert(r1) }
                #expect(visibleBefore[index].contains(r1) == (seen.status == 200))
            }
            let deleted = try await app.request(.delete, "/api/v1/posts/\(r1)", token: acme.token)
            #expect(deleted.status == 204)
            try await note("delete", r1)
            // The marker every acme subscriber may read: the owner's public post.
            let marker = try await create(#"{"title":"end","public":true}"#, token: owner.token)

            for (index, subscriber) in subscribers.enumerated() {
                let received = try await streams[index].events(until: { $0.recordID == marker && $0.event == "record.created" })
                #expect(received.map(\.event) == expected[index].map(\.event), "\(subscriber.name)")
                for (event, wanted) in zip(received, expected[index]) {
                    #expect(event.json["collection"] as? String == "posts")
                    #expect(NSDictionary(dictionary: event.record).isEqual(to: wanted.record as! [AnyHashable: Any]), "\(subscriber.name): \(event.event) \(event.record) ≠ \(wanted.record)")
                    #expect(!event.data.contains("globex"), "\(subscriber.name) saw another tenant's record")
                }
                let ids = received.map(\.id)
                #expect(ids == ids.sorted { UInt64($0)! < UInt64($1)! } && Set(ids).count == ids.count, "event ids increase")
            }
            // The excluded field and the field rule: never the secret where GET hides it.
            #expect(expected[1].allSatisfy { $0.record["secret"] == nil })
            #expect(expected[2].contains { $0.record["secret"] != nil } && expected[2].contains { $0.event != "record.hidden" && $0.record["secret"] == nil })
            // The anonymous stream was told when r1 stopped being public.
            #expect(expected[3].contains { $0.event == "record.hidden" })
            // Tenant B got its own record and nothing of A's.
            let foreignEvents = try await foreign.events(until: { $0.recordID == theirsID })
            #expect(foreignEvents.map(\.event) == ["record.created"])
            for stream in streams { stream.close() }
            foreign.close()
        }
    }

    @Test("RT-002: a revoked grant, a removed role, a deactivation and a logout end the stream at the next event")
    func revocations() async throws {
        try await TestApp.run(live: true) { app in
            let port = try #require(app.client.port)
            let (acme, _, _, _) = try await Self.setUp(app)
            let reader = try await app.user("reader@acme.test", roles: ["nosecret"], in: acme)
            let roleHolder = try await app.user("holder@acme.test", roles: ["ruled"], in: acme)
            let deactivated = try await app.user("gone@acme.test", roles: ["nosecret"], in: acme)
            let leaving = try await app.user("leaving@acme.test", roles: ["nosecret"], in: acme)
            let keeper = try await app.user("keeper@acme.test", roles: ["nosecret"], in: acme)
            func open(_ token: String) async throws -> EventStreamClient {
                let stream = try await EventStreamClient.open(port: port, "/api/v1/realtime?topics=posts", headers: [("Authorization", "Bearer \(token)")])
                #expect(stream.status == 200)
                return stream
            }
            let streams = (
                reader: try await open(reader.token), holder: try await open(roleHolder.token), gone: try await open(deactivated.token),
                leaving: try await open(leaving.token), keeper: try await open(keeper.token)
            )
            let first = try await app.request(.post, "/api/v1/posts", json: #"{"title":"one"}"#, token: acme.token)
            let firstID = try #require(first.string("id"))
            for stream in [streams.reader, streams.holder, streams.gone, streams.leaving, streams.keeper] {
                #expect(try await stream.events(until: { $0.recordID == firstID }).map(\.event) == ["record.created"])
            }
            // The read grant goes: the reader's role keeps nothing on posts (its permission is deleted).
            let roles = try await app.request(.get, "/api/v1/roles", token: acme.token)
            let ruledRole = try #require(roles.items.first { $0["name"] as? String == "ruled" }?["id"] as? String)
            // The reader and the others share `nosecret`; give the reader a role of its own first.
            let soloRole = try await app.role(#"{"name":"solo","permissions":[{"collection":"posts","read":true}]}"#, in: acme)
            #expect(try await app.request(.patch, "/api/v1/users/\(reader.id)", json: #"{"roles":["solo"]}"#, token: acme.token).status == 200)
            let solo = try #require((soloRole.array("permissions")?.first as? [String: Any])?["id"] as? String)
            #expect(try await app.request(.delete, "/api/v1/permissions/\(solo)", token: acme.token).status == 204)
            // The holder's role is deleted.
            #expect(try await app.request(.delete, "/api/v1/roles/\(ruledRole)?force=true", token: acme.token).status == 204)
            #expect(try await app.request(.patch, "/api/v1/users/\(deactivated.id)", json: #"{"is_active":false}"#, token: acme.token).status == 200)
            #expect(try await app.request(.post, "/api/v1/auth/logout", json: "{}", token: leaving.token).status == 204)

            let second = try await app.request(.post, "/api/v1/posts", json: #"{"title":"two","secret":"after"}"#, token: acme.token)
            let secondID = try #require(second.string("id"))
            func closing(_ stream: EventStreamClient) async throws -> String? {
                let event = try await stream.next()
                #expect(event?.event == "closed", "got \(event?.event ?? "the end") \(event?.data ?? "")")
                #expect(try await stream.next() == nil, "the response ends after closed")
                return event?.json["reason"] as? String
            }
            #expect(try await closing(streams.reader) == "forbidden")
            #expect(try await closing(streams.holder) == "forbidden")
            #expect(try await closing(streams.gone) == "revoked")
            #expect(try await closing(streams.leaving) == "revoked")
            #expect(try await streams.keeper.events(until: { $0.recordID == secondID }).map(\.event) == ["record.created"])
            let metrics = try await app.request(.get, "/metrics")
            #expect(metrics.text.contains(#"snackbase_realtime_streams_closed_total{reason="revoked"} 2"#), "\(metrics.text.split(separator: "\n").filter { $0.contains("realtime") })")
            #expect(metrics.text.contains(#"snackbase_realtime_streams_closed_total{reason="forbidden"} 2"#))
            streams.keeper.close()
        }
    }

    @Test("RT-003: Last-Event-ID replays only what the subscriber may see now; an unknown id gets reset")
    func replay() async throws {
        try await TestApp.run(live: true) { app in
            let port = try #require(app.client.port)
            let (acme, _, owner, _) = try await Self.setUp(app)
            let headers = [("Authorization", "Bearer \(owner.token)")]
            let stream = try await EventStreamClient.open(port: port, "/api/v1/realtime?topics=posts", headers: headers)
            let mine = try #require(try await app.request(.post, "/api/v1/posts", json: #"{"title":"mine"}"#, token: owner.token).string("id"))
            let seen = try await stream.events(until: { $0.recordID == mine })
            #expect(seen.map(\.event) == ["record.created"])
            let last = stream.lastEventID
            #expect(!last.isEmpty && last == seen.last?.id)
            stream.close()
            // Missed while away: the admin's post (not the owner's to read) and the owner's own.
            let hidden = try #require(try await app.request(.post, "/api/v1/posts", json: #"{"title":"admin's"}"#, token: acme.token).string("id"))
            let missed = try #require(try await app.request(.post, "/api/v1/posts", json: #"{"title":"missed"}"#, token: owner.token).string("id"))
            let resumed = try await EventStreamClient.open(port: port, "/api/v1/realtime?topics=posts", headers: headers + [("Last-Event-ID", last)])
            let replayed = try await resumed.events(until: { $0.recordID == missed })
            #expect(replayed.map(\.event) == ["record.created"], "\(replayed.map(\.data))")
            #expect(!replayed.contains { $0.recordID == hidden })
            resumed.close()
            // `last_event_id` (EventSource libraries that cannot set the header) and an id this process never gave.
            let stale = try await EventStreamClient.open(port: port, "/api/v1/realtime?topics=posts&last_event_id=12", headers: headers)
            #expect(try await stale.next()?.event == "reset")
            stale.close()
        }
    }

    @Test("RT-004: opening a stream: 400, 401, 403, 404 before any stream starts; tickets are single-use; 429 over the per-user limit")
    func opening() async throws {
        try await TestApp.run(live: true, realtime: RealtimeSettings(maxStreamsPerUser: 2)) { app in
            let port = try #require(app.client.port)
            let (acme, globex, owner, _) = try await Self.setUp(app)
            let bearer = [("Authorization", "Bearer \(acme.token)")]
            /// The answer to opening `path`, read whole only when it is no stream (a stream would never end).
            func refusal(_ path: String, token: String? = nil) async throws -> (status: Int, text: String) {
                let opened = try await EventStreamClient.open(port: port, path, headers: token.map { [("Authorization", "Bearer \($0)")] } ?? [], read: false)
                opened.close()
                guard opened.status != 200 else { return (200, "a stream") }
                let answer = try await app.request(.get, path, token: token)
                return (answer.status, answer.text)
            }
            for (path, status) in [
                ("/api/v1/realtime", 400), ("/api/v1/realtime?topics=", 400), ("/api/v1/realtime?topics=posts//x", 400),
                ("/api/v1/realtime?topics=nope", 404), ("/api/v1/realtime?topics=posts,posts/1&filter=title%20%3D%3D%20%27a%27", 400),
                ("/api/v1/realtime?topics=posts&filter=title%20%3D%3D", 400),
                ("/api/v1/realtime?topics=posts&account_id=\(globex.accountID)", 403),
            ] {
                let refused = try await refusal(path, token: acme.token)
                #expect(refused.status == status, "\(path): \(refused.status) \(refused.text)")
            }
            #expect(try await refusal("/api/v1/realtime?topics=posts").status == 401)
            // Anonymous callers of globex may read no posts: 401, as for a list.
            #expect(try await refusal("/api/v1/realtime?topics=posts&account=globex").status == 401)
            #expect(try await refusal("/api/v1/realtime?topics=posts&ticket=tk_forged").status == 401)
            // A user whose roles grant no read on posts: 403 with the list's message.
            try await app.role(#"{"name":"none","permissions":[]}"#, in: acme)
            let nobody = try await app.user("nobody@acme.test", roles: ["none"], in: acme)
            let denied = try await refusal("/api/v1/realtime?topics=posts", token: nobody.token)
            #expect(denied.status == 403 && denied.text.contains("You cannot read posts"), "\(denied.text)")
            // A filter on a field the caller cannot read is 403.
            let plain = try await app.user("p@acme.test", roles: ["nosecret"], in: acme)
            #expect(try await refusal("/api/v1/realtime?topics=posts&filter=secret%20%3D%3D%20%27x%27", token: plain.token).status == 403)
            #expect(try await refusal("/api/v1/realtime?topics=posts&filter=title%20%3D%3D%20%27x%27", token: plain.token).status == 200)

            // A ticket: single use, and the stream is the ticket holder's.
            let issued = try await app.request(.post, "/api/v1/realtime/tickets", token: owner.token)
            #expect(issued.status == 201 && issued.int("expires_in") == 30)
            let ticket = try #require(issued.string("ticket"))
            #expect(!ticket.contains(owner.token))
            #expect(try await app.request(.post, "/api/v1/realtime/tickets").status == 401)
            let byTicket = try await EventStreamClient.open(port: port, "/api/v1/realtime?topics=posts&ticket=\(ticket)")
            #expect(byTicket.status == 200)
            #expect(try await refusal("/api/v1/realtime?topics=posts&ticket=\(ticket)").status == 401, "a used ticket")
            let mine = try #require(try await app.request(.post, "/api/v1/posts", json: #"{"title":"t"}"#, token: owner.token).string("id"))
            #expect(try await byTicket.events(until: { $0.recordID == mine }).map(\.event) == ["record.created"])
            byTicket.close()

            // The per-user limit (2 here): the third stream is 429 with Retry-After.
            let one = try await EventStreamClient.open(port: port, "/api/v1/realtime?topics=posts", headers: bearer)
            let two = try await EventStreamClient.open(port: port, "/api/v1/realtime?topics=posts", headers: bearer)
            #expect(one.status == 200 && two.status == 200)
            let three = try await EventStreamClient.open(port: port, "/api/v1/realtime?topics=posts", headers: bearer, read: false)
            three.close()
            #expect(three.status == 429 && three.headers.first(name: "Retry-After") != nil)
            one.close()
            two.close()
        }
    }

    @Test("RT-005: two processes on one PostgreSQL: a write through one reaches a stream on the other, records over 8,000 bytes too; a dropped listener gives reset, then events again",
          .enabled(if: TestDatabase.postgresURL != nil))
    func twoProcesses() async throws {
        try await PostgresScratch.with { url in
            let storeA = try await PostgresStore(url: url, logger: TestDatabase.logger, connectionWait: TestDatabase.connectionWait)
            let storeB = try await PostgresStore(url: url, logger: TestDatabase.logger, connectionWait: TestDatabase.connectionWait)
            do {
                try await PostgresScratch.app(on: storeA, live: true, listens: true) { a in
                    try await PostgresScratch.app(on: storeB, migrate: false, live: true, listens: true) { b in
                        try await Self.acrossProcesses(writer: a, reader: b, store: storeA)
                    }
                }
            } catch {
                await storeA.shutdown()
                await storeB.shutdown()
                throw error
            }
            await storeA.shutdown()
            await storeB.shutdown()
        }
    }

    private static func acrossProcesses(writer a: TestApp, reader b: TestApp, store: PostgresStore) async throws {
        let root = try await a.superadminToken()
        try await a.createCollection("posts", fields: #"[{"name":"title","type":"text"},{"name":"body","type":"text"}]"#, root: root)
        let acme = try await a.register("acme")
        let globex = try await a.register("globex")
        let headers = [("Authorization", "Bearer \(acme.token)")]
        let onB = try await EventStreamClient.open(port: try #require(b.client.port), "/api/v1/realtime?topics=posts", headers: headers)
        let onA = try await EventStreamClient.open(port: try #require(a.client.port), "/api/v1/realtime?topics=posts", headers: headers)
        let foreign = try await EventStreamClient.open(port: try #require(b.client.port), "/api/v1/realtime?topics=posts",
                                                       headers: [("Authorization", "Bearer \(globex.token)")])
        defer { onA.close(); onB.close(); foreign.close() }

        // Written through A, read on B (a few ms after A's answer on an idle machine; 1.03 s was seen once with
        // three builds on the 2 cores, so the bound here guards against a lost event, not the latency, which
        // Benchmarks/realtime measures).
        let small = try await a.request(.post, "/api/v1/posts", json: #"{"title":"small","body":"b"}"#, token: acme.token)
        let answered = ContinuousClock.now
        let smallID = try #require(small.string("id"), "\(small.text)")
        let first = try await onB.events(until: { $0.recordID == smallID })
        let elapsed = ContinuousClock.now - answered
        #expect(first.last?.event == "record.created" && first.last?.record["title"] as? String == "small")
        #expect(elapsed < .seconds(5), "B's stream got A's write after \(elapsed)")

        // A record far over NOTIFY's 8,000 bytes (multi-byte characters included) arrives whole.
        let body = String(repeating: "snack é—🍪 ", count: 1_500)
        let big = try await a.request(.post, "/api/v1/posts", json: #"{"title":"big","body":"\#(body)"}"#, token: acme.token)
        let bigID = try #require(big.string("id"), "\(big.text)")
        let bigEvent = try await onB.events(until: { $0.recordID == bigID }).last
        #expect(bigEvent?.event == "record.created")
        #expect(bigEvent?.record["body"] as? String == body, "\(bigEvent?.data.count ?? 0) bytes")

        // B's own write reaches both processes' streams, after A's writes (commit order).
        let updated = try await b.request(.patch, "/api/v1/posts/\(bigID)", json: #"{"title":"bigger"}"#, token: acme.token)
        #expect(updated.status == 200, "\(updated.text)")
        let seenOnA = try await onA.events(until: { $0.event == "record.updated" })
        #expect(seenOnA.map(\.event) == ["record.created", "record.created", "record.updated"], "\(seenOnA.map(\.event))")
        #expect(seenOnA.last?.record["title"] as? String == "bigger")
        #expect(try await onB.events(until: { $0.event == "record.updated" }).map(\.recordID) == [bigID])

        // The listeners' connections drop: each process's streams get `reset` (events may have been
        // lost meanwhile), the listeners reconnect, and events flow again.
        let terminated = try await PostgresScratch.terminateListeners(on: store)
        #expect(terminated == 2)
        #expect(try await onB.next()?.event == "reset")
        var afterReset: [ServerSentEvent] = []
        for _ in 0..<50 where afterReset.isEmpty {
            let again = try await a.request(.post, "/api/v1/posts", json: #"{"title":"again"}"#, token: acme.token)
            let againID = try #require(again.string("id"))
            try await Task.sleep(for: .milliseconds(200))
            afterReset = onB.drain().filter { $0.recordID == againID }
        }
        #expect(afterReset.map(\.event) == ["record.created"])

        // Any database role may NOTIFY on the channel: a message not sealed with the server's secret
        // shows nothing (a forged record, even well-formed JSON) and counts as lost messages: `reset`.
        let forged = #"{"kind":"created","account":"\#(acme.accountID)","collection":"posts","id":"forged","before":null,"after":{"id":["t","forged"],"account_id":["t","\#(acme.accountID)"],"title":["t","forged"]},"at":"2026-01-01T00:00:00.000Z"}"#
        try await store.transaction { db in
            try await db.raw("SELECT pg_notify(\(bind: PostgresChangeFeed.channel), \(bind: "attacker record " + forged))").run()
        }
        #expect(try await onB.next()?.event == "reset")
        let check = try #require(try await a.request(.post, "/api/v1/posts", json: #"{"title":"after forgery"}"#, token: acme.token).string("id"))
        let afterForgery = try await onB.events(until: { $0.recordID == check })
        #expect(!afterForgery.contains { $0.recordID == "forged" }, "\(afterForgery.map(\.data))")

        // Tenant B's stream saw none of it.
        let foreignEvents = foreign.drain()
        #expect(!foreignEvents.contains { $0.event.hasPrefix("record.") }, "\(foreignEvents.map(\.data))")
    }
}

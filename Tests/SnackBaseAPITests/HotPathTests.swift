import Foundation
import SQLKit
import SnackBaseAPI
import SnackBaseAuth
import SnackBaseCore
import SnackBaseRules
import SnackBaseService
import SnackBaseStore
import SnackBaseTesting
import Synchronization
import Testing
import HTTPTypes

/// The shortcuts taken on the hot paths must not change an answer: record statements are reused
/// and reads are remembered until the next write. (The store's own shortcuts are tested in
/// SnackBaseStoreTests/SQLiteStoreTests, the token memory in SnackBaseAuthTests/TokenServiceTests.)
@Suite struct HotPathTests {
    // MARK: reused statement texts

    @Test func reusedRecordStatementsFollowTheCollectionsColumns() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("notes", fields: #"[{"name":"title","type":"text"}]"#, root: root)
            let acme = try await app.register("acme")
            let first = try await app.request(.post, "/api/v1/records/notes", json: #"{"title":"one"}"#, token: acme.token)
            #expect(first.status == 201, "\(first.text)")
            let added = try await app.request(.patch, "/api/v1/collections/notes",
                                              json: #"{"schema":{"fields":[{"name":"title","type":"text"},{"name":"tag","type":"text"}]}}"#, token: root)
            #expect(added.status == 200, "\(added.text)")
            let second = try await app.request(.post, "/api/v1/records/notes", json: #"{"title":"two","tag":"x"}"#, token: acme.token)
            #expect(second.status == 201, "\(second.text)")
            let read = try await app.request(.get, "/api/v1/records/notes/\(try #require(second.string("id")))", token: acme.token)
            #expect(read.string("tag") == "x" && read.string("title") == "two", "\(read.text)")
            // The same table name in another account reads that account's records only.
            let other = try await app.register("other")
            #expect(try await app.request(.get, "/api/v1/records/notes/\(try #require(first.string("id")))", token: other.token).status == 404)
        }
    }

    // MARK: remembered list totals

    @Test func listTotalsFollowEveryWrite() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("notes", fields: #"[{"name":"title","type":"text"}]"#, root: root)
            let acme = try await app.register("acme")
            let other = try await app.register("other")
            func total(_ token: String, _ query: String = "") async throws -> Int? {
                try await app.request(.get, "/api/v1/records/notes" + query, token: token).int("total")
            }
            #expect(try await total(acme.token) == 0)
            var ids: [String] = []
            for expected in 1...3 {
                let created = try await app.request(.post, "/api/v1/records/notes", json: #"{"title":"n\#(expected)"}"#, token: acme.token)
                ids.append(try #require(created.string("id")))
                #expect(try await total(acme.token) == expected)
                #expect(try await total(acme.token) == expected)
            }
            // Another account's totals are its own, before and after it writes.
            #expect(try await total(other.token) == 0)
            _ = try await app.request(.post, "/api/v1/records/notes", json: #"{"title":"x"}"#, token: other.token)
            #expect(try await total(other.token) == 1)
            #expect(try await total(acme.token) == 3)
            // A filtered total is a different query; a delete is seen at once.
            #expect(try await total(acme.token, "?title=n2") == 1)
            #expect(try await app.request(.delete, "/api/v1/records/notes/\(ids[1])", token: acme.token).status == 204)
            #expect(try await total(acme.token, "?title=n2") == 0)
            #expect(try await total(acme.token) == 2)
        }
    }

    /// On SQLite a record write makes stale only what was read of its collection in its account: every
    /// other collection and account goes on being answered from memory, and must stay right.
    @Test func aRecordWriteIsSeenInItsCollectionAndAccountAndLeavesTheOthersRight() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("notes", fields: #"[{"name":"title","type":"text"}]"#, root: root)
            try await app.createCollection("tasks", fields: #"[{"name":"title","type":"text"}]"#, root: root)
            let acme = try await app.register("acme")
            let other = try await app.register("other")
            let places = [("acme", acme.token), ("other", other.token)].flatMap { account in
                ["notes", "tasks"].map { (name: "\(account.0) \($0)", token: account.1, collection: $0) }
            }
            var totals: [String: Int] = [:]
            var latest: [String: (id: String, title: String)] = [:]
            /// Every list total and the last record written, in every collection of every account.
            func check(after step: String) async throws {
                for place in places {
                    let list = try await app.request(.get, "/api/v1/records/\(place.collection)?sort=-created_at", token: place.token)
                    #expect(list.int("total") == totals[place.name, default: 0], "\(place.name) after \(step): \(list.text)")
                    guard let last = latest[place.name] else { continue }
                    let read = try await app.request(.get, "/api/v1/records/\(place.collection)/\(last.id)", token: place.token)
                    #expect(read.string("title") == last.title, "\(place.name) after \(step): \(read.text)")
                }
            }
            try await check(after: "nothing")
            for round in 1...2 {
                for place in places {
                    let title = "\(place.name) \(round)"
                    let created = try await app.request(.post, "/api/v1/records/\(place.collection)", json: #"{"title":"\#(title)"}"#, token: place.token)
                    let id = try #require(created.string("id"), "\(created.text)")
                    totals[place.name, default: 0] += 1
                    latest[place.name] = (id, title)
                    try await check(after: "a create in \(place.name)")
                    let renamed = try await app.request(.patch, "/api/v1/records/\(place.collection)/\(id)", json: #"{"title":"\#(title) b"}"#, token: place.token)
                    #expect(renamed.status == 200, "\(renamed.text)")
                    latest[place.name] = (id, title + " b")
                    try await check(after: "an update in \(place.name)")
                }
            }
            for place in places {
                let last = try #require(latest[place.name])
                #expect(try await app.request(.delete, "/api/v1/records/\(place.collection)/\(last.id)", token: place.token).status == 204)
                totals[place.name, default: 0] -= 1
                latest[place.name] = nil
                try await check(after: "a delete in \(place.name)")
            }
        }
    }

    // MARK: remembered pages

    @Test func aRememberedPageIsSharedButEachCallerSeesOnlyWhatItMay() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("staff", fields: #"[{"name":"name","type":"text"},{"name":"salary","type":"number"},{"name":"team","type":"text"}]"#, root: root)
            let acme = try await app.register("acme")
            try await app.role(#"{"name":"payroll","permissions":[{"collection":"staff","read":true}]}"#, in: acme)
            try await app.role(#"{"name":"colleague","permissions":[{"collection":"staff","read":true,"excluded_fields":["salary"]}]}"#, in: acme)
            let payroll = try await app.user("pay@acme.test", roles: ["payroll"], in: acme)
            let colleague = try await app.user("col@acme.test", roles: ["colleague"], in: acme)
            var ids: [String] = []
            for (name, salary) in [("ann", 300), ("bob", 100), ("cid", 200)] {
                let created = try await app.request(.post, "/api/v1/records/staff", json: #"{"name":"\#(name)","salary":\#(salary),"team":"red"}"#, token: acme.token)
                ids.append(try #require(created.string("id")))
            }
            // One query (same SQL for both roles: neither has a read rule), asked in turns by both.
            let query = "/api/v1/records/staff?filter=" + #"team == "red""#.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! + "&sort=-name"
            func page(_ token: String, _ suffix: String = "") async throws -> [[String: Any]] {
                let response = try await app.request(.get, query + suffix, token: token)
                #expect(response.status == 200, "\(response.text)")
                return response.items
            }
            for _ in 0..<2 {
                let seen = try await page(colleague.token)
                #expect(seen.map { $0["name"] as? String } == ["cid", "bob", "ann"])
                #expect(seen.allSatisfy { $0["salary"] == nil && $0["team"] as? String == "red" }, "\(seen)")
                let paid = try await page(payroll.token)
                #expect(paid.map { $0["salary"] as? Int } == [200, 100, 300])
            }
            #expect(try await page(payroll.token, "&fields=name").allSatisfy { Set($0.keys) == ["id", "name"] })
            // The same for one record by id, remembered with its JSON: each caller in turn gets what they may see of it.
            for _ in 0..<2 {
                let path = "/api/v1/records/staff/\(ids[2])"
                let paid = try await app.request(.get, path, token: payroll.token)
                #expect(paid.int("salary") == 200 && paid.string("name") == "cid", "\(paid.text)")
                let seen = try await app.request(.get, path, token: colleague.token)
                #expect(seen.status == 200 && seen.string("name") == "cid" && seen.json["salary"] == nil, "\(seen.text)")
                let named = try await app.request(.get, path + "?fields=name", token: payroll.token)
                #expect(named.json.keys.sorted() == ["id", "name"], "\(named.text)")
            }
            // Every kind of write is seen by the next read of the same page.
            #expect(try await app.request(.patch, "/api/v1/records/staff/\(ids[1])", json: #"{"salary":400}"#, token: acme.token).status == 200)
            #expect(try await page(payroll.token).map { $0["salary"] as? Int } == [200, 400, 300])
            #expect(try await page(colleague.token).map { $0["name"] as? String } == ["cid", "bob", "ann"])
            #expect(try await app.request(.delete, "/api/v1/records/staff/\(ids[0])", token: acme.token).status == 204)
            #expect(try await page(payroll.token).map { $0["name"] as? String } == ["cid", "bob"])
            _ = try await app.request(.post, "/api/v1/records/staff", json: #"{"name":"dee","salary":250,"team":"red"}"#, token: acme.token)
            #expect(try await page(payroll.token).map { $0["name"] as? String } == ["dee", "cid", "bob"])
            // A role change is a write too: the colleague made payroll sees salaries at once.
            #expect(try await app.request(.patch, "/api/v1/users/\(colleague.id)", json: #"{"roles":["payroll"]}"#, token: acme.token).status == 200)
            #expect(try await page(colleague.token).map { $0["salary"] as? Int } == [250, 200, 400])
            // The same query in another account reads that account's records only.
            let other = try await app.register("other")
            #expect(try await page(other.token).isEmpty)

            // Callers of one role whose field rule reads who they are and the time: each
            // decided for themselves on the same remembered page, in turns (what is kept of one page's
            // decisions is kept by readers and caller, and by the time only where a rule reads it).
            // Ten seconds: on a loaded machine the two sign-ups (Argon2id) and the requests take seconds. A
            // request that straddles the time is not judged; one of a's must have been answered before it.
            let soonDate = Date().addingTimeInterval(10)
            let soon = try #require(RuleDateTime.canonical(unixMilliseconds: Int64(soonDate.timeIntervalSince1970 * 1_000)))
            try await app.role(#"{"name":"teammate","permissions":[{"collection":"staff","read":true,"field_rules":{"salary":{"read":"user.email == 'a@acme.test' and context.now < '\#(soon)'"}}}]}"#, in: acme)
            let a = try await app.user("a@acme.test", roles: ["teammate"], in: acme)
            let b = try await app.user("b@acme.test", roles: ["teammate"], in: acme)
            var judgedBefore = 0
            for _ in 0..<2 {
                for (caller, seesSalary) in [(a, true), (b, false)] {
                    let asked = Date()
                    let seen = try await page(caller.token)
                    let answered = Date()
                    let shown: Bool? = answered < soonDate ? seesSalary : (asked > soonDate ? false : nil)
                    guard let shown else { continue }
                    if caller.id == a.id && answered < soonDate { judgedBefore += 1 }
                    #expect(seen.count == 3 && seen.allSatisfy { ($0["salary"] != nil) == shown && $0["team"] as? String == "red" }, "\(caller.id): \(seen)")
                }
            }
            #expect(judgedBefore > 0, "no request of a was answered before the time: the test judged nothing of it")
            while Date() <= soonDate { try await Task.sleep(for: .milliseconds(50)) }
            for caller in [a, b] {
                #expect(try await page(caller.token).allSatisfy { $0["salary"] == nil && $0["name"] != nil }, "a field shown until a time was shown after it")
            }
        }
    }

    @Test func concurrentChecksOfOneSignInShareOneReadAndARevocationIsSeenByTheNext() async throws {
        try await TestApp.run { app in
            guard app.services.database.writeGeneration?.isSuspended == false else { return }   // remembered only
            let acme = try await app.register("acme")
            let reads = GatedDatabase(app.services.database, gating: .reads)
            let identities = IdentityResolver(database: reads, tokens: app.services.tokens)
            // After a write, the requests in flight for one caller check their sign-in with one read, not one each.
            let checks = Task {
                await withTaskGroup(of: Bool.self) { group in
                    for _ in 0..<16 {
                        group.addTask {
                            if case .principal = await identities.resolve(.accessToken(acme.token), from: nil) { return true }
                            return false
                        }
                    }
                    return await group.reduce(into: [Bool]()) { $0.append($1) }
                }
            }
            while reads.started < 1 { try await Task.sleep(for: .milliseconds(1)) }
            try await Task.sleep(for: .milliseconds(100))
            reads.open()
            #expect(await checks.value == Array(repeating: true, count: 16))
            #expect(reads.started == 1, "each request read the sign-in for itself")
            // A sign-out is a write: the next check reads again and refuses.
            #expect(try await app.request(.post, "/api/v1/auth/logout", token: acme.token).status == 204)
            guard case .refused = await identities.resolve(.accessToken(acme.token), from: nil) else {
                Issue.record("a signed-out token was still accepted")
                return
            }
            #expect(reads.started == 2)
        }
    }

    @Test func rememberedRowsAreKeptPerSchemaTheyWereDecodedWith() async throws {
        try await TestApp.run { app in
            guard let remembered = app.services.database.rememberedReads else { return }   // SQLite only
            let root = try await app.superadminToken()
            try await app.createCollection("notes", fields: #"[{"name":"title","type":"text"},{"name":"tag","type":"text"}]"#, root: root)
            let acme = try await app.register("acme")
            let created = try await app.request(.post, "/api/v1/records/notes", json: #"{"title":"one","tag":"x"}"#, token: acme.token)
            let id = try #require(created.string("id"))
            let current = try #require(try await app.services.collections.find("notes", database: app.services.database))
            // A request still holding the schema from before `tag` was added reads first, and nothing is written after.
            var before = current
            before.fields.removeAll { $0.name == "tag" }
            let account = AccountScope(try #require(AccountID(acme.accountID)))
            for schema in [before, current] {
                let scope = RecordScope(account: account, collection: schema)
                let expected: StoredValue? = schema == current ? .text("x") : nil
                let page = try await app.services.database.read { db in
                    try await RecordRepository.list(in: scope, conditions: [], sort: [], skip: 0, limit: 10, remembered: remembered, on: db)
                }
                #expect(page.page.records.first?["tag"] == expected)
                let record = try await app.services.database.read { db in try await RecordRepository.find(id: id, in: scope, remembered: remembered, on: db) }
                #expect(record?["tag"] == expected)
            }
        }
    }

    @Test func aCatalogLoadThatOverlapsASchemaChangeIsNotKept() async throws {
        try await TestApp.run { app in
            let reads = GatedDatabase(app.services.database, gating: .reads)
            let catalog = CollectionCatalog()
            let first = Task { try await catalog.all(database: reads) }
            while reads.started < 1 { try await Task.sleep(for: .milliseconds(1)) }
            // The schema changes while the first load is reading: what it read may be from before.
            await catalog.invalidate()
            reads.open()
            _ = try await first.value
            _ = try await catalog.all(database: reads)
            #expect(reads.started == 2, "the load that overlapped the change was kept")
            _ = try await catalog.all(database: reads)
            #expect(reads.started == 2, "a load that overlapped nothing is kept")
        }
    }

    @Test func aRememberedRecordFollowsEveryWriteAndStaysInItsAccount() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("notes", fields: #"[{"name":"title","type":"text"},{"name":"secret","type":"text"}]"#, root: root)
            let acme = try await app.register("acme")
            try await app.role(#"{"name":"reader","permissions":[{"collection":"notes","read":true,"excluded_fields":["secret"]}]}"#, in: acme)
            let reader = try await app.user("reader@acme.test", roles: ["reader"], in: acme)
            let other = try await app.register("other")
            let created = try await app.request(.post, "/api/v1/records/notes", json: #"{"title":"one","secret":"s"}"#, token: acme.token)
            let path = "/api/v1/records/notes/\(try #require(created.string("id")))"
            for _ in 0..<2 {
                #expect(try await app.request(.get, path, token: acme.token).string("secret") == "s")
                let limited = try await app.request(.get, path, token: reader.token)
                #expect(limited.string("title") == "one" && limited["secret"] == nil, "\(limited.text)")
                #expect(try await app.request(.get, path, token: other.token).status == 404)
            }
            #expect(try await app.request(.patch, path, json: #"{"title":"two"}"#, token: acme.token).status == 200)
            #expect(try await app.request(.get, path, token: reader.token).string("title") == "two")
            #expect(try await app.request(.delete, path, token: acme.token).status == 204)
            #expect(try await app.request(.get, path, token: reader.token).status == 404)
            #expect(try await app.request(.get, path, token: acme.token).status == 404)
        }
    }

    // MARK: remembered sign-ins

    @Test func aRememberedSignInEndsWithTheWriteThatEndsIt() async throws {
        try await TestApp.run { app in
            let acme = try await app.register("acme")
            let bob = try await app.user("bob@acme.example.com", roles: ["admin"], in: acme)
            let carol = try await app.user("carol@acme.example.com", roles: ["admin"], in: acme)
            // Each is read (and, on SQLite, remembered) before the change.
            for token in [bob.token, carol.token] {
                #expect(try await app.request(.get, "/api/v1/auth/me", token: token).status == 200)
                #expect(try await app.request(.get, "/api/v1/users", token: token).status == 200)
            }
            // A role change is seen by the very next request: without `admin`, the users list is refused.
            let demoted = try await app.request(.patch, "/api/v1/users/\(bob.id)", json: #"{"roles":["viewer"]}"#, token: acme.token)
            #expect(demoted.status == 200, "\(demoted.text)")
            #expect(try await app.request(.get, "/api/v1/auth/me", token: bob.token).array("roles") as? [String] == ["viewer"])
            #expect(try await app.request(.get, "/api/v1/users", token: bob.token).status == 403)
            // Deactivation and sign-out end the sign-in at once.
            #expect(try await app.request(.delete, "/api/v1/users/\(bob.id)", token: acme.token).status == 204)
            #expect(try await app.request(.get, "/api/v1/auth/me", token: bob.token).status == 401)
            #expect(try await app.request(.post, "/api/v1/auth/logout", token: carol.token).status == 204)
            #expect(try await app.request(.get, "/api/v1/auth/me", token: carol.token).status == 401)
            // Reactivated, bob signs in anew (the sign-ins from before were ended with the deactivation).
            #expect(try await app.request(.patch, "/api/v1/users/\(bob.id)", json: #"{"is_active":true}"#, token: acme.token).status == 200)
            #expect(try await app.request(.get, "/api/v1/auth/me", token: bob.token).status == 401)
            let again = try await app.login("acme", "bob@acme.example.com")
            #expect(try await app.request(.get, "/api/v1/auth/me", token: again.string("token")).status == 200)
        }
    }
}

import Foundation
import HTTPTypes
import SnackBaseService
@testable import SnackBaseStore
import SnackBaseTesting
import Synchronization
import Testing

/// A create adds to the remembered list totals of its collection in its account instead of ending
/// them (``TotalsCarry``): every total must stay exact, and (where totals are remembered) a create
/// must not make the next list count again, while an update or a delete still does. On PostgreSQL a
/// total is caught up past this process's creates, together or not; any other write told meanwhile
/// makes the next list count again.
@Suite struct CarriedTotalsTests {
    /// Every database, PostgreSQL's reads remembered for a minute unless a write is told (its 500 ms
    /// bound would make a list count again at any moment, and this test counts the counts).
    static func run(_ body: @escaping @Sendable (TestApp) async throws -> Void) async throws {
        for kind in TestDatabase.kinds {
            try await TestDatabase.with(kind, rememberedFor: .seconds(60)) { database in
                try await TestApp.run(on: database, live: false, body)
            }
        }
    }

    @Test func listTotalsStayExactAcrossCreatesAndAreNotCountedAgain() async throws {
        try await Self.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("notes", fields: #"[{"name":"title","type":"text","unique":true},{"name":"tag","type":"text"}]"#, root: root)
            let acme = try await app.register("acme")
            let other = try await app.register("other")
            // Where totals are remembered (SQLite; PostgreSQL while its listener listens).
            let remembered = app.services.database.rememberedReads
            let queries = ["", "?tag=a", "?filter=" + (#"tag = "b""#.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")]
            var stored: [(id: String, tag: String)] = []
            func expected(_ query: String) -> Int {
                switch query {
                case "": stored.count
                case "?tag=a": stored.filter { $0.tag == "a" }.count
                default: stored.filter { $0.tag == "b" }.count
                }
            }
            /// Every total as the list answers it; returns how many totals were counted in the database meanwhile.
            func check(_ step: String) async throws -> Int? {
                let before = remembered?.totalsCounted
                for query in queries {
                    let list = try await app.request(.get, "/api/v1/records/notes" + query, token: acme.token)
                    #expect(list.int("total") == expected(query), "\(query) after \(step): \(list.text)")
                }
                return remembered.map { $0.totalsCounted - (before ?? 0) }
            }
            var counter = 0
            func create(_ tag: String, token: String? = nil) async throws {
                counter += 1
                let created = try await app.request(.post, "/api/v1/records/notes", json: #"{"title":"n\#(counter)","tag":"\#(tag)"}"#, token: token ?? acme.token)
                #expect(created.status == 201, "\(created.text)")
                if token == nil { stored.append((try #require(created.string("id")), tag)) }
            }

            _ = try await check("nothing")
            for tag in ["a", "b", "c", "a"] {
                try await create(tag)
                let counted = try await check("a create tagged \(tag)")
                #expect(counted == nil || counted == 0, "a create made the totals count again: \(counted ?? -1)")
            }
            // Another account's create leaves these totals as they were.
            try await create("a", token: other.token)
            #expect(try await check("a create in another account") ?? 0 == 0)
            // Creates started together share a commit (one batch): each is added once.
            try await withThrowingTaskGroup(of: (String, String).self) { group in
                for index in 0..<12 {
                    let tag = ["a", "b", "c"][index % 3]
                    group.addTask {
                        let created = try await app.request(.post, "/api/v1/records/notes", json: #"{"title":"together \#(index)","tag":"\#(tag)"}"#, token: acme.token)
                        return (try #require(created.string("id"), "\(created.text)"), tag)
                    }
                }
                for try await made in group { stored.append(made) }
            }
            _ = try await check("12 creates together")
            // A create refused by a unique conflict adds nothing. (Its batch had no committed create to
            // carry the totals, so they are counted again: a failed write still makes its footprint stale.)
            let conflict = try await app.request(.post, "/api/v1/records/notes", json: #"{"title":"n1","tag":"a"}"#, token: acme.token)
            #expect(conflict.status == 409, "\(conflict.text)")
            _ = try await check("a refused create")
            // An atomic import is one transaction of creates.
            let lines = #"{"title":"i1","tag":"a"}"# + "\n" + #"{"title":"i2","tag":"b"}"# + "\n"
            let imported = try await app.request(.post, "/api/v1/records/notes/import?format=jsonl&atomic=true", body: Data(lines.utf8), token: acme.token)
            #expect(imported.int("created") == 2, "\(imported.text)")
            let exported = try await app.request(.get, "/api/v1/records/notes?sort=-created_at&limit=2", token: acme.token)
            for item in exported.items { stored.append((try #require(item["id"] as? String), try #require(item["tag"] as? String))) }
            #expect(try await check("an atomic import") ?? 0 == 0)
            // An update or a delete makes them count again, and they stay right.
            let first = stored[0]
            #expect(try await app.request(.patch, "/api/v1/records/notes/\(first.id)", json: #"{"tag":"b"}"#, token: acme.token).status == 200)
            stored[0].tag = "b"
            let recounted = try await check("an update")
            #expect(recounted == nil || recounted == queries.count, "\(recounted ?? -1)")
            #expect(try await app.request(.delete, "/api/v1/records/notes/\(stored[1].id)", token: acme.token).status == 204)
            stored.remove(at: 1)
            _ = try await check("a delete")
            try await create("b")
            #expect(try await check("a create after them") ?? 0 == 0)
            if let remembered, remembered.totalsAfterCreates == .caughtUp {
                #expect(remembered.totalsCaughtUp > 0, "PostgreSQL's totals were never caught up past a create")
            }
        }
    }

    /// How many creates of each tag were asked for, and how many were answered.
    final class Creates: Sendable {
        private let counts = Mutex((started: [0, 0], answered: [0, 0]))
        func start(_ tag: Int) { counts.withLock { $0.started[tag] += 1 } }
        func answer(_ tag: Int) { counts.withLock { $0.answered[tag] += 1 } }
        func started(_ tags: [Int]) -> Int { counts.withLock { counts in tags.reduce(0) { $0 + counts.started[$1] } } }
        func answered(_ tags: [Int]) -> Int { counts.withLock { counts in tags.reduce(0) { $0 + counts.answered[$1] } } }
    }

    @Test("while lists count and creates commit at once, every total lies between the creates answered before the list was asked and those asked before it was answered")
    func totalsStayBetweenWhatCommittedWhileListsAndCreatesRunTogether() async throws {
        try await Self.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("notes", fields: #"[{"name":"title","type":"text"},{"name":"tag","type":"text"}]"#, root: root)
            let acme = try await app.register("acme")
            let creates = Creates()
            let creators = 4, each = 25
            let queries: [(query: String, tags: [Int])] = [("", [0, 1]), ("?tag=a", [0])]
            let problems = try await withThrowingTaskGroup(of: [String].self) { group in
                for creator in 0..<creators {
                    group.addTask {
                        var problems: [String] = []
                        for index in 0..<each {
                            let tag = (creator + index) % 2
                            creates.start(tag)
                            let created = try await app.request(.post, "/api/v1/records/notes", json: #"{"title":"c\#(creator)-\#(index)","tag":"\#(tag == 0 ? "a" : "b")"}"#, token: acme.token)
                            if created.status != 201 { problems.append("create: \(created.text)") }
                            creates.answer(tag)
                        }
                        return problems
                    }
                }
                for lister in 0..<4 {
                    group.addTask {
                        var problems: [String] = []
                        var round = lister
                        while creates.answered([0, 1]) < creators * each {
                            // A list answered from memory never waits: without a pause the listers would hold
                            // the cooperative threads (one per core) and stall every other test of the process.
                            try await Task.sleep(for: .milliseconds(2))
                            round += 1
                            let (query, tags) = queries[round % queries.count]
                            let lower = creates.answered(tags)
                            let list = try await app.request(.get, "/api/v1/records/notes" + query, token: acme.token)
                            let upper = creates.started(tags)
                            guard let total = list.int("total"), (lower...upper).contains(total) else {
                                problems.append("\(query): total \(list.int("total") ?? -1) outside \(lower)...\(upper)")
                                continue
                            }
                        }
                        return problems
                    }
                }
                return try await group.reduce(into: [String]()) { $0 += $1 }
            }
            #expect(problems.isEmpty, "\(problems.prefix(10))")
            for (query, tags) in queries {
                let list = try await app.request(.get, "/api/v1/records/notes" + query, token: acme.token)
                #expect(list.int("total") == creates.answered(tags), "\(query): \(list.text)")
            }
        }
    }
}

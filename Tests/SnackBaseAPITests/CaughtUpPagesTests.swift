import Foundation
import HTTPTypes
import SnackBaseService
@testable import SnackBaseStore
import SnackBaseTesting
import Synchronization
import Testing

/// A remembered first page made stale only by this process's creates is brought up to date with them
/// instead of read again (``RememberedReads``, ``RecordOrder``): after every create,
/// each list must answer exactly what a list read afresh answers, in the database's own order.
@Suite struct CaughtUpPagesTests {
    /// Every database; PostgreSQL's made with the `C` collation (text in byte order, the one where
    /// pages are brought up to date here) and its reads remembered for a minute unless a write is told.
    static func run(_ body: @escaping @Sendable (TestApp) async throws -> Void) async throws {
        for kind in TestDatabase.kinds {
            try await TestDatabase.with(kind, rememberedFor: .seconds(60), collation: .c) { database in
                try await TestApp.run(on: database, live: false, body)
            }
        }
    }

    static let queries = [
        "", "?sort=-created_at&limit=3", "?sort=title", "?sort=-title&limit=4", "?sort=rank,-title&limit=5", "?sort=-rank&limit=3",
        "?sort=done,rank&limit=4", "?filter=" + (#"done = true"#.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "") + "&sort=-rank&limit=2",
        "?tag=b&sort=title&limit=2", "?sort=note&limit=3",
    ]

    @Test func pagesBroughtUpToDateAfterCreatesAnswerWhatAFreshReadAnswers() async throws {
        try await Self.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("notes", fields: #"""
                [{"name":"title","type":"text"},{"name":"rank","type":"number"},{"name":"done","type":"boolean"},
                 {"name":"tag","type":"text"},{"name":"note","type":"text"}]
                """#, root: root)
            let acme = try await app.register("acme")
            let other = try await app.register("other")
            // A reader whose field rule decides per record: what is derived and decided for a page is kept
            // for the records a page brought up to date keeps, and must land on the same records.
            try await app.role(#"{"name":"ruled","permissions":[{"collection":"notes","read":true,"field_rules":{"note":{"read":"done == true"}}}]}"#, in: acme)
            let reader = try await app.user("ruled@acme.test", roles: ["ruled"], in: acme)
            let remembered = app.services.database.rememberedReads
            let generation = try #require(app.services.database.writeGeneration)
            var counter = 0
            func create(_ title: String, rank: Double, done: Bool, tag: String, note: String? = nil, token: String? = nil) async throws {
                counter += 1
                let note = note.map { #""\#($0)""# } ?? "null"
                let body = #"{"title":"\#(title)","rank":\#(rank),"done":\#(done),"tag":"\#(tag)","note":\#(note)}"#
                let created = try await app.request(.post, "/api/v1/records/notes", json: body, token: token ?? acme.token)
                #expect(created.status == 201, "\(created.text)")
            }
            /// Each list as the account's admin and as the ruled reader sees it: its ids, total and whole answer.
            func lists() async throws -> [String: (ids: [String], total: Int?, text: String)] {
                var answers: [String: (ids: [String], total: Int?, text: String)] = [:]
                for query in Self.queries {
                    let list = try await app.request(.get, "/api/v1/records/notes" + query, token: acme.token)
                    #expect(list.status == 200, "\(query): \(list.text)")
                    answers[query] = (list.items.compactMap { $0["id"] as? String }, list.int("total"), list.text)
                    let ruled = try await app.request(.get, "/api/v1/records/notes" + query, token: reader.token)
                    // It may not sort by `note` (403, whose JSON's keys come in any order).
                    answers["ruled " + query] = (ruled.items.compactMap { $0["id"] as? String }, ruled.int("total"), ruled.status == 200 ? ruled.text : "\(ruled.status)")
                }
                return answers
            }
            /// Every list as remembered, then as read afresh (everything made stale): the same records in
            /// the same order, each shown alike.
            func check(_ step: String) async throws {
                let remembered = try await lists()
                generation.advance(CollectionOfOne(.everything))
                let fresh = try await lists()
                for query in fresh.keys.sorted() {
                    #expect(remembered[query]?.ids == fresh[query]?.ids, "\(query) after \(step)")
                    #expect(remembered[query]?.total == fresh[query]?.total, "total of \(query) after \(step)")
                    #expect(remembered[query]?.text == fresh[query]?.text, "the answer to \(query) after \(step)")
                }
            }
            // Upper case sorts before lower case in byte order; ties on rank are ordered by title, then id.
            for (index, title) in ["delta", "Bravo", "alpha", "Charlie", "echo"].enumerated() {
                try await create(title, rank: Double(index % 3), done: index % 2 == 0, tag: index % 2 == 0 ? "a" : "b", note: "n\(index)")
            }
            _ = try await lists()
            try await create("beta", rank: 1, done: true, tag: "b", note: "m")
            try await check("a create that goes in the middle")
            try await create("Zulu", rank: -5, done: false, tag: "a", note: "z")
            try await check("a create that goes first or last")
            try await create("zz", rank: 7, done: true, tag: "b", note: "n2")
            try await create("aa", rank: 1, done: false, tag: "b", note: "a")
            try await check("two creates")
            // Another account's creates change nothing here.
            try await create("aaa", rank: 0, done: true, tag: "b", token: other.token)
            try await check("a create in another account")
            // A null in a sorted column: that page is read again, and still right.
            try await create("nulled", rank: 2, done: true, tag: "a", note: nil)
            try await check("a create with a null")
            // Creates together (shared transactions).
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<12 {
                    group.addTask {
                        let body = #"{"title":"t\#(index % 5)","rank":\#(index % 4),"done":\#(index % 3 == 0),"tag":"\#(index % 2 == 0 ? "a" : "b")","note":"x\#(index)"}"#
                        let created = try await app.request(.post, "/api/v1/records/notes", json: body, token: acme.token)
                        #expect(created.status == 201, "\(created.text)")
                    }
                }
                try await group.waitForAll()
            }
            try await check("12 creates together")
            // An update between: read again, and right.
            let first = try #require(try await app.request(.get, "/api/v1/records/notes?sort=title&limit=1", token: acme.token).items.first?["id"] as? String)
            #expect(try await app.request(.patch, "/api/v1/records/notes/\(first)", json: #"{"title":"zzz","rank":100}"#, token: acme.token).status == 200)
            try await create("after", rank: 3, done: true, tag: "a", note: "q")
            try await check("an update and a create")
            if let remembered {
                #expect(remembered.textSortsBytewise, "a database made with the C collation was not seen to sort text by its bytes")
                #expect(remembered.pagesBroughtUpToDate > 0, "pages were never brought up to date past a create")
            }
        }
    }

    @Test func aPageBroughtUpToDateKeepsWhatWasDerivedFromTheRecordsItKept() {
        func record(_ id: String) -> StoredRecord { ["id": .text(id), "title": .text("t" + id)] }
        func id(_ record: StoredRecord) -> String { RecordOrder.id(record) ?? "?" }
        let previous = RecordPage(records: [record("a"), record("b")])
        var made: [String] = []
        #expect(previous.derived { made.append(id($0)); return "json " + id($0) } == ["json a", "json b"])
        #expect(previous.decided(for: "reader", limit: 8) { made.append("decide " + id(previous.records[$0])); return "shown " + id(previous.records[$0]) }
            == ["shown a", "shown b"])
        let page = RecordPage(records: [record("a"), record("c"), record("b")], following: previous)
        made = []
        #expect(page.derived { made.append(id($0)); return "json " + id($0) } == ["json a", "json c", "json b"])
        #expect(page.decided(for: "reader", limit: 8) { made.append("decide " + id(page.records[$0])); return "shown " + id(page.records[$0]) }
            == ["shown a", "shown c", "shown b"])
        #expect(made == ["c", "decide c"], "only the created record is derived and decided")
        // A key the previous page never decided for is decided for every record.
        made = []
        #expect(page.decided(for: "another", limit: 8) { made.append(id(page.records[$0])); return 0 }.count == 3)
        #expect(made == ["a", "c", "b"])
    }

    @Test func anOrderThatCannotBeDecidedHereIsLeftToTheDatabase() {
        let order = RecordOrder([.init(field: "rank", descending: false)])
        func record(_ id: String, _ rank: Double?) -> StoredRecord { ["id": .text(id), "rank": .number(rank)] }
        let page = [record("a", 1), record("b", 2), record("c", 3)]
        #expect(order.merged(page, with: [record("d", 2)], limit: 3)?.compactMap { if case .text(let id?)? = $0["id"] { id } else { nil } } == ["a", "b", "d"])
        #expect(order.merged(page, with: [record("d", nil)], limit: 3) == nil, "a null was put in a place")
        #expect(order.merged(page, with: [record("d", .nan)], limit: 3) == nil, "NaN was put in a place")
        #expect(order.merged([record("b", 2), record("a", 1)], with: [record("d", 5)], limit: 3) == nil, "a page out of this order was trusted")
        // Byte order: "B" before "a"; a record already on the page is not added twice.
        let titles = RecordOrder([.init(field: "title", descending: false)])
        let named = [["id": StoredValue.text("1"), "title": .text("B")], ["id": .text("2"), "title": .text("a")]]
        #expect(titles.merged(named, with: [["id": .text("3"), "title": .text("C")], named[1]], limit: 5)?.count == 3)
        #expect(PostgresStore.sortsTextBytewise(collation: "C.UTF-8", provider: "c"))
        #expect(!PostgresStore.sortsTextBytewise(collation: "en_US.UTF-8", provider: "c"))
        #expect(!PostgresStore.sortsTextBytewise(collation: "C", provider: "i"), "ICU was taken for byte order")
        #expect(PostgresStore.sortsTextBytewise(collation: "POSIX", provider: nil))
    }
}

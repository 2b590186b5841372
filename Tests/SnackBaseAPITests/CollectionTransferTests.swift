import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import SQLKit
import SnackBaseService
import SnackBaseStore
import SnackBaseTesting
import Testing
/// `GET /collections/export` and `POST /collections/import` (operations.md), on each test database.
@Suite("Collection export and import")
struct CollectionTransferTests {
    @Test("XFER-010: schemas export, import into another server (create), and merge adds fields in one transaction")
    func schemas() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("people", fields: #"[{"name":"name","type":"text","required":true}]"#, root: root)
            try await app.createCollection("items", fields: RecordTransferTests.everyType, root: root)
            let acme = try await app.register("acme")
            #expect(try await app.request(.get, "/api/v1/collections/export", token: acme.token).status == 403)
            let export = try await app.request(.get, "/api/v1/collections/export", token: root)
            #expect(export.status == 200)
            #expect((export.array("collections") as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["items", "people"])
            let exported = export.data
            // As on a new server: the collections are gone, then come back from the export.
            #expect(try await app.request(.delete, "/api/v1/collections/items?confirm=true", token: root).status == 204)
            #expect(try await app.request(.delete, "/api/v1/collections/people?confirm=true", token: root).status == 204)
            // `items` references `people`, which comes after it: one import resolves both.
            let body = String(decoding: exported, as: UTF8.self).dropLast() + #","mode":"create"}"#
            let imported = try await app.request(.post, "/api/v1/collections/import", json: String(body), token: root)
            #expect(imported.status == 200, "\(imported.text)")
            let again = try await app.request(.get, "/api/v1/collections/export", token: root)
            #expect(NSDictionary(dictionary: again.json) == NSDictionary(dictionary: try JSONSerialization.jsonObject(with: exported) as! [String: Any]))

            // create again: every problem named, nothing changed.
            let twice = try await app.request(.post, "/api/v1/collections/import", json: String(body), token: root)
            #expect(twice.status == 422)
            let fields = (twice.array("details") as? [[String: Any]])?.compactMap { $0["field"] as? String }
            #expect(fields == ["collections.0.name", "collections.1.name"], "\(twice.text)")

            // merge: one good addition and one bad (type change) → 422 and the good one is not applied either.
            let bad = #"{"mode":"merge","collections":[{"name":"people","schema":{"fields":[{"name":"age","type":"number"}]}},{"name":"items","schema":{"fields":[{"name":"count","type":"text"}]}},{"name":"fresh","schema":{"fields":[]}}]}"#
            let refused = try await app.request(.post, "/api/v1/collections/import", json: bad, token: root)
            #expect(refused.status == 422 && refused.text.contains("collections.1.schema.fields.0.type"), "\(refused.text)")
            #expect(try await app.request(.get, "/api/v1/collections/people", token: root).text.contains("\"age\"") == false)
            #expect(try await app.request(.get, "/api/v1/collections/fresh", token: root).status == 404)

            let good = #"{"mode":"merge","collections":[{"name":"people","schema":{"fields":[{"name":"name","type":"text"},{"name":"age","type":"number"}]}},{"name":"fresh","schema":{"fields":[{"name":"x","type":"text"}]}}]}"#
            let merged = try await app.request(.post, "/api/v1/collections/import", json: good, token: root)
            #expect(merged.status == 200, "\(merged.text)")
            #expect(merged.array("created") as? [String] == ["fresh"] && merged.array("extended") as? [String] == ["people"])
            let people = try await app.request(.get, "/api/v1/collections/people", token: root)
            #expect(people.text.contains("\"age\"") && people.text.contains("\"required\":true"), "\(people.text)")
        }
    }
}

import Foundation
import SQLKit
import SnackBaseCore
@testable import SnackBaseStore
import SnackBaseTesting
import Testing

/// PostgreSQL's rows as ``OpenConnectionDatabase`` hands them on: stored values straight from their
/// cells when the type is the field's, everything else as PostgresKit decodes it; bound values,
/// NULL among them, as PostgresKit binds them.
@Suite("PostgreSQL rows and binds")
struct PostgresResultRowTests {
    @Test("PG-ROW-001: a record's number, boolean and text cells (and NULLs) are read as stored values; another type is left to the general decoding, which still reads it; binds of nil, text, integers, doubles, booleans and bytes arrive as sent")
    func storedValuesAndBinds() async throws {
        guard TestDatabase.postgresURL != nil else { return }
        try await TestDatabase.with(.postgres) { database in
            // Reads run as the application role, which the migrations create (a fresh server has none yet).
            try await Migrator.migrate(database)
            let rows = try await database.read { db -> [any SQLRow] in
                try await db.raw("""
                    SELECT \(bind: 2.5)::double precision AS number, \(bind: true)::boolean AS flag, \(bind: "tëxt")::text AS words,
                           \(bind: String?.none)::text AS nothing, \(bind: 7)::bigint AS count, \(bind: Data([0, 255, 7])) AS bytes,
                           \(bind: Int?.some(3))::int AS three, \(bind: Double?.none)::double precision AS no_number
                    """).all()
            }
            let row = try #require(rows.first as? PostgresResultRow, "rows do not come as PostgresResultRow: \(type(of: rows.first))")
            #expect(row.storedValue("number", as: .number) == .number(2.5))
            #expect(row.storedValue("flag", as: .boolean) == .bool(true))
            #expect(row.storedValue("words", as: .text) == .text("tëxt"))
            #expect(row.storedValue("nothing", as: .email) == .text(nil))
            #expect(row.storedValue("no_number", as: .number) == .number(nil))
            // A bigint is not how a number field is stored: left to the general decoding.
            #expect(row.storedValue("count", as: .number) == nil)
            #expect(row.storedValue("missing", as: .text) == nil)
            #expect(try row.decode(column: "count", as: Int.self) == 7)
            #expect(try row.decode(column: "three", as: Int.self) == 3)
            #expect(try row.decode(column: "bytes", as: Data.self) == Data([0, 255, 7]))
            #expect(try row.decodeNil(column: "nothing"))
            #expect(try row.decode(column: "nothing", as: String?.self) == nil)
            #expect(row.contains(column: "words") && !row.contains(column: "missing"))
            #expect(Set(row.allColumns) == ["number", "flag", "words", "nothing", "count", "bytes", "three", "no_number"])
        }
    }
}

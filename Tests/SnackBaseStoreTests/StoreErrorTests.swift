import SnackBaseCore
import SnackBaseRules
import SnackBaseStore
import SnackBaseTesting
import Testing

/// The store answers in its own errors, never in HTTP statuses; the API maps them (ErrorResponder).
@Suite("Store errors")
struct StoreErrorTests {
    @Test("unknown role names are refused, each named once and sorted; known ones resolve")
    func unknownRoles() async throws {
        for kind in TestDatabase.kinds {
            try await TestDatabase.with(kind) { database in
                try await Migrator.migrate(database)
                try await database.transaction { db in try await SystemAccount.ensure(on: db) }
                let scope = AccountScope(.system)
                await #expect(throws: UnknownRoles(names: ["alpha", "zeta"])) {
                    try await database.transaction { db in
                        try await RoleRepository.ids(forNames: ["zeta", Role.admin, "alpha", "zeta"], in: scope, on: db)
                    }
                }
                let ids = try await database.transaction { db in try await RoleRepository.ids(forNames: [Role.admin], in: scope, on: db) }
                #expect(ids.count == 1)
            }
        }
    }

    @Test("a list naming a column outside the schema is refused before any SQL is built")
    func unknownColumn() async throws {
        try await TestDatabase.with(.sqlite) { database in
            let collection = CollectionSchema(id: "col_1", name: "notes", description: "", fields: [FieldSchema(name: "title", type: .text)],
                                              createdAt: "2026-01-01T00:00:00.000Z", updatedAt: "2026-01-01T00:00:00.000Z")
            let scope = RecordScope(account: AccountScope(.system), collection: collection)
            await #expect(throws: UnknownColumn(name: "secret")) {
                try await database.read { db in
                    try await RecordRepository.list(in: scope, conditions: [], sort: [.init(field: "secret", descending: false)], skip: 0, limit: 1, on: db)
                }
            }
            let condition = SQLFragment(pieces: [.identifier("password_hash"), .sql(" IS NOT NULL")])
            await #expect(throws: UnknownColumn(name: "password_hash")) {
                try await database.read { db in
                    try await RecordRepository.list(in: scope, conditions: [condition], sort: [], skip: 0, limit: 1, on: db)
                }
            }
        }
    }
}

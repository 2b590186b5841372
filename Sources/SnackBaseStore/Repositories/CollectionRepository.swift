import Foundation
import SQLKit
import SnackBaseCore

/// Collections and their physical tables. Every identifier in the DDL below comes from a stored,
/// validated schema (`^[a-z][a-z0-9_]{0,62}$`) and is quoted by SQLKit's dialect.
public enum CollectionRepository {
    public static func all(on db: any SQLDatabase) async throws -> [CollectionSchema] {
        try await db.raw("SELECT * FROM collections ORDER BY name").all().map(decode)
    }

    public static func find(name: String, on db: any SQLDatabase) async throws -> CollectionSchema? {
        try await db.raw("SELECT * FROM collections WHERE name = \(bind: name)").first().map(decode)
    }

    /// Stores the collection and creates its table with the system columns, the indexes that the
    /// default list order and ownership lookups need, and one unique index per unique field.
    /// On PostgreSQL the table is created as the owner (``RowSecurity/Bypass/schemaChange``) and put
    /// under the account-isolation policy.
    public static func create(_ collection: CollectionSchema, kind: DatabaseKind, on db: any SQLDatabase) async throws {
        try await RowSecurity.bypassing(.schemaChange, on: db) { db in
            try await createTable(collection, kind: kind, on: db)
            try await RowSecurity.protectCollectionTable(collection.tableName, kind: kind, on: db)
        }
    }

    private static func createTable(_ collection: CollectionSchema, kind: DatabaseKind, on db: any SQLDatabase) async throws {
        try await db.raw("""
            INSERT INTO collections (id, name, description, schema, created_at, updated_at)
            VALUES (\(bind: collection.id), \(bind: collection.name), \(bind: collection.description),
                    \(bind: try encodeFields(collection.fields)), \(bind: collection.createdAt), \(bind: collection.updatedAt))
            """).run()
        let table = collection.tableName
        var columns = """
            \(SQLIdentifier("id").serialized(db)) TEXT PRIMARY KEY,
            \(SQLIdentifier("account_id").serialized(db)) TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            \(SQLIdentifier("created_at").serialized(db)) TEXT NOT NULL, \(SQLIdentifier("updated_at").serialized(db)) TEXT NOT NULL,
            \(SQLIdentifier("created_by").serialized(db)) TEXT, \(SQLIdentifier("updated_by").serialized(db)) TEXT
            """
        for field in collection.fields {
            columns += ", " + SQLIdentifier(field.name).serialized(db) + " " + columnType(field.type, kind)
        }
        try await db.raw(SQLQueryString("CREATE TABLE \(SQLIdentifier(table).serialized(db)) (\(columns))")).run()
        try await db.raw("CREATE INDEX \(ident: indexName(table + "_by_account_created", on: db)) ON \(ident: table) (account_id, created_at, id)").run()
        try await db.raw("CREATE INDEX \(ident: indexName(table + "_by_account_owner", on: db)) ON \(ident: table) (account_id, created_by)").run()
        for field in collection.fields where field.unique {
            try await createUniqueIndex(table: table, field: field.name, on: db)
        }
    }

    /// Applies a new field list: adds new fields, drops missing ones, adds or drops unique indexes,
    /// and stores the new schema. Type changes are refused by the caller before this runs. A field
    /// made unique while some record holds a value too long for its index is refused with
    /// ``ValuesTooLongForUnique``.
    ///
    /// Existing records take the default (`defaults`, by field name) of a field added with one, and of
    /// a field made required where they have no value. A field that is required afterwards while some
    /// record still has no value for it is refused with ``RecordsWithoutValue``; the caller's
    /// transaction then rolls every step back.
    public static func update(from old: CollectionSchema, to new: CollectionSchema, defaults: [String: StoredValue],
                              kind: DatabaseKind, on db: any SQLDatabase) async throws {
        try await RowSecurity.bypassing(.schemaChange, on: db) { db in
            try await alterTable(from: old, to: new, defaults: defaults, kind: kind, on: db)
        }
    }

    /// Fields that are required after a schema change while some record (of any account) has no value for them.
    public struct RecordsWithoutValue: Error {
        public let fields: [String]
    }

    /// Fields made unique while some record (of any account) holds a value longer than
    /// ``FieldSchema/uniqueValueLimit`` bytes in them.
    public struct ValuesTooLongForUnique: Error {
        public let fields: [String]
    }

    private static func alterTable(from old: CollectionSchema, to new: CollectionSchema, defaults: [String: StoredValue],
                                   kind: DatabaseKind, on db: any SQLDatabase) async throws {
        let table = new.tableName
        let oldNames = Set(old.fields.map(\.name))
        let newNames = Set(new.fields.map(\.name))
        var tooLong: [String] = []
        for field in old.fields where !newNames.contains(field.name) {
            if field.unique { try await dropUniqueIndex(table: table, field: field.name, on: db) }
            try await db.raw("ALTER TABLE \(ident: table) DROP COLUMN \(ident: field.name)").run()
        }
        for field in new.fields where !oldNames.contains(field.name) {
            try await db.raw(SQLQueryString("ALTER TABLE \(SQLIdentifier(table).serialized(db)) ADD COLUMN \(SQLIdentifier(field.name).serialized(db)) \(columnType(field.type, kind))")).run()
            if let value = defaults[field.name] { try await fillEmpty(table: table, field: field.name, with: value, on: db) }
            if field.unique { try await createUniqueIndex(table: table, field: field.name, on: db) }
        }
        for field in new.fields where oldNames.contains(field.name) {
            let before = old.field(field.name)
            if field.required, before?.required == false, let value = defaults[field.name] {
                try await fillEmpty(table: table, field: field.name, with: value, on: db)
            }
            if field.unique && before?.unique == false {
                if field.type != .number, field.type != .boolean, try await db.raw("""
                    SELECT 1 AS one FROM \(ident: table) WHERE octet_length(\(ident: field.name)) > \(bind: FieldSchema.uniqueValueLimit) LIMIT 1
                    """).first() != nil {
                    tooLong.append(field.name)
                    continue
                }
                try await createUniqueIndex(table: table, field: field.name, on: db)
            }
            if !field.unique && before?.unique == true { try await dropUniqueIndex(table: table, field: field.name, on: db) }
        }
        guard tooLong.isEmpty else { throw ValuesTooLongForUnique(fields: tooLong) }
        var lacking: [String] = []
        for field in new.fields where field.required && old.field(field.name)?.required != true {
            if try await db.raw("SELECT 1 AS one FROM \(ident: table) WHERE \(ident: field.name) IS NULL LIMIT 1").first() != nil {
                lacking.append(field.name)
            }
        }
        guard lacking.isEmpty else { throw RecordsWithoutValue(fields: lacking) }
        try await db.raw("""
            UPDATE collections SET description = \(bind: new.description), schema = \(bind: try encodeFields(new.fields)),
                updated_at = \(bind: new.updatedAt) WHERE id = \(bind: new.id)
            """).run()
    }

    /// Gives every record without a value for `field` the bound `value` (a schema change: all accounts).
    private static func fillEmpty(table: String, field: String, with value: StoredValue, on db: any SQLDatabase) async throws {
        try await db.raw("UPDATE \(ident: table) SET \(ident: field) = \(SQLBind(value.bind)) WHERE \(ident: field) IS NULL").run()
    }

    public static func delete(_ collection: CollectionSchema, on db: any SQLDatabase) async throws {
        try await RowSecurity.bypassing(.schemaChange, on: db) { db in
            try await db.raw("DROP TABLE \(ident: collection.tableName)").run()
            try await db.raw("DELETE FROM collections WHERE id = \(bind: collection.id)").run()
        }
    }

    /// Unique per account: two tenants may hold the same value.
    static func createUniqueIndex(table: String, field: String, on db: any SQLDatabase) async throws {
        try await db.raw("CREATE UNIQUE INDEX \(ident: indexName(table + "_unique_" + field, on: db)) ON \(ident: table) (account_id, \(ident: field))").run()
    }

    static func dropUniqueIndex(table: String, field: String, on db: any SQLDatabase) async throws {
        try await db.raw("DROP INDEX IF EXISTS \(ident: indexName(table + "_unique_" + field, on: db))").run()
    }

    /// PostgreSQL keeps only the first 63 bytes of an identifier, so two long index names of one table
    /// could end up the same (and the second CREATE INDEX fail). There a longer name becomes its first
    /// 46 bytes, `_` and the 16 hex digits of its FNV-1a hash, stable across runs. SQLite keeps any
    /// length, so its names stay as they always were. Names are ASCII (validated schema names).
    static func indexName(_ name: String, on db: any SQLDatabase) -> String {
        guard db.dialect.name == "postgresql", name.utf8.count > 63 else { return name }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        let hex = String(hash, radix: 16)
        return String(decoding: name.utf8.prefix(46), as: UTF8.self) + "_" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    static func columnType(_ type: FieldType, _ kind: DatabaseKind) -> String {
        switch (type, kind) {
        case (.number, .sqlite): "REAL"
        case (.number, .postgres): "DOUBLE PRECISION"
        case (.boolean, .sqlite): "INTEGER"
        case (.boolean, .postgres): "BOOLEAN"
        case (.text, _), (.datetime, _), (.email, _), (.url, _), (.json, _), (.reference, _): "TEXT"
        }
    }

    static func encodeFields(_ fields: [FieldSchema]) throws -> String {
        String(decoding: try JSONEncoder.sorted.encode(fields), as: UTF8.self)
    }

    static func decode(_ row: any SQLRow) throws -> CollectionSchema {
        let schema = try row.decode(column: "schema", as: String.self)
        return CollectionSchema(
            id: try row.decode(column: "id", as: String.self),
            name: try row.decode(column: "name", as: String.self),
            description: try row.decode(column: "description", as: String.self),
            fields: try JSONDecoder().decode([FieldSchema].self, from: Data(schema.utf8)),
            createdAt: try row.decode(column: "created_at", as: String.self),
            updatedAt: try row.decode(column: "updated_at", as: String.self)
        )
    }
}

extension SQLExpression {
    /// The expression as SQL text in `db`'s dialect (used for identifiers in DDL only).
    func serialized(_ db: any SQLDatabase) -> String {
        db.serialize(self).sql
    }
}

import Foundation
import SQLKit
import SnackBaseCore
import SnackBaseRules

/// Records of one collection in one account. Every statement starts from a ``RecordScope`` and
/// carries `account_id = <scope>`; column names come only from the collection's stored schema.
public enum RecordRepository {
    public struct Sort: Sendable, Hashable {
        public let field: String
        public let descending: Bool
        public init(field: String, descending: Bool) {
            self.field = field
            self.descending = descending
        }
    }

    public static func insert(_ record: StoredRecord, in scope: RecordScope, on db: any SQLDatabase) async throws {
        try await RowSecurity.enter(scope.account, on: db)
        let columns = scope.columns.filter { record[$0] != nil }
        let binds = columns.map { record[$0]!.bind }
        let insert = StatementTexts.statement("insert\u{1}\(scope.table)\u{1}" + columns.joined(separator: ","), on: db, binds: binds, prepared: true) {
            db.insert(into: SQLIdentifier(scope.table)).columns(columns.map { SQLIdentifier($0) }).values(binds.map { SQLBind($0) }).query
        }
        try await db.execute(sql: insert) { _ in }
    }

    /// The record with this id in the scope's account. `remembered`, when given, may answer from
    /// memory (nothing written since it was read).
    public static func find(id: String, in scope: RecordScope, remembered: RememberedReads? = nil, on db: any SQLDatabase) async throws -> StoredRecord? {
        try await findPage(id: id, in: scope, remembered: remembered, on: db).records.first
    }

    /// ``find(id:in:remembered:on:)`` as a page of that record alone (empty when there is none): where
    /// records are remembered, the same page for every request before the next write, with what is
    /// derived from it (``RecordPage/derived(each:)``).
    public static func findPage(id: String, in scope: RecordScope, remembered: RememberedReads? = nil, on db: any SQLDatabase) async throws -> RecordPage {
        try await RowSecurity.enter(scope.account, on: db)
        let read = {
            let binds: [any Encodable & Sendable] = [scope.account.accountID.rawValue, id]
            let select = StatementTexts.statement("find\u{1}\(scope.table)", on: db, binds: binds) {
                db.select().column(SQLLiteral.all).from(SQLIdentifier(scope.table))
                    .where(SQLIdentifier("account_id"), .equal, SQLBind(binds[0]))
                    .where(SQLIdentifier("id"), .equal, SQLBind(binds[1]))
                    .limit(1).select
            }
            // The callback runs before `execute` returns, on this task (as in SQLKit's own `first()`).
            nonisolated(unsafe) var found: (any SQLRow)?
            try await db.execute(sql: select) { row in if found == nil { found = row } }
            return try found.map { try decode($0, in: scope) }
        }
        guard let remembered else { return RecordPage(records: try await read().map { [$0] } ?? []) }
        let key = RememberedReads.Key(query: .record(id: id), table: scope.table, account: scope.account.accountID.rawValue, conditions: [], shape: scope.shape)
        return try await remembered.record(for: key, read: read)
    }

    /// The record as it is now, inside a write transaction: never remembered, and on PostgreSQL
    /// locked until the transaction ends (SQLite's write transactions run one at a time already).
    public static func findForWrite(id: String, in scope: RecordScope, on db: any SQLDatabase) async throws -> StoredRecord? {
        try await RowSecurity.enter(scope.account, on: db)
        let select = db.select().column(SQLLiteral.all).from(SQLIdentifier(scope.table))
            .where(SQLIdentifier("account_id"), .equal, SQLBind(scope.account.accountID.rawValue))
            .where(SQLIdentifier("id"), .equal, SQLBind(id))
            .limit(1)
        if db.dialect.name == "postgresql" { select.for(.update) }
        return try await select.first().map { try decode($0, in: scope) }
    }

    /// Whether a record with this id exists in the account, in another collection (reference checks).
    public static func exists(id: String, collection: CollectionSchema, in account: AccountScope, on db: any SQLDatabase) async throws -> Bool {
        try await RowSecurity.enter(account, on: db)
        return try await db.select().column(SQLIdentifier("id")).from(SQLIdentifier(collection.tableName))
            .where(SQLIdentifier("account_id"), .equal, SQLBind(account.accountID.rawValue))
            .where(SQLIdentifier("id"), .equal, SQLBind(id))
            .first() != nil
    }

    /// The reference fields among `values` whose id names no record of the same account in the
    /// field's target collection.
    public static func missingReferences(
        _ values: StoredRecord, in scope: RecordScope, collections: [String: CollectionSchema], on db: any SQLDatabase
    ) async throws -> [String] {
        try await RowSecurity.enter(scope.account, on: db)
        var missing: [String] = []
        for field in scope.collection.fields where field.type == .reference {
            guard case .text(let id?) = values[field.name] else { continue }
            guard let target = collections[field.options?.collection ?? ""],
                  try await exists(id: id, collection: target, in: scope.account, on: db)
            else {
                missing.append(field.name)
                continue
            }
        }
        return missing
    }

    /// One page of records matching every condition, and how many match in all.
    /// `conditions` are compiled rule fragments (the read rule, the `filter` parameter, shortcuts).
    /// `remembered`, when given, may answer the page and the count from memory (nothing written since they were read).
    public static func list(
        in scope: RecordScope, conditions: [SQLFragment], sort: [Sort], skip: Int, limit: Int, remembered: RememberedReads? = nil, on db: any SQLDatabase
    ) async throws -> (page: RecordPage, total: Int) {
        try await RowSecurity.enter(scope.account, on: db)
        let known = Set(scope.columns)
        for fragment in conditions {
            for case .identifier(let name) in fragment.pieces where !known.contains(name) {
                throw UnknownColumn(name: name)
            }
        }
        for order in sort where !known.contains(order.field) {
            throw UnknownColumn(name: order.field)
        }
        /// A new `SELECT … FROM <table> WHERE account_id = ? AND <every condition>`.
        func matching() -> SQLSelectBuilder {
            var builder = db.select().from(SQLIdentifier(scope.table))
                .where(SQLIdentifier("account_id"), .equal, SQLBind(scope.account.accountID.rawValue))
            for fragment in conditions { builder = builder.where(RuleFragmentExpression(fragment: fragment)) }
            return builder
        }
        var select = matching().column(SQLLiteral.all)
        let count = matching().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
        for order in sort {
            select = select.orderBy(SQLIdentifier(order.field), order.descending ? SQLDirection.descending : SQLDirection.ascending)
        }
        if !sort.contains(where: { $0.field == "id" }) {
            select = select.orderBy(SQLIdentifier("id"), sort.last?.descending == true ? SQLDirection.descending : SQLDirection.ascending)
        }
        // The default order (created_at) is served by the (account_id, created_at, id) index, so the page
        // stops after `limit` rows and a separate COUNT is cheap. Any other order has to read every
        // matching row to sort it anyway: then the same pass counts them (a window), instead of a second scan.
        // Where lists are remembered (SQLite), the count is its own query in every order: it is
        // counted once per write and the page query stays a plain, cheaper sort.
        if let remembered {
            let account = scope.account.accountID.rawValue
            let shape = scope.shape
            let page = RememberedReads.Key(query: .page(sort: sort, skip: skip, limit: limit), table: scope.table, account: account, conditions: conditions, shape: shape)
            // The records of creates a page was brought up to date with: which ids were asked, which met its conditions.
            var caughtUp: (asked: Set<String>, met: Set<String>)?
            let items = try await remembered.page(for: page, read: {
                RecordPage(records: try await select.limit(limit).offset(skip).all().map { try decode($0, in: scope) })
            }, catchUp: { ids in
                // A builder of its own: when the records cannot be put in their places, `read` runs after this.
                let records = try await matching().column(SQLLiteral.all).where(SQLIdentifier("id"), .in, SQLBind.group(ids)).all()
                    .map { try decode($0, in: scope) }
                caughtUp = (Set(ids), Set(records.compactMap(RecordOrder.id)))
                return records
            })
            let total = RememberedReads.Key(query: .count, table: scope.table, account: account, conditions: conditions, shape: [])
            let snapshots = remembered.totalsAfterCreates == .caughtUp
            // `count` is a builder (a class) that each closure adds to: only one of them runs per call.
            return (items, try await remembered.total(for: total, count: {
                // In the same statement, so the snapshot is the one the count saw.
                let row = try await (snapshots ? count.column(SQLRaw("pg_current_snapshot()::text"), as: "snackbase_snapshot") : count).first()
                let snapshot = snapshots ? try row?.decode(column: "snackbase_snapshot", as: String.self) : nil
                return .init(value: try row?.decode(column: "n", as: Int.self) ?? 0, snapshot: snapshot.flatMap(PostgresSnapshot.init))
            }, catchUp: { ids in
                // The same conditions asked of these ids a statement ago, for the page.
                if let caughtUp, caughtUp.asked.isSuperset(of: ids) { return ids.filter(caughtUp.met.contains).count }
                return try await count.where(SQLIdentifier("id"), .in, SQLBind.group(ids)).first()?.decode(column: "n", as: Int.self) ?? 0
            }))
        }
        let separateCount = sort.allSatisfy { $0.field == "created_at" || $0.field == "id" }
        if !separateCount {
            select = select.column(SQLRaw("COUNT(*) OVER ()"), as: "snackbase_total")
        }
        let rows = try await select.limit(limit).offset(skip).all()
        let total: Int
        if !separateCount, let first = rows.first {
            total = try first.decode(column: "snackbase_total", as: Int.self)
        } else if !separateCount, skip == 0 {
            total = 0
        } else {
            total = try await count.first()?.decode(column: "n", as: Int.self) ?? 0
        }
        return (RecordPage(records: try rows.map { try decode($0, in: scope) }), total)
    }

    /// Whether the record `id` of the scope's account meets every condition: the WHERE of a list's
    /// count with `id = ?` added (``TotalsCarry``, inside the write that inserted it).
    static func contains(id: String, in scope: RecordScope, conditions: [SQLFragment], on db: any SQLDatabase) async throws -> Bool {
        try await RowSecurity.enter(scope.account, on: db)
        let known = Set(scope.columns)
        for fragment in conditions {
            for case .identifier(let name) in fragment.pieces where !known.contains(name) {
                throw UnknownColumn(name: name)
            }
        }
        var count = db.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from(SQLIdentifier(scope.table))
            .where(SQLIdentifier("account_id"), .equal, SQLBind(scope.account.accountID.rawValue))
            .where(SQLIdentifier("id"), .equal, SQLBind(id))
        for fragment in conditions {
            count = count.where(RuleFragmentExpression(fragment: fragment))
        }
        return try await count.first()?.decode(column: "n", as: Int.self) ?? 0 > 0
    }

    /// Writes the given columns of one record of the scope's account.
    public static func update(id: String, _ values: StoredRecord, in scope: RecordScope, on db: any SQLDatabase) async throws {
        try await RowSecurity.enter(scope.account, on: db)
        let columns = scope.columns.filter { values[$0] != nil && $0 != "id" && $0 != "account_id" }
        guard !columns.isEmpty else { return }
        var update = db.update(SQLIdentifier(scope.table))
        for column in columns {
            update = update.set(SQLIdentifier(column), to: SQLBind(values[column]!.bind))
        }
        try await update
            .where(SQLIdentifier("account_id"), .equal, SQLBind(scope.account.accountID.rawValue))
            .where(SQLIdentifier("id"), .equal, SQLBind(id))
            .run()
    }

    public static func delete(id: String, in scope: RecordScope, on db: any SQLDatabase) async throws {
        try await RowSecurity.enter(scope.account, on: db)
        try await db.delete(from: SQLIdentifier(scope.table))
            .where(SQLIdentifier("account_id"), .equal, SQLBind(scope.account.accountID.rawValue))
            .where(SQLIdentifier("id"), .equal, SQLBind(id))
            .run()
    }

    static func decode(_ row: any SQLRow, in scope: RecordScope) throws -> StoredRecord {
        var record: StoredRecord = [:]
        record.reserveCapacity(scope.columns.count)
        let direct = row as? SQLiteResultRow
        let postgres = direct == nil ? row as? PostgresResultRow : nil
        for column in scope.columns {
            guard let type = scope.type(of: column) else { continue }
            // The database's own values, read without going through Decodable when their type is the expected one.
            if let direct, let value = direct.storedValue(column, as: type) {
                record[column] = value
                continue
            }
            if let postgres, let value = postgres.storedValue(column, as: type) {
                record[column] = value
                continue
            }
            switch type {
            case .number: record[column] = .number(try row.decode(column: column, as: Double?.self))
            case .boolean: record[column] = .bool(try row.decode(column: column, as: Bool?.self))
            case .text, .datetime, .email, .url, .json, .reference: record[column] = .text(try row.decode(column: column, as: String?.self))
            }
        }
        return record
    }
}

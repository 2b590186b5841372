import SQLKit
import Synchronization

/// The SQL text of the hot record statements, built with SQLKit once per dialect, table and column
/// list and then reused with each request's binds: on a by-id read, serialising the query cost as
/// much CPU as SQLite running it. Only identifiers (from the stored schema) shape the text; every
/// value is a bind, exactly as in the statement it was built from.
enum StatementTexts {
    /// Past this many texts (tables × column lists) the memory is emptied and refilled.
    static let limit = 1024
    private static let known = Mutex<[String: String]>([:])

    /// The statement built by `build` (with binds of any value: only their number and order matter),
    /// as text for `db`'s dialect, ready to run with `binds` in the same order.
    /// `prepared`: PostgreSQL may keep it parsed and planned (``Preparable``: no rows in its answer).
    static func statement(_ key: String, on db: any SQLDatabase, binds: [any Encodable & Sendable], prepared: Bool = false,
                          build: () -> any SQLExpression) -> any SQLExpression {
        let fullKey = db.dialect.name + "\u{1}" + key
        if let sql = known.withLock({ $0[fullKey] }) {
            return reused(Reused(sql: sql, binds: binds), prepared: prepared)
        }
        var serializer = SQLSerializer(database: db)
        build().serialize(to: &serializer)
        known.withLock { known in
            if known.count >= limit { known.removeAll(keepingCapacity: true) }
            known[fullKey] = serializer.sql
        }
        return reused(Reused(sql: serializer.sql, binds: binds), prepared: prepared)
    }

    private static func reused(_ statement: Reused, prepared: Bool) -> any SQLExpression {
        prepared ? Prepared(expression: statement) : statement
    }

    private struct Reused: SQLExpression {
        let sql: String
        let binds: [any Encodable & Sendable]

        func serialize(to serializer: inout SQLSerializer) {
            serializer.write(sql)
            serializer.binds.append(contentsOf: binds)
        }
    }
}

/// A parenthesized SQL condition in pieces, so that no value ever enters SQL text: keywords and
/// operators, column names (quoted when rendered) and bound values.
///
/// The store maps `.sql` to raw SQL, `.identifier` to a quoted column and `.bind` to a parameter,
/// and ANDs the whole into `WHERE account_id = ? AND <fragment>`.
public struct SQLFragment: Sendable, Hashable, CustomStringConvertible {
    public enum Piece: Sendable, Hashable {
        /// Keywords, operators, punctuation and function names — never a value.
        case sql(String)
        /// A record field name, taken from the collection's schema; to be quoted.
        case identifier(String)
        /// A value to bind: `.number`, `.text`, or `.bool` (PostgreSQL only; SQLite gets 0/1). Never null or a list.
        case bind(RuleValue)
    }

    public var pieces: [Piece]

    public init(pieces: [Piece]) {
        self.pieces = pieces
    }

    /// The SQL text with identifiers quoted and placeholders numbered from `firstPlaceholder`
    /// (`?` for SQLite, `$n` for PostgreSQL), and the values to bind in order.
    public func render(dialect: some RuleSQLDialect, firstPlaceholder: Int = 1) -> (sql: String, bindings: [RuleValue]) {
        var sql = ""
        var bindings: [RuleValue] = []
        for piece in pieces {
            switch piece {
            case .sql(let text): sql += text
            case .identifier(let name): sql += dialect.quoted(identifier: name)
            case .bind(let value):
                sql += dialect.placeholder(index: firstPlaceholder + bindings.count)
                bindings.append(value)
            }
        }
        return (sql, bindings)
    }

    /// The SQLite rendering with the bindings inlined after it, for logs and the CLI.
    public var description: String {
        let (sql, bindings) = render(dialect: RuleSQLiteDialect())
        return bindings.isEmpty ? sql : sql + " -- " + bindings.map(\.description).joined(separator: ", ")
    }
}

/// How a residual becomes a `WHERE` condition: no filter, no query at all, or a fragment.
public enum SQLWhere: Sendable, Equatable {
    /// The rule holds for every record: add no condition.
    case noFilter
    /// The rule holds for no record: return an empty list without querying.
    case noRows
    /// AND this fragment into the query.
    case fragment(SQLFragment)
}

/// What differs between databases when compiling rules — one conforming type per database, so there is
/// one compiler and the differences are in one place. Both dialects store records as the store
/// creates them: text, email, url, reference, datetime (canonical) and json as text; numbers as
/// 64-bit floats; booleans as 0/1 integers (SQLite) or `BOOLEAN` (PostgreSQL).
///
/// ```swift
/// struct MyDialect: SQLDialect {
///     func quoted(identifier: String) -> String { "\"" + identifier + "\"" }  // plus escaping
///     func placeholder(index: Int) -> String { "?" }
///     …
/// }
/// ```
public protocol SQLDialect: Sendable {
    /// A column name quoted for this database.
    func quoted(identifier: String) -> String
    /// The placeholder of the `index`-th (1-based) bound parameter.
    func placeholder(index: Int) -> String
    /// The value as this database's column types expect it bound (SQLite: booleans as 0/1; both: datetimes as text).
    func bindable(_ value: RuleValue) -> RuleValue
    /// Null-safe equality, true or false even when an operand is NULL.
    var nullSafeEqual: String { get }
    /// Written after the left operand of a text or datetime ordering so that order is by code point.
    var codePointCollation: String { get }
    /// The condition "`text` contains / starts with / ends with `part`", for non-null operands, case-sensitive.
    func textTest(_ test: RuleTextTest, text: [SQLFragment.Piece], part: [SQLFragment.Piece]) -> [SQLFragment.Piece]
}

extension SQLDialect {
    /// Double quotes, with embedded double quotes doubled (standard SQL).
    func standardQuoted(_ identifier: String) -> String {
        var quoted = "\""
        for character in identifier {
            quoted.append(character)
            if character == "\"" { quoted.append("\"") }
        }
        return quoted + "\""
    }
}

/// SQLite: `IS` for null-safe equality, `BINARY` (byte) collation, booleans bound as 0/1,
/// `instr`/`substr`/`length` for text tests (not `LIKE`, which ignores case in SQLite).
public struct SQLiteDialect: SQLDialect {
    public init() {}

    public func quoted(identifier: String) -> String { standardQuoted(identifier) }

    public func placeholder(index: Int) -> String { "?" }

    public func bindable(_ value: RuleValue) -> RuleValue {
        switch value {
        case .bool(let flag): .number(flag ? 1 : 0)
        case .datetime(let text): .text(text)
        case .null, .number, .text, .list: value
        }
    }

    public var nullSafeEqual: String { "IS" }

    public var codePointCollation: String { " COLLATE BINARY" }

    public func textTest(_ test: RuleTextTest, text: [SQLFragment.Piece], part: [SQLFragment.Piece]) -> [SQLFragment.Piece] {
        switch test {
        case .contains:
            [.sql("instr(")] + text + [.sql(", ")] + part + [.sql(") > 0")]
        case .startsWith:
            [.sql("substr(")] + text + [.sql(", 1, length(")] + part + [.sql(")) = ")] + part
        case .endsWith:
            // substr(x, 0) and negative starts have special meanings in SQLite: guard the lengths.
            [.sql("(length(")] + part + [.sql(") <= length(")] + text + [.sql(") AND substr(")] + text
                + [.sql(", length(")] + text + [.sql(") - length(")] + part + [.sql(") + 1) = ")] + part + [.sql(")")]
        }
    }
}

/// PostgreSQL: `IS NOT DISTINCT FROM`, `COLLATE "C"` for code-point order, real booleans,
/// `strpos`/`left`/`right` for text tests.
public struct PostgresDialect: SQLDialect {
    public init() {}

    public func quoted(identifier: String) -> String { standardQuoted(identifier) }

    public func placeholder(index: Int) -> String { "$\(index)" }

    public func bindable(_ value: RuleValue) -> RuleValue {
        switch value {
        case .datetime(let text): .text(text)
        case .null, .bool, .number, .text, .list: value
        }
    }

    public var nullSafeEqual: String { "IS NOT DISTINCT FROM" }

    public var codePointCollation: String { " COLLATE \"C\"" }

    public func textTest(_ test: RuleTextTest, text: [SQLFragment.Piece], part: [SQLFragment.Piece]) -> [SQLFragment.Piece] {
        switch test {
        case .contains:
            [.sql("strpos(")] + text + [.sql(", ")] + part + [.sql(") > 0")]
        case .startsWith:
            [.sql("left(")] + text + [.sql(", length(")] + part + [.sql(")) = ")] + part
        case .endsWith:
            [.sql("right(")] + text + [.sql(", length(")] + part + [.sql(")) = ")] + part
        }
    }
}

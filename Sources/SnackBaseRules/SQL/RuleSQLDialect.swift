/// What differs between databases when compiling rules — one conforming type per database, so there is
/// one compiler and the differences are in one place. Both dialects store records as the store
/// creates them: text, email, url, reference, datetime (canonical) and json as text; numbers as
/// 64-bit floats; booleans as 0/1 integers (SQLite) or `BOOLEAN` (PostgreSQL).
/// (The `Rule` prefix keeps these apart from SQLKit's `SQLDialect`, SQLiteKit's `SQLiteDialect` and
/// PostgresKit's `PostgresDialect`, which the store imports next to this module.)
///
/// ```swift
/// struct MyDialect: RuleSQLDialect {
///     func quoted(identifier: String) -> String { "\"" + identifier + "\"" }  // plus escaping
///     func placeholder(index: Int) -> String { "?" }
///     …
/// }
/// ```
public protocol RuleSQLDialect: Sendable {
    /// A column name quoted for this database.
    func quoted(identifier: String) -> String
    /// The placeholder of the `index`-th (1-based) bound parameter.
    func placeholder(index: Int) -> String
    /// The value as this database's column types expect it bound (SQLite: booleans as 0/1; both: datetimes as text).
    func bindable(_ value: RuleValue) -> RuleValue
    /// Null-safe equality, true or false even when an operand is NULL.
    var nullSafeEqual: String { get }
    /// Whether equality with a constant is written guarded, `(x IS NOT NULL AND x = ?)` (as true or
    /// false as the null-safe form, since the constant is never NULL), because this database's indexes
    /// serve `=` but not its null-safe equality (PostgreSQL's `IS NOT DISTINCT FROM`; SQLite's `IS` is served).
    var guardsEqualityWithAConstant: Bool { get }
    /// Written after the left operand of a text or datetime ordering so that order is by code point.
    var codePointCollation: String { get }
    /// The condition "`text` contains / starts with / ends with `part`", for non-null operands, case-sensitive.
    func textTest(_ test: RuleTextTest, text: [SQLFragment.Piece], part: [SQLFragment.Piece]) -> [SQLFragment.Piece]
}

extension RuleSQLDialect {
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

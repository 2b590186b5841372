/// PostgreSQL: `IS NOT DISTINCT FROM`, `COLLATE "C"` for code-point order, real booleans,
/// `strpos`/`left`/`right` for text tests.
public struct RulePostgresDialect: RuleSQLDialect {
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

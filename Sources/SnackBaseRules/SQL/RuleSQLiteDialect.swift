/// SQLite: `IS` for null-safe equality, `BINARY` (byte) collation, booleans bound as 0/1,
/// `instr`/`substr`/`length` for text tests (not `LIKE`, which ignores case in SQLite).
public struct RuleSQLiteDialect: RuleSQLDialect {
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

    public var guardsEqualityWithAConstant: Bool { false }

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

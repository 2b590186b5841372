import SQLKit
import SnackBaseRules

/// A condition compiled by the rule engine, written into SQLKit's query: keywords as raw SQL,
/// identifiers quoted by the database's dialect, values as bound parameters.
struct RuleFragmentExpression: SQLExpression {
    let fragment: SQLFragment

    func serialize(to serializer: inout SQLSerializer) {
        for piece in fragment.pieces {
            switch piece {
            case .sql(let text): serializer.write(text)
            case .identifier(let name): SQLIdentifier(name).serialize(to: &serializer)
            case .bind(let value): serializer.write(bind: Self.bindable(value))
            }
        }
    }

    /// Values the compiler binds are never null or lists; should one be, it binds as a text that
    /// matches nothing a column holds, rather than widening the query.
    static func bindable(_ value: RuleValue) -> any Encodable & Sendable {
        switch value {
        case .bool(let flag): flag
        case .number(let number): number
        case .text(let text), .datetime(let text): text
        case .null, .list: "\u{0}unbindable"
        }
    }
}

/// A value a rule works with: a record field, a literal, a caller or context attribute.
///
/// Texts compare by Unicode code points (byte-wise UTF-8), as SQLite's `BINARY` and PostgreSQL's
/// `COLLATE "C"` do — not by Swift's canonical equivalence. A `datetime` holds the canonical UTC text
/// `YYYY-MM-DDTHH:MM:SS.mmmZ` (see ``RuleDateTime``), so text order is time order.
public enum RuleValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case text(String)
    case datetime(String)
    case list([RuleValue])
}

extension RuleValue {
    var isNull: Bool { if case .null = self { true } else { false } }

    /// `==` of the rule language: same type and same value; `null == null`; values of different
    /// types (which only meet at run time) are unequal.
    func ruleEquals(_ other: RuleValue) -> Bool {
        switch (self, other) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.number(let a), .number(let b)): a == b
        case (.text(let a), .text(let b)), (.datetime(let a), .datetime(let b)): a.utf8.elementsEqual(b.utf8)
        case (.list(let a), .list(let b)):
            a.count == b.count && zip(a, b).allSatisfy { $0.ruleEquals($1) }
        case (.null, _), (.bool, _), (.number, _), (.text, _), (.datetime, _), (.list, _): false
        }
    }

    /// `<` of the rule language on numbers, texts and datetimes; anything else (null included) is not ordered.
    /// Returns nil when the two values are not ordered with respect to each other, so every
    /// ordering operator is false.
    func ruleCompare(_ other: RuleValue) -> Int? {
        switch (self, other) {
        case (.number(let a), .number(let b)):
            return a < b ? -1 : (a == b ? 0 : 1)
        case (.text(let a), .text(let b)), (.datetime(let a), .datetime(let b)):
            if a.utf8.elementsEqual(b.utf8) { return 0 }
            return a.utf8.lexicographicallyPrecedes(b.utf8) ? -1 : 1
        case (.null, _), (.bool, _), (.number, _), (.text, _), (.datetime, _), (.list, _):
            return nil
        }
    }
}

extension RuleValue: CustomStringConvertible {
    /// The value written as a rule literal.
    public var description: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .number(let value):
            // (No `rounded()`: that needs libm, and this target links only the standard library.)
            if abs(value) < 9_007_199_254_740_992, Double(Int64(value)) == value {
                return value == 0 && value.sign == .minus ? "-0" : String(Int64(value))
            }
            return String(value)
        case .text(let value), .datetime(let value):
            var quoted = "\""
            for scalar in value.unicodeScalars {
                switch scalar {
                case "\\": quoted += "\\\\"
                case "\"": quoted += "\\\""
                case "\n": quoted += "\\n"
                case "\t": quoted += "\\t"
                default: quoted.unicodeScalars.append(scalar)
                }
            }
            return quoted + "\""
        case .list(let members):
            return "[" + members.map(\.description).joined(separator: ", ") + "]"
        }
    }
}

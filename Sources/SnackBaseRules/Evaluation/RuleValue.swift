#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value a rule works with: a record field, a literal, a caller or context attribute.
///
/// Texts compare by Unicode code points (byte-wise UTF-8), as SQLite's `BINARY` and PostgreSQL's
/// `COLLATE "C"` do — not by Swift's canonical equivalence. A `datetime` holds the canonical UTC text
/// `YYYY-MM-DDTHH:MM:SS.mmmZ` (see ``RuleDateTime``), so text order is time order.
///
/// Record fields are handed to the evaluator as: `text`, `email`, `url`, `reference` and `json` (its
/// JSON text) → `.text`; `number` → `.number`; `boolean` → `.bool`; `datetime` → `.datetime` (the
/// canonical `.text` is accepted too); SQL NULL or an absent field → `.null` or a missing key.
/// (`Equatable` and `Hashable` are Swift's; rule comparisons use code points.)
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
        // A datetime is its canonical text, as in the database: a store that hands a datetime field
        // over as `.text` still gets the answer the SQL gives.
        case (.text(let a), .text(let b)), (.datetime(let a), .datetime(let b)), (.text(let a), .datetime(let b)), (.datetime(let a), .text(let b)):
            RuleValue.sameBytes(a, b)
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
        case (.text(let a), .text(let b)), (.datetime(let a), .datetime(let b)), (.text(let a), .datetime(let b)), (.datetime(let a), .text(let b)):
            return RuleValue.compareBytes(a, b)
        case (.null, _), (.bool, _), (.number, _), (.text, _), (.datetime, _), (.list, _):
            return nil
        }
    }
}

extension RuleValue {
    /// Byte-wise (code point) equality of two texts, without Swift's canonical equivalence.
    static func sameBytes(_ a: String, _ b: String) -> Bool {
        let count = a.utf8.count
        guard count == b.utf8.count else { return false }
        var a = a, b = b
        return a.withUTF8 { left in
            b.withUTF8 { right in
                // One memcmp (the generic `elementsEqual` went byte by byte: 2 % of a 50-record list).
                guard let left = left.baseAddress, let right = right.baseAddress else { return true }
                return memcmp(left, right, count) == 0
            }
        }
    }

    /// Byte-wise (code point) order of two texts: -1, 0 or 1.
    static func compareBytes(_ a: String, _ b: String) -> Int {
        var a = a, b = b
        return a.withUTF8 { left in
            b.withUTF8 { right in
                for index in 0..<min(left.count, right.count) where left[index] != right[index] {
                    return left[index] < right[index] ? -1 : 1
                }
                return left.count == right.count ? 0 : (left.count < right.count ? -1 : 1)
            }
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

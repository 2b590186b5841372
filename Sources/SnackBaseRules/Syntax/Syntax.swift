/// The untyped syntax tree the parser produces; the checker turns it into a typed ``Expr``.
/// Positions are UTF-8 offsets into the source.
struct Syntax: Sendable {
    indirect enum Kind: Sendable {
        case string(String)
        case number(Double)
        case boolean(Bool)
        case null
        case list([Syntax])
        /// `user.id`, `record.status`, `status`, …
        case path([String])
        /// `@name(arguments)`
        case call(String, [Syntax])
        case not(Syntax)
        case and([Syntax])
        case or([Syntax])
        case compare(CompareOperator, Syntax, Syntax)
        /// `x in list`, or `x not in list` when `negated`.
        case member(Syntax, Syntax, negated: Bool)
    }

    var kind: Kind
    /// Where the node starts; for binary operators, where the operator is.
    var position: Int
}

enum CompareOperator: String, Sendable {
    case equal = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
}

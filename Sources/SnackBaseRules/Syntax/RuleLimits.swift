/// The bounds every user-supplied rule or filter must respect, checked while parsing.
///
/// They keep a hostile rule from costing more than a few microseconds to check and evaluate and from
/// producing SQL with an unbounded number of parameters.
public enum RuleLimits {
    /// Source length, in UTF-8 bytes.
    public static let maxSourceBytes = 4096
    /// Nesting of parentheses, `not`, calls and lists.
    public static let maxDepth = 64
    /// Syntax tree nodes (literals, names, operators, calls, lists).
    public static let maxNodes = 1024
    /// Members of one list literal.
    public static let maxListLength = 256
}

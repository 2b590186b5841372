/// A rule that parsed and type-checked against a schema: the only input the evaluator, the partial
/// evaluator and the SQL compiler accept. Obtain one from ``RuleEngine/check(_:schema:allowsData:)``.
public struct CheckedRule: Sendable {
    /// The rule as written.
    public let source: String
    /// Whether the rule reads `data.*` (the request body), which only create and update rules may do.
    public let referencesData: Bool
    let expr: Expr

    init(source: String, expr: Expr, referencesData: Bool) {
        self.source = source
        self.expr = expr
        self.referencesData = referencesData
    }
}

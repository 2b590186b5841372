/// The façade of the rule language: check a rule once when it is saved, then evaluate it per record
/// (``CheckedRule/evaluate(context:record:data:)``) or turn it into a SQL filter for lists
/// (``CheckedRule/residual(context:data:)`` then ``SQLCompiler``).
///
/// ```swift
/// let rule = try RuleEngine.check("@has_role('admin') or @owns_record()", schema: postsSchema, allowsData: false)
/// rule.evaluate(context: context, record: ["created_by": .text("usr_1")], data: nil)
/// ```
public enum RuleEngine {
    /// Parses and type-checks `source`. Fields resolve against `schema`; `data.<field>` is accepted only
    /// when `allowsData` (create and update rules) and has the type of the field.
    /// Errors carry a 0-based character position.
    public static func check(_ source: String, schema: some RuleSchema, allowsData: Bool) throws(RuleError) -> CheckedRule {
        do {
            let syntax = try Parser.parse(source)
            var checker = Checker(schema: schema, allowsData: allowsData)
            let expr = try checker.checkRule(syntax)
            return CheckedRule(source: source, expr: expr, referencesData: checker.referencesData)
        } catch {
            throw error.inCharacters(of: source)
        }
    }
}

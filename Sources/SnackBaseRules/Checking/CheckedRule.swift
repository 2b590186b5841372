/// A rule that parsed and type-checked against a schema: the only input the evaluator, the partial
/// evaluator and the SQL compiler accept. Obtain one from ``RuleEngine/check(_:schema:allowsData:)``.
public struct CheckedRule: Sendable {
    /// The rule as written.
    public let source: String
    /// Whether the rule reads `data.*` (the request body), which only create and update rules may do.
    public let referencesData: Bool
    /// Whether the rule reads `context.now`: otherwise what it decides for a record and a caller is the
    /// same at any time (a list page's field decisions are kept for the next request of that caller).
    public let readsNow: Bool
    let expr: Expr

    init(source: String, expr: Expr, referencesData: Bool) {
        self.source = source
        self.expr = expr
        self.referencesData = referencesData
        func readsNow(_ expr: Expr) -> Bool {
            switch expr {
            case .context(let attribute): attribute == .now
            case .constant, .field, .data, .user, .superadmin, .anyRole: false
            case .not(let operand), .member(let operand, _): readsNow(operand)
            case .and(let operands), .or(let operands): operands.contains(where: readsNow)
            case .equal(let left, let right), .order(_, let left, let right, _), .text(_, let left, let right):
                readsNow(left) || readsNow(right)
            }
        }
        self.readsNow = readsNow(expr)
    }

    /// The record fields the rule reads (`@owns_record(f)` reads `f`): what a list filtered by it
    /// reveals about, through which records it returns and how many.
    public var recordFields: Set<String> {
        var fields: Set<String> = []
        func visit(_ expr: Expr) {
            switch expr {
            case .field(let name): fields.insert(name)
            case .constant, .data, .user, .context, .superadmin, .anyRole: break
            case .not(let operand): visit(operand)
            case .and(let operands), .or(let operands): operands.forEach(visit)
            case .equal(let left, let right), .order(_, let left, let right, _), .text(_, let left, let right):
                visit(left)
                visit(right)
            case .member(let operand, _): visit(operand)
            }
        }
        visit(expr)
        return fields
    }
}

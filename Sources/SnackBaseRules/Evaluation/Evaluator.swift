/// Decides a checked rule for one record in memory, with the semantics of rules.md:
/// two-valued (every comparison is true or false), `null == null`, ordering with a null is false,
/// texts compared by code points.
struct Evaluator {
    let context: RuleContext
    let record: [String: RuleValue]
    let data: [String: RuleValue]?

    func test(_ expr: Expr) -> Bool {
        switch expr {
        case .constant(let value):
            return value == .bool(true)
        case .field, .data, .user, .context:
            return value(expr) == .bool(true)
        case .superadmin:
            return context.caller.isSuperadmin
        case .not(let operand):
            return !test(operand)
        case .and(let operands):
            for operand in operands where !test(operand) { return false }
            return true
        case .or(let operands):
            for operand in operands where test(operand) { return true }
            return false
        case .equal(let left, let right):
            return value(left).ruleEquals(value(right))
        case .order(let op, let left, let right, _):
            guard let comparison = value(left).ruleCompare(value(right)) else { return false }
            return op.holds(comparison)
        case .member(let element, let list):
            return contains(list, value(element))
        case .anyRole(.literal(let wanted)):
            for role in wanted where contains(.userRoles, role) { return true }
            return false
        case .anyRole(.userRoles):
            return !context.caller.roles.isEmpty
        case .text(let test, let text, let part):
            guard case .text(let haystack) = value(text), case .text(let needle) = value(part) else { return false }
            return test.holds(haystack, needle)
        }
    }

    /// `element in list`; a null element is in no list, null members match nothing.
    private func contains(_ list: ListSource, _ element: RuleValue) -> Bool {
        if element.isNull { return false }
        switch list {
        case .userRoles:
            guard case .text(let name) = element else { return false }
            return context.caller.roles.contains { RuleValue.sameBytes($0, name) }
        case .literal(let members):
            return members.contains { !$0.isNull && $0.ruleEquals(element) }
        }
    }

    func value(_ expr: Expr) -> RuleValue {
        switch expr {
        case .constant(let value): return value
        case .field(let name): return record[name] ?? .null
        case .data(let name): return data?[name] ?? .null
        case .user(let attribute): return context.value(of: attribute)
        case .context(let attribute): return context.value(of: attribute)
        case .superadmin, .not, .and, .or, .equal, .order, .member, .anyRole, .text:
            return .bool(test(expr))
        }
    }
}

extension RuleContext {
    func value(of attribute: UserAttribute) -> RuleValue {
        switch attribute {
        case .id: caller.userID.map(RuleValue.text) ?? .null
        case .email: caller.email.map(RuleValue.text) ?? .null
        case .accountID: caller.accountID.map(RuleValue.text) ?? .null
        case .roles: .list(caller.roles.map(RuleValue.text))
        }
    }

    func value(of attribute: ContextAttribute) -> RuleValue {
        switch attribute {
        case .accountID: .text(accountID)
        case .operation: .text(operation)
        case .now: .datetime(now)
        }
    }
}

extension CheckedRule {
    /// Whether the rule holds for `record` (a missing key is null) and, for create and update rules,
    /// the request body `data` (nil or a missing key: `data.<field>` is null).
    public func evaluate(context: RuleContext, record: [String: RuleValue], data: [String: RuleValue]?) -> Bool {
        Evaluator(context: context, record: record, data: data).test(expr)
    }
}

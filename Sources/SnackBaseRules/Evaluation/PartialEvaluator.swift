/// Folds everything known before the query — `user.*`, `context.*`, the role functions,
/// `@is_superadmin()`, literals — leaving a ``Filter`` over record fields, or a constant.
///
/// `data.*` is null here: lists have no request body, so a rule that reads `data.*` filters as if
/// nothing had been sent.
struct PartialEvaluator {
    let context: RuleContext

    enum Truth {
        case known(Bool)
        case filter(Filter)
    }

    enum Part {
        case known(RuleValue)
        case unknown(Operand)
    }

    func truth(_ expr: Expr) -> Truth {
        switch expr {
        case .constant(let value):
            return .known(value == .bool(true))
        case .field, .data, .user, .context:
            return equal(part(expr), .known(.bool(true)))
        case .superadmin:
            return .known(context.caller.isSuperadmin)
        case .not(let operand):
            switch truth(operand) {
            case .known(let flag): return .known(!flag)
            case .filter(.not(let inner)): return .filter(inner)
            case .filter(let filter): return .filter(.not(filter))
            }
        case .and(let operands):
            var filters: [Filter] = []
            for operand in operands {
                switch truth(operand) {
                case .known(false): return .known(false)
                case .known(true): continue
                case .filter(.and(let inner)): filters.append(contentsOf: inner)
                case .filter(let filter): filters.append(filter)
                }
            }
            return filters.isEmpty ? .known(true) : .filter(filters.count == 1 ? filters[0] : .and(filters))
        case .or(let operands):
            var filters: [Filter] = []
            for operand in operands {
                switch truth(operand) {
                case .known(true): return .known(true)
                case .known(false): continue
                case .filter(.or(let inner)): filters.append(contentsOf: inner)
                case .filter(let filter): filters.append(filter)
                }
            }
            return filters.isEmpty ? .known(false) : .filter(filters.count == 1 ? filters[0] : .or(filters))
        case .equal(let left, let right):
            return equal(part(left), part(right))
        case .order(let op, let left, let right, let collated):
            switch (part(left), part(right)) {
            case (.known(let a), .known(let b)):
                guard let comparison = a.ruleCompare(b) else { return .known(false) }
                return .known(op.holds(comparison))
            case (.known(let a), .unknown(let b)):
                return a.isNull ? .known(false) : .filter(.order(op, .value(a), b, collated: collated))
            case (.unknown(let a), .known(let b)):
                return b.isNull ? .known(false) : .filter(.order(op, a, .value(b), collated: collated))
            case (.unknown(let a), .unknown(let b)):
                return .filter(.order(op, a, b, collated: collated))
            }
        case .member(let element, let list):
            let members = knownList(list).filter { !$0.isNull }
            switch part(element) {
            case .known(let value):
                return .known(!value.isNull && members.contains { $0.ruleEquals(value) })
            case .unknown(let operand):
                return members.isEmpty ? .known(false) : .filter(.member(operand, members))
            }
        case .anyRole(let list):
            let roles = context.caller.roles
            for case .text(let wanted) in knownList(list) where roles.contains(where: { RuleValue.sameBytes($0, wanted) }) {
                return .known(true)
            }
            return .known(false)
        case .text(let test, let text, let part):
            switch (self.part(text), self.part(part)) {
            case (.known(let a), .known(let b)):
                guard case .text(let haystack) = a, case .text(let needle) = b else { return .known(false) }
                return .known(test.holds(haystack, needle))
            case (.known(let a), .unknown(let b)):
                return a.isNull ? .known(false) : .filter(.text(test, .value(a), b))
            case (.unknown(let a), .known(let b)):
                return b.isNull ? .known(false) : .filter(.text(test, a, .value(b)))
            case (.unknown(let a), .unknown(let b)):
                return .filter(.text(test, a, b))
            }
        }
    }

    private func equal(_ left: Part, _ right: Part) -> Truth {
        switch (left, right) {
        case (.known(let a), .known(let b)):
            return .known(a.ruleEquals(b))
        case (.known(let value), .unknown(let operand)), (.unknown(let operand), .known(let value)):
            switch (value, operand) {
            case (.null, .condition):
                return .known(false)  // a condition is never null
            case (.null, _):
                return .filter(.isNull(operand))
            case (.bool(true), .condition(let filter)):
                return .filter(filter)
            case (.bool(false), .condition(let filter)):
                return .filter(.not(filter))
            default:
                return .filter(.equal(operand, .value(value)))
            }
        case (.unknown(let a), .unknown(let b)):
            return .filter(.equal(a, b))
        }
    }

    private func part(_ expr: Expr) -> Part {
        switch expr {
        case .constant(let value): return .known(value)
        case .field(let name): return .unknown(.field(name))
        case .data: return .known(.null)
        case .user(let attribute): return .known(context.value(of: attribute))
        case .context(let attribute): return .known(context.value(of: attribute))
        case .superadmin, .not, .and, .or, .equal, .order, .member, .anyRole, .text:
            switch truth(expr) {
            case .known(let flag): return .known(.bool(flag))
            case .filter(let filter): return .unknown(.condition(filter))
            }
        }
    }

    private func knownList(_ list: ListSource) -> [RuleValue] {
        switch list {
        case .literal(let members): members
        case .userRoles: context.caller.roles.map(RuleValue.text)
        }
    }
}

extension CheckedRule {
    /// Partially evaluates the rule for a caller and request: `.always` (no filter needed),
    /// `.never` (no rows: skip the query) or a filter over record fields for ``SQLCompiler``.
    /// `data.*` is null (lists have no request body).
    public func residual(context: RuleContext) -> RuleResidual {
        switch PartialEvaluator(context: context).truth(expr) {
        case .known(true): .always
        case .known(false): .never
        case .filter(let filter): .filter(RuleFilter(condition: filter))
        }
    }
}

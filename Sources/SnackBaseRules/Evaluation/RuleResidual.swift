/// What is left of a rule once the caller and the request are known: it holds for every record,
/// for none, or for the records that match a filter over record fields only.
public enum RuleResidual: Sendable {
    case always
    case never
    case filter(RuleFilter)

    /// The residual of "any of these rules" (the read rules of several roles): `always` wins,
    /// `never`s drop out.
    public static func anyOf(_ residuals: [RuleResidual]) -> RuleResidual {
        var filters: [Filter] = []
        for residual in residuals {
            switch residual {
            case .always: return .always
            case .never: continue
            case .filter(let filter): filters.append(filter.condition)
            }
        }
        switch filters.count {
        case 0: return .never
        case 1: return .filter(RuleFilter(condition: filters[0]))
        default: return .filter(RuleFilter(condition: .or(filters)))
        }
    }

    /// The residual of "all of these rules" (a read rule and a `filter` query parameter):
    /// `never` wins, `always`s drop out.
    public static func allOf(_ residuals: [RuleResidual]) -> RuleResidual {
        var filters: [Filter] = []
        for residual in residuals {
            switch residual {
            case .always: continue
            case .never: return .never
            case .filter(let filter): filters.append(filter.condition)
            }
        }
        switch filters.count {
        case 0: return .always
        case 1: return .filter(RuleFilter(condition: filters[0]))
        default: return .filter(RuleFilter(condition: .and(filters)))
        }
    }
}

/// A condition over record fields only, with every caller and request value already folded in.
/// Opaque: compile it with ``SQLCompiler``, or test a record in memory with ``matches(record:)``.
/// Its description is rule syntax (`created_by == "usr_1"`).
public struct RuleFilter: Sendable, CustomStringConvertible {
    let condition: Filter

    /// Whether `record` passes, with the same semantics as ``CheckedRule/evaluate(context:record:data:)``.
    public func matches(record: [String: RuleValue]) -> Bool {
        condition.matches(record)
    }

    public var description: String { condition.description }
}

extension RuleResidual: CustomStringConvertible {
    /// `always`, `never`, or the filter in rule syntax.
    public var description: String {
        switch self {
        case .always: "always"
        case .never: "never"
        case .filter(let filter): filter.description
        }
    }
}

/// The residual tree: only record fields and constants remain, so the SQL compiler is total.
indirect enum Filter: Sendable {
    case not(Filter)
    case and([Filter])
    case or([Filter])
    case isNull(Operand)
    case equal(Operand, Operand)
    case order(OrderOperator, Operand, Operand, collated: Bool)
    /// Members are non-null scalars, at least one.
    case member(Operand, [RuleValue])
    case text(RuleTextTest, Operand, Operand)
}

indirect enum Operand: Sendable {
    case field(String)
    /// A non-null scalar constant.
    case value(RuleValue)
    /// A boolean sub-condition used as a value (`(a < b) == published`); never null.
    case condition(Filter)
}

extension Filter {
    func matches(_ record: [String: RuleValue]) -> Bool {
        switch self {
        case .not(let operand): return !operand.matches(record)
        case .and(let operands): return operands.allSatisfy { $0.matches(record) }
        case .or(let operands): return operands.contains { $0.matches(record) }
        case .isNull(let operand): return operand.value(record).isNull
        case .equal(let left, let right): return left.value(record).ruleEquals(right.value(record))
        case .order(let op, let left, let right, _):
            guard let comparison = left.value(record).ruleCompare(right.value(record)) else { return false }
            return op.holds(comparison)
        case .member(let element, let members):
            let value = element.value(record)
            return !value.isNull && members.contains { $0.ruleEquals(value) }
        case .text(let test, let text, let part):
            guard case .text(let haystack) = text.value(record), case .text(let needle) = part.value(record) else { return false }
            return test.holds(haystack, needle)
        }
    }
}

extension Operand {
    func value(_ record: [String: RuleValue]) -> RuleValue {
        switch self {
        case .field(let name): record[name] ?? .null
        case .value(let value): value
        case .condition(let filter): .bool(filter.matches(record))
        }
    }
}

extension Filter: CustomStringConvertible {
    var description: String {
        switch self {
        case .not(let operand): "not " + operand.nested
        case .and(let operands): operands.map(\.nested).joined(separator: " and ")
        case .or(let operands): operands.map(\.nested).joined(separator: " or ")
        case .isNull(let operand): "\(operand) == null"
        case .equal(let left, let right): "\(left) == \(right)"
        case .order(let op, let left, let right, _): "\(left) \(op.rawValue) \(right)"
        case .member(let element, let members): "\(element) in \(RuleValue.list(members))"
        case .text(let test, let text, let part): "@\(test.rawValue)(\(text), \(part))"
        }
    }

    /// Parenthesized when it is a compound condition.
    var nested: String {
        switch self {
        case .and, .or, .not: "(" + description + ")"
        case .isNull, .equal, .order, .member, .text: description
        }
    }
}

extension Operand: CustomStringConvertible {
    var description: String {
        switch self {
        case .field(let name):
            // A field named like a keyword or a namespace needs its `record.` prefix to read back.
            Keyword(rawValue: name) != nil || ["user", "context", "data", "record"].contains(name) ? "record." + name : name
        case .value(let value): value.description
        case .condition(let filter): "(" + filter.description + ")"
        }
    }
}

import SnackBaseCore
import SnackBaseRules

/// What one rule slot of a permission says, in one of three states: nothing restricts it
/// (`open`), a checked expression decides, or it is locked — its rule no longer checks against
/// the collection's schema, so it grants nothing (fail closed) until an admin fixes it.
public enum RuleState: Sendable {
    case open
    case expression(CheckedRule)
    case locked(reason: String)

    /// Whether the rule holds for a record. Locked never holds.
    func holds(_ context: RuleContext, record: [String: RuleValue], data: [String: RuleValue]?) -> Bool {
        switch self {
        case .open: true
        case .expression(let rule): rule.evaluate(context: context, record: record, data: data)
        case .locked: false
        }
    }

    /// The rule for lists, folded for the caller.
    func residual(_ context: RuleContext) -> RuleResidual {
        switch self {
        case .open: .always
        case .expression(let rule): rule.residual(context: context)
        case .locked: .never
        }
    }

    var source: String? {
        switch self {
        case .open: nil
        case .expression(let rule): rule.source
        case .locked(let reason): "locked: " + reason
        }
    }
}

/// The rule schema of a collection: its fields by rule type, plus the system fields.
public struct CollectionRuleSchema: RuleSchema {
    let types: StaticRuleSchema

    public init(_ collection: CollectionSchema?) {
        var fields: [String: RuleFieldType] = [:]
        for field in collection?.fields ?? [] { fields[field.name] = Self.ruleType(field.type) }
        types = StaticRuleSchema(fields)
    }

    public func fieldType(_ name: String) -> RuleFieldType? { types.fieldType(name) }

    public static func ruleType(_ type: FieldType) -> RuleFieldType {
        switch type {
        case .text, .email, .url, .reference: .text
        case .number: .number
        case .boolean: .boolean
        case .datetime: .datetime
        case .json: .json
        }
    }
}

/// A permission with its rules parsed and checked against the schema of the collection it is used
/// for — what the permission cache holds.
public struct CompiledPermission: Sendable {
    public let permission: Permission
    public let roleName: String
    /// One state per operation whose flag is true; an operation absent here is not granted.
    public let rules: [Operation: RuleState]
    public let fieldReadRules: [String: RuleState]
    public let fieldWriteRules: [String: RuleState]
    /// `rules[.read]`, looked up once: lists test it for every record.
    public let readRule: RuleState?
    /// No `fields`, no `excluded_fields`, no field read rules: what it grants to read, it shows whole.
    public let limitsNoField: Bool

    /// Checks every rule of `permission` against `collection` (or, when it does not exist, the system
    /// fields). A rule that does not check becomes `locked`: it grants nothing.
    public init(_ permission: Permission, roleName: String, collection: CollectionSchema?) {
        self.permission = permission
        self.roleName = roleName
        let schema = CollectionRuleSchema(collection)
        func state(_ source: String?, allowsData: Bool) -> RuleState {
            guard let source else { return .open }
            do {
                return .expression(try RuleEngine.check(source, schema: schema, allowsData: allowsData))
            } catch {
                return .locked(reason: error.description)
            }
        }
        var rules: [Operation: RuleState] = [:]
        for operation in Operation.allCases where permission.allows(operation) {
            rules[operation] = state(permission.rules[operation.rawValue], allowsData: operation == .create || operation == .update)
        }
        self.rules = rules
        var reads: [String: RuleState] = [:]
        var writes: [String: RuleState] = [:]
        for (field, rule) in permission.fieldRules {
            if let read = rule.read { reads[field] = state(read, allowsData: false) }
            if let write = rule.write { writes[field] = state(write, allowsData: true) }
        }
        fieldReadRules = reads
        fieldWriteRules = writes
        readRule = rules[.read]
        limitsNoField = permission.fields == nil && permission.excludedFields.isEmpty && reads.isEmpty
    }

    /// Whether its read rule or a field read rule reads `context.now` (a locked or open one reads nothing).
    var readingReadsNow: Bool {
        func readsNow(_ state: RuleState?) -> Bool {
            guard case .expression(let rule)? = state else { return false }
            return rule.readsNow
        }
        return readsNow(readRule) || fieldReadRules.values.contains(where: readsNow)
    }

    /// Rules of this permission that do not check (after a schema change), as "slot: reason".
    public var lockedRules: [String] {
        var out: [String] = []
        for (operation, state) in rules { if case .locked(let reason) = state { out.append("rules.\(operation.rawValue): \(reason)") } }
        for (field, state) in fieldReadRules { if case .locked(let reason) = state { out.append("field_rules.\(field).read: \(reason)") } }
        for (field, state) in fieldWriteRules { if case .locked(let reason) = state { out.append("field_rules.\(field).write: \(reason)") } }
        return out.sorted()
    }
}

import SnackBaseCore
import SnackBaseRules

/// The decision of ``AccessPolicy`` for one operation on one record.
public struct AccessDecision: Sendable {
    /// Allowed; or refused, where an anonymous caller is told that signing in might help (the API
    /// answers 401 for that, 403 for a refused signed-in caller).
    public enum Verdict: Sendable, Equatable {
        case allowed, denied, signInRequired
    }

    public let verdict: Verdict
    public var allowed: Bool { verdict == .allowed }
    public let reason: String
    /// The permissions that grant the operation (empty for the superadmin, who needs none).
    public let granting: [CompiledPermission]
    /// The rule that decided, when one did.
    public let rule: String?
    /// Fields the caller may see in this record; nil means every field.
    public let readableFields: Set<String>?
    /// User fields the caller may write; nil means every field.
    public let writableFields: Set<String>?
}

/// The plan of a list (security-model.md §3 step 4 and §4), decided once per request: nothing
/// (denied), every record and field (the superadmin), or the records a residual rule admits, each
/// shown through the permissions that grant it.
public enum ListPlan: Sendable {
    /// Refused: `signInRequired` for an anonymous caller (401), else 403.
    case denied(reason: String, signInRequired: Bool)
    /// The superadmin: every record, every field.
    case everything
    case filtered(ReadFilter)
}

/// What a list shows a caller who may read some records: the OR of the read rules of the roles whose
/// read flag is true, folded for the caller (the SQL `WHERE`), the fields the list may be filtered
/// and sorted by, and each record's visible fields.
public struct ReadFilter: Sendable {
    public let residual: RuleResidual
    /// The permissions whose read flag is set.
    public let readers: [CompiledPermission]
    /// The fields `filter`, `sort` and `{field}=` may name (nil: every field).
    public let queryable: Set<String>?
    /// The caller's read context, built once for the whole list.
    public let context: RuleContext
    let policy: AccessPolicy

    /// The fields some record may show the caller (`id` always): what the readers whose rule can
    /// hold list, less their excluded fields; field rules only ever hide more. The columns of a CSV
    /// export, so that its header names no field the caller can never read. Nil: every field.
    public func fieldsEverShown(collection: CollectionSchema) -> Set<String>? {
        let all = Set(CollectionSchema.systemFields + collection.fields.map(\.name))
        var union: Set<String> = ["id"]
        for reader in readers {
            guard let rule = reader.readRule else { continue }
            if case .never = rule.residual(context) { continue }
            union.formUnion(FieldMask.listed(by: reader.permission, within: all))
        }
        return union == all ? nil : union
    }

    /// The fields of one listed record the caller may see (nil: every field).
    public func visibleFields(of record: [String: RuleValue], collection: CollectionSchema) -> Set<String>? {
        policy.visibleFields(of: record, readers: readers, context: context, collection: collection)
    }

    /// Everything ``visibleFields(of:collection:)`` decides by besides the record and the collection: the
    /// readers' permissions and the caller's context, its time left out when no rule of theirs reads it.
    /// Two lists with equal keys decide every record alike, so a remembered page keeps its decisions by it.
    public var decisionKey: DecisionKey {
        var context = context
        if !readers.contains(where: \.readingReadsNow) { context.now = "" }
        return DecisionKey(readers: readers.map { .init(role: $0.roleName, permission: $0.permission) }, context: context)
    }

    public struct DecisionKey: Sendable, Equatable {
        struct Reader: Sendable, Equatable {
            let role: String
            let permission: Permission
        }
        let readers: [Reader]
        let context: RuleContext
    }
}

/// The one place that decides whether a principal may perform an operation on a collection, on a
/// record, and on which fields — pure code, no I/O (security-model.md §3–§4):
///
/// 1. For each role of the caller, its permission for the collection, or else its `*` permission.
/// 2. A permission grants the operation on a record when its flag is true and its rule, if any, holds.
/// 3. Roles add up: allowed when at least one grants. Otherwise 403 (`You cannot <op> <collection>`
///    when no flag is set, `You cannot <op> this record` when rules refused), 401 for anonymous callers.
/// 4. Readable and writable fields are the union over the granting permissions.
public struct AccessPolicy: Sendable {
    /// Compiled permissions by role name, then by collection name (`*` for the wildcard).
    public let permissionsByRole: [String: [String: CompiledPermission]]

    public init(permissionsByRole: [String: [String: CompiledPermission]]) {
        self.permissionsByRole = permissionsByRole
    }

    /// For each role of the caller, the permission that applies to `collection`.
    public func applicable(to principal: Principal, collection: String) -> [CompiledPermission] {
        principal.roles.sorted().compactMap { role in
            let byCollection = permissionsByRole[role]
            return byCollection?[collection] ?? byCollection?[Permission.wildcard]
        }
    }

    public static func ruleContext(_ principal: Principal, operation: Operation, now: String) -> RuleContext {
        RuleContext(
            caller: RuleCaller(userID: principal.userID, email: principal.email, accountID: principal.accountID.rawValue,
                               roles: principal.roles, isSuperadmin: principal.isSuperadmin),
            accountID: principal.accountID.rawValue, operation: operation.rawValue, now: now
        )
    }

    /// The refusal of an operation that no permission of the caller grants at all, whatever the
    /// record and body; nil when some permission might. Asked before a body is validated or a record
    /// looked up, so that a caller who may not write learns nothing of the schema from validation
    /// errors, nor which ids exist from 404s.
    public func refusalOfEveryRecord(_ operation: Operation, by principal: Principal, on collection: CollectionSchema) -> AccessDecision? {
        if principal.isSuperadmin { return nil }
        // `applicable` without its sorted copy: this runs for every record request.
        for role in principal.roles {
            guard let byCollection = permissionsByRole[role] else { continue }
            if (byCollection[collection.name] ?? byCollection[Permission.wildcard])?.rules[operation] != nil { return nil }
        }
        return AccessDecision(verdict: Self.refusal(of: principal), reason: "You cannot \(operation.rawValue) \(collection.name)",
                              granting: [], rule: nil, readableFields: [], writableFields: [])
    }

    /// Decides one operation on one record. For create, `record` is the record as it would be stored;
    /// for update and delete, the stored record. `data` is the request body's fields (create, update).
    /// `sentFields` are the user fields a create or update writes.
    public func decide(
        _ operation: Operation, by principal: Principal, on collection: CollectionSchema,
        record: [String: RuleValue], data: [String: RuleValue]? = nil, sentFields: Set<String> = [], now: String
    ) -> AccessDecision {
        if principal.isSuperadmin {
            return AccessDecision(verdict: .allowed, reason: "superadmin", granting: [], rule: nil, readableFields: nil, writableFields: nil)
        }
        if let refusal = refusalOfEveryRecord(operation, by: principal, on: collection) { return refusal }
        let refused = Self.refusal(of: principal)
        let candidates = applicable(to: principal, collection: collection.name).filter { $0.rules[operation] != nil }
        let context = Self.ruleContext(principal, operation: operation, now: now)
        var granting: [CompiledPermission] = []
        var lastRule: String?
        for permission in candidates {
            guard let state = permission.rules[operation] else { continue }
            lastRule = state.source ?? lastRule
            if state.holds(context, record: record, data: data) { granting.append(permission) }
        }
        guard !granting.isEmpty else {
            return AccessDecision(verdict: refused, reason: "You cannot \(operation.rawValue) this record",
                                  granting: [], rule: lastRule, readableFields: [], writableFields: [])
        }
        let readable = FieldMask.readable(granting, collection: collection, context: context, record: record)
        let writable = FieldMask.writable(granting, collection: collection, context: context, record: record, data: data)
        if operation == .create || operation == .update {
            // One granting permission must be able to write every field sent; nothing is partly written.
            let anyCovers = granting.contains { permission in
                let mask = FieldMask.writable([permission], collection: collection, context: context, record: record, data: data)
                return mask.map { sentFields.isSubset(of: $0) } ?? true
            }
            if !anyCovers {
                let forbidden = sentFields.subtracting(writable ?? []).sorted()
                let named = forbidden.isEmpty ? sentFields.sorted() : forbidden
                return AccessDecision(verdict: refused,
                                      reason: "You cannot write the field(s) \(named.joined(separator: ", "))",
                                      granting: [], rule: nil, readableFields: readable, writableFields: writable)
            }
        }
        return AccessDecision(verdict: .allowed, reason: "granted by role \(granting.map(\.roleName).joined(separator: ", "))",
                              granting: granting, rule: granting.first?.rules[operation]?.source,
                              readableFields: readable, writableFields: writable)
    }

    /// How a refusal of `principal` is told: an anonymous caller might do better signed in.
    static func refusal(of principal: Principal) -> AccessDecision.Verdict {
        principal.isAnonymous ? .signInRequired : .denied
    }

    /// The plan of a list of `collection` for this caller (step 4 of the decision).
    public func listPlan(by principal: Principal, on collection: CollectionSchema, now: String) -> ListPlan {
        if principal.isSuperadmin { return .everything }
        let readers = applicable(to: principal, collection: collection.name).filter { $0.rules[.read] != nil }
        guard !readers.isEmpty else {
            return .denied(reason: "You cannot read \(collection.name)", signInRequired: principal.isAnonymous)
        }
        let context = Self.ruleContext(principal, operation: .read, now: now)
        let residual = RuleResidual.anyOf(readers.map { $0.rules[.read]?.residual(context) ?? .never })
        return .filtered(ReadFilter(
            residual: residual, readers: readers, queryable: queryableFields(readers: readers, context: context, collection: collection),
            context: context, policy: self
        ))
    }

    /// The fields a list may be filtered and sorted by (`?filter=`, `?sort=`, `{field}=value`): those
    /// the caller sees on every record the list could return. A field hidden on some of them would
    /// leak its values through which records match, how many (`total`) and in which order. A field
    /// qualifies when every permission whose read rule can hold shows it whatever the record, or
    /// when one permission whose read rule always holds (it grants every record) does. Nil: every field.
    public func queryableFields(readers: [CompiledPermission], context: RuleContext, collection: CollectionSchema) -> Set<String>? {
        // Readers that hide no field (the common case) leave every field queryable: decided without
        // folding their rules or building sets (this runs for every list).
        if readers.allSatisfy(\.limitsNoField) { return nil }
        let all = Set(CollectionSchema.systemFields + collection.fields.map(\.name))
        var everywhere = all          // shown by every permission that can grant a record
        var byOneGrantingAll: Set<String> = []
        for reader in readers {
            guard let rule = reader.readRule else { continue }
            let residual = rule.residual(context)
            if case .never = residual { continue }
            var fields = FieldMask.listed(by: reader.permission, within: all)
            for (field, fieldRule) in reader.fieldReadRules {
                if case .always = fieldRule.residual(context) { continue }
                fields.remove(field)
            }
            everywhere.formIntersection(fields)
            if case .always = residual { byOneGrantingAll.formUnion(fields) }
        }
        var queryable = everywhere.union(byOneGrantingAll)
        queryable.insert("id")
        return queryable == all ? nil : queryable
    }

    /// The fields of one listed record the caller may see: the union over the permissions whose
    /// read rule holds for it. Nil means every field.
    public func visibleFields(of record: [String: RuleValue], readers: [CompiledPermission], principal: Principal, collection: CollectionSchema, now: String) -> Set<String>? {
        visibleFields(of: record, readers: readers, context: Self.ruleContext(principal, operation: .read, now: now), collection: collection)
    }

    /// The same, with the read context built once for a whole page.
    public func visibleFields(of record: [String: RuleValue], readers: [CompiledPermission], context: RuleContext, collection: CollectionSchema) -> Set<String>? {
        // A granting permission that limits no field shows every field, whatever the others grant
        // (as FieldMask.readable decides): found first, the mask is not built.
        // By index: `for reader in readers` would copy each permission (a retain per field of it) for every record.
        for index in readers.indices where readers[index].limitsNoField && readers[index].readRule?.holds(context, record: record, data: nil) == true {
            return nil
        }
        let granting = readers.filter { $0.readRule?.holds(context, record: record, data: nil) ?? false }
        return FieldMask.readable(granting, collection: collection, context: context, record: record)
    }
}

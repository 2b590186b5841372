import SnackBaseAccess
import SnackBaseCore
import SnackBaseRules

/// The seed's permission document, as sent in a request (the `permissions` of a role, or
/// `/permissions`). Missing flags mean false; `fields` absent means every field.
package struct PermissionDocument: Decodable, Sendable {
    package let roleId: String?
    package let role: String?
    package let collection: String
    package let create: Bool?
    package let read: Bool?
    package let update: Bool?
    package let delete: Bool?
    package let fields: [String]?
    package let excludedFields: [String]?
    package let rules: [String: String]?
    package let fieldRules: [String: FieldRule]?

    /// Checks the document and every rule in it against the collection's schema (or, for `*` and
    /// collections not created yet, the system fields). A rule error is a 400 with its position;
    /// anything else wrong is a 422. Nothing is saved unless this passes.
    package func validate(collection schema: CollectionSchema?, path: String = "") throws {
        var problems: [SnackBaseError.Detail] = []
        if collection != Permission.wildcard && !CollectionSchema.isValidName(collection) {
            problems.append(.init(field: path + "collection", message: "must be a collection name or *"))
        }
        let known = Set(CollectionSchema.systemFields + (schema?.fields.map(\.name) ?? []))
        for (key, names) in [("fields", fields ?? []), ("excluded_fields", excludedFields ?? [])] {
            for name in names where !CollectionSchema.isValidName(name) || (schema != nil && !known.contains(name)) {
                problems.append(.init(field: path + key, message: "\(name) is not a field of \(collection)"))
            }
        }
        for key in (rules ?? [:]).keys where Operation(rawValue: key) == nil {
            problems.append(.init(field: path + "rules.\(key)", message: "must be one of create, read, update, delete"))
        }
        for field in (fieldRules ?? [:]).keys where !CollectionSchema.isValidName(field) || (schema != nil && !known.contains(field)) {
            problems.append(.init(field: path + "field_rules.\(field)", message: "\(field) is not a field of \(collection)"))
        }
        guard problems.isEmpty else { throw SnackBaseError.validation(problems) }

        var sources: [(String, String, Bool)] = []
        for (operation, source) in (rules ?? [:]).sorted(by: { $0.key < $1.key }) {
            sources.append(("rules.\(operation)", source, operation == "create" || operation == "update"))
        }
        for (field, rule) in (fieldRules ?? [:]).sorted(by: { $0.key < $1.key }) {
            if let read = rule.read { sources.append(("field_rules.\(field).read", read, false)) }
            if let write = rule.write { sources.append(("field_rules.\(field).write", write, true)) }
        }
        var ruleProblems: [SnackBaseError.Detail] = []
        for (slot, source, allowsData) in sources {
            do {
                try Self.check(rule: source, schema: schema, allowsData: allowsData)
            } catch {
                ruleProblems.append(.init(field: path + slot, message: error.message, position: error.position))
            }
        }
        guard ruleProblems.isEmpty else {
            throw SnackBaseError.badRequest("Invalid rule: \(ruleProblems[0].message)", details: ruleProblems)
        }
    }

    /// Checks one rule as saving a permission does: against the collection's schema, or the system
    /// fields when `schema` is nil (`*`, or a collection not created yet); `data.<field>` only when
    /// `allowsData` (create and update rules, write field rules). `POST /rules/check` calls this too.
    package static func check(rule source: String, schema: CollectionSchema?, allowsData: Bool) throws(RuleError) {
        _ = try RuleEngine.check(source, schema: CollectionRuleSchema(schema), allowsData: allowsData)
    }

    package func permission(id: String, accountID: AccountID, roleID: String, createdAt: String, now: String) -> Permission {
        Permission(
            id: id, accountID: accountID, roleID: roleID, collection: collection,
            create: create ?? false, read: read ?? false, update: update ?? false, delete: delete ?? false,
            fields: fields, excludedFields: excludedFields ?? [], rules: rules ?? [:], fieldRules: fieldRules ?? [:],
            createdAt: createdAt, updatedAt: now
        )
    }
}

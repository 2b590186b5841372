/// The type of a record field as rules see it. The store maps `email`, `url` and `reference` to `text`.
public enum RuleFieldType: String, Sendable, Hashable, CaseIterable {
    case text, number, boolean, datetime, json
}

/// How the checker sees a collection: the type of each field, system fields included.
///
/// The rule engine knows nothing else about collections. A conforming type answers for user fields and
/// for the system fields (`id`, `account_id`, `created_by`, `updated_by` as `text`; `created_at`,
/// `updated_at` as `datetime`):
///
/// ```swift
/// struct PostsSchema: RuleSchema {
///     func fieldType(_ name: String) -> RuleFieldType? {
///         ["title": .text, "priority": .number, "published": .boolean][name]
///             ?? StaticRuleSchema.systemFields.fieldType(name)
///     }
/// }
/// ```
public protocol RuleSchema: Sendable {
    /// The field's type, or nil when the collection has no such field.
    func fieldType(_ name: String) -> RuleFieldType?
}

/// A schema given as a dictionary; the system fields are always included.
/// `StaticRuleSchema.systemFields` checks rules of a permission whose collection does not exist yet.
public struct StaticRuleSchema: RuleSchema, Equatable {
    public static let systemFieldTypes: [String: RuleFieldType] = [
        "id": .text, "account_id": .text, "created_by": .text, "updated_by": .text,
        "created_at": .datetime, "updated_at": .datetime,
    ]

    public static let systemFields = StaticRuleSchema([:])

    public let fields: [String: RuleFieldType]

    /// User fields; a user field cannot override a system field.
    public init(_ fields: [String: RuleFieldType]) {
        self.fields = fields.merging(Self.systemFieldTypes) { _, system in system }
    }

    public func fieldType(_ name: String) -> RuleFieldType? { fields[name] }
}

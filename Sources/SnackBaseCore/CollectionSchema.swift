/// The type of a collection field, as the API names it.
public enum FieldType: String, Sendable, Codable, CaseIterable {
    case text, number, boolean, datetime, email, url, json, reference
}

/// Extra settings of a field. `collection` is the target of a `reference` field.
public struct FieldOptions: Sendable, Equatable, Codable {
    public var collection: String?
    public var maxLength: Int?
    public var min: Double?
    public var max: Double?
    public var values: [String]?

    public init(collection: String? = nil, maxLength: Int? = nil, min: Double? = nil, max: Double? = nil, values: [String]? = nil) {
        self.collection = collection
        self.maxLength = maxLength
        self.min = min
        self.max = max
        self.values = values
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case collection, maxLength, min, max, values }

    private struct AnyKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// An option this version does not know (a misspelt `max_length`, say) is refused rather than
    /// silently dropped: the field would otherwise accept values its author meant to forbid.
    public init(from decoder: any Decoder) throws {
        let known = Set(CodingKeys.allCases.map(\.stringValue))
        for key in try decoder.container(keyedBy: AnyKey.self).allKeys where !known.contains(key.stringValue) {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath + [key], debugDescription: "not an option"))
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        collection = try container.decodeIfPresent(String.self, forKey: .collection)
        maxLength = try container.decodeIfPresent(Int.self, forKey: .maxLength)
        min = try container.decodeIfPresent(Double.self, forKey: .min)
        max = try container.decodeIfPresent(Double.self, forKey: .max)
        values = try container.decodeIfPresent([String].self, forKey: .values)
    }

    /// What is wrong with these options for a field of `type` (option name in snake case, message).
    public func problems(for type: FieldType) -> [(option: String, message: String)] {
        var problems: [(option: String, message: String)] = []
        let applies: [(name: String, set: Bool, types: [FieldType], kind: String)] = [
            ("max_length", maxLength != nil, [.text], "text"), ("values", values != nil, [.text], "text"),
            ("min", min != nil, [.number], "number"), ("max", max != nil, [.number], "number"),
            ("collection", collection != nil, [.reference], "reference"),
        ]
        for option in applies where option.set && !option.types.contains(type) {
            problems.append((option.name, "applies only to \(option.kind) fields"))
        }
        if let maxLength, maxLength < 1 { problems.append(("max_length", "must be at least 1")) }
        if let min, let max, min > max { problems.append(("min", "must not be greater than max")) }
        if let values, values.isEmpty { problems.append(("values", "must list at least one value")) }
        if let values, let maxLength, let long = values.first(where: { $0.count > maxLength }) {
            problems.append(("values", "\(long) is longer than max_length"))
        }
        return problems
    }
}

/// One user field of a collection.
public struct FieldSchema: Sendable, Equatable, Codable {
    public var name: String
    public var type: FieldType
    public var required: Bool
    public var `default`: JSONValue?
    public var unique: Bool
    public var options: FieldOptions?

    /// The most UTF-8 bytes a value of a unique field may have (its JSON text for a `json` field).
    /// PostgreSQL refuses a B-tree index entry over about 2,700 bytes, so a longer value could be
    /// neither stored nor compared there; both databases keep the same limit so that they agree.
    public static let uniqueValueLimit = 2000

    public init(name: String, type: FieldType, required: Bool = false, default value: JSONValue? = nil, unique: Bool = false, options: FieldOptions? = nil) {
        self.name = name
        self.type = type
        self.required = required
        self.default = value
        self.unique = unique
        self.options = options
    }

    enum CodingKeys: String, CodingKey { case name, type, required, `default`, unique, options }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        type = try container.decode(FieldType.self, forKey: .type)
        required = try container.decodeIfPresent(Bool.self, forKey: .required) ?? false
        `default` = try container.decodeIfPresent(JSONValue.self, forKey: .default)
        unique = try container.decodeIfPresent(Bool.self, forKey: .unique) ?? false
        options = try container.decodeIfPresent(FieldOptions.self, forKey: .options)
    }
}

/// A collection: a name, and the user fields its records have besides the system fields.
/// All accounts share one physical table per collection; rows carry their `account_id`.
public struct CollectionSchema: Sendable, Equatable {
    public let id: String
    public var name: String
    public var description: String
    public var fields: [FieldSchema]
    public let createdAt: String
    public var updatedAt: String

    public init(id: String, name: String, description: String, fields: [FieldSchema], createdAt: String, updatedAt: String) {
        self.id = id
        self.name = name
        self.description = description
        self.fields = fields
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Fields every record has, set only by the server.
    public static let systemFields = ["id", "account_id", "created_at", "updated_at", "created_by", "updated_by"]

    /// Names that are also built-in routes: such a collection is reachable at `/api/v1/records/{name}` only.
    public static let reservedRouteNames: Set<String> = [
        "auth", "accounts", "users", "roles", "permissions", "collections", "records", "audit-logs", "health", "metrics",
        "invitations", "realtime", "rules", "backups",
    ]

    /// The physical table of the collection.
    public var tableName: String { "col_" + name }

    public func field(_ name: String) -> FieldSchema? { fields.first { $0.name == name } }

    /// `^[a-z][a-z0-9_]{0,62}$`
    public static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...63).contains(bytes.count), (97...122).contains(bytes[0]) else { return false }
        return bytes.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == 95 }
    }
}

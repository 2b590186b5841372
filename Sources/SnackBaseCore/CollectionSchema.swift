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
}

/// One user field of a collection.
public struct FieldSchema: Sendable, Equatable, Codable {
    public var name: String
    public var type: FieldType
    public var required: Bool
    public var `default`: JSONValue?
    public var unique: Bool
    public var options: FieldOptions?

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

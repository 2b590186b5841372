/// A JSON value written as a Swift literal, for building the OpenAPI document:
/// `["type": "string", "minLength": 1]`. Only what the document needs (no null, no fractions).
indirect enum OpenAPIValue: Sendable, Equatable, Encodable {
    case bool(Bool)
    case int(Int)
    case string(String)
    case array([OpenAPIValue])
    case object([String: OpenAPIValue])

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The member `key` of an object, else nil.
    subscript(key: String) -> OpenAPIValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }
}

extension OpenAPIValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    init(stringLiteral value: String) { self = .string(value) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(integerLiteral value: Int) { self = .int(value) }
    init(arrayLiteral elements: OpenAPIValue...) { self = .array(elements) }
    init(dictionaryLiteral elements: (String, OpenAPIValue)...) {
        self = .object(Dictionary(elements) { first, _ in first })
    }
}

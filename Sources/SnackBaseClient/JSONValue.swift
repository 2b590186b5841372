import Foundation

/// Any JSON document, for records and documents read without a type of your own.
///
/// ```swift
/// let post = try await client.records("posts").get(id)
/// post["title"]?.stringValue   // "Hello"
/// ```
public enum JSONValue: Sendable, Hashable {
    /// Members by name (a JSON object keeps no order).
    case object([String: JSONValue])
    case array([JSONValue])
    case string(String)
    /// Every JSON number, as a `Double` (integers up to 2^53 exactly).
    case number(Double)
    case bool(Bool)
    case null

    /// The member `key` of an object, nil for anything else or a missing key.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The element at `index` of an array, nil when out of range or not an array.
    public subscript(index: Int) -> JSONValue? {
        if case .array(let items) = self, items.indices.contains(index) { return items[index] }
        return nil
    }

    public var stringValue: String? { if case .string(let value) = self { return value }; return nil }
    public var doubleValue: Double? { if case .number(let value) = self { return value }; return nil }
    /// The number when it is a whole number that fits an `Int`.
    public var intValue: Int? {
        guard case .number(let value) = self, value.rounded() == value, abs(value) < 9.0e15 else { return nil }
        return Int(value)
    }
    public var boolValue: Bool? { if case .bool(let value) = self { return value }; return nil }
    public var arrayValue: [JSONValue]? { if case .array(let value) = self { return value }; return nil }
    public var objectValue: [String: JSONValue]? { if case .object(let value) = self { return value }; return nil }
    public var isNull: Bool { self == .null }

    /// Decodes this value into a type of your own.
    public func decode<T: Decodable>(as type: T.Type = T.self) throws -> T {
        try SnackBaseCoding.decoder().decode(T.self, from: SnackBaseCoding.encoder().encode(self))
    }
}

/// Objects and arrays are read through keyed and unkeyed containers, so that a record is not first
/// tried as a Bool, a number, a string and an array before it is read as the object it is.
extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        if let object = try? decoder.container(keyedBy: MemberKey.self) {
            var members: [String: JSONValue] = [:]
            for key in object.allKeys { members[key.stringValue] = try object.decode(JSONValue.self, forKey: key) }
            self = .object(members)
        } else if var array = try? decoder.unkeyedContainer() {
            var items: [JSONValue] = []
            while !array.isAtEnd { items.append(try array.decode(JSONValue.self)) }
            self = .array(items)
        } else {
            let scalar = try decoder.singleValueContainer()
            if scalar.decodeNil() { self = .null }
            else if let flag = try? scalar.decode(Bool.self) { self = .bool(flag) }
            else if let number = try? scalar.decode(Double.self) { self = .number(number) }
            else { self = .string(try scalar.decode(String.self)) }
        }
    }

    public func encode(to encoder: any Encoder) throws {
        if case .object(let members) = self {
            var object = encoder.container(keyedBy: MemberKey.self)
            for (key, value) in members { try object.encode(value, forKey: MemberKey(key)) }
        } else if case .array(let items) = self {
            var array = encoder.unkeyedContainer()
            for item in items { try array.encode(item) }
        } else {
            var scalar = encoder.singleValueContainer()
            if case .bool(let flag) = self { try scalar.encode(flag) }
            else if case .string(let text) = self { try scalar.encode(text) }
            // Whole numbers as integers (`1`, not `1.0`): a server's `number` field may hold either.
            else if let whole = intValue { try scalar.encode(whole) }
            else if case .number(let number) = self { try scalar.encode(number) }
            else { try scalar.encodeNil() }
        }
    }

    private struct MemberKey: CodingKey {
        let stringValue: String
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

/// The encoders and decoders of the client: keys as written by your `CodingKeys` (the API is snake_case),
/// dates as RFC 3339 strings (`2026-01-05T10:00:00.123Z`, fractional seconds optional).
enum SnackBaseCoding {
    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            if let date = parseDate(text) { return date }
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an RFC 3339 date: \(text)")
        }
        return decoder
    }

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            var container = encoder.singleValueContainer()
            try container.encode(formatter.string(from: date))
        }
        return encoder
    }

    static func parseDate(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}

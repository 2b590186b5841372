/// The static type of an expression, as the checker infers it.
indirect enum RuleType: Equatable, Sendable, CustomStringConvertible {
    /// Only the `null` literal has this type; it compares with everything.
    case null
    case boolean, number, text, datetime, json
    /// A list literal or `user.roles`; nil when the list has no non-null member.
    case list(RuleType?)

    init(_ field: RuleFieldType) {
        switch field {
        case .text: self = .text
        case .number: self = .number
        case .boolean: self = .boolean
        case .datetime: self = .datetime
        case .json: self = .json
        }
    }

    var description: String {
        switch self {
        case .null: "null"
        case .boolean: "boolean"
        case .number: "number"
        case .text: "text"
        case .datetime: "datetime"
        case .json: "json"
        case .list(let element): element.map { "list of \($0)" } ?? "list"
        }
    }

    /// Types with an order: numbers, texts (code points) and datetimes.
    var isOrdered: Bool {
        switch self {
        case .number, .text, .datetime: true
        case .null, .boolean, .json, .list: false
        }
    }

    var isList: Bool { if case .list = self { true } else { false } }
}

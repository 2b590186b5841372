import SQLKit
import SnackBaseCore
import SnackBaseRules

/// A column value as stored. A null keeps its column's type, because PostgreSQL refuses a
/// parameter of the wrong type even when it is null.
public enum StoredValue: Sendable, Equatable {
    case text(String?)
    case number(Double?)
    case bool(Bool?)

    public var isNull: Bool {
        switch self {
        case .text(let value): value == nil
        case .number(let value): value == nil
        case .bool(let value): value == nil
        }
    }

    /// The null of a column of this type.
    public static func null(for type: FieldType) -> StoredValue {
        switch type {
        case .number: .number(nil)
        case .boolean: .bool(nil)
        case .text, .datetime, .email, .url, .json, .reference: .text(nil)
        }
    }

    var bind: any Encodable & Sendable {
        switch self {
        case .text(let value): value
        case .number(let value): value
        case .bool(let value): value
        }
    }
}

/// A record as stored: system fields and user fields by column name.
public typealias StoredRecord = [String: StoredValue]

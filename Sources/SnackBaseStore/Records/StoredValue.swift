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

/// The tenant and the collection a record query runs in. Made from an ``AccountScope``, so no
/// record query can forget its account.
public struct RecordScope: Sendable {
    public let account: AccountScope
    public let collection: CollectionSchema

    public init(account: AccountScope, collection: CollectionSchema) {
        self.account = account
        self.collection = collection
    }

    var table: String { collection.tableName }

    /// Every column name: system fields then user fields.
    var columns: [String] { CollectionSchema.systemFields + collection.fields.map(\.name) }

    /// The user fields' names and types: with the fixed system columns, what a row read in this scope
    /// is decoded with, and so part of the key under which it is remembered (a request that still holds
    /// the schema from before a change must neither be answered from, nor leave behind, rows shaped by
    /// the other schema).
    var shape: [RememberedReads.Column] {
        collection.fields.map { RememberedReads.Column(name: $0.name, type: $0.type) }
    }

    func type(of column: String) -> FieldType? {
        if let field = collection.field(column) { return field.type }
        switch column {
        case "created_at", "updated_at": return .datetime
        case "id", "account_id", "created_by", "updated_by": return .text
        default: return nil
        }
    }
}

/// A condition compiled by the rule engine, written into SQLKit's query: keywords as raw SQL,
/// identifiers quoted by the database's dialect, values as bound parameters.
struct RuleFragmentExpression: SQLExpression {
    let fragment: SQLFragment

    func serialize(to serializer: inout SQLSerializer) {
        for piece in fragment.pieces {
            switch piece {
            case .sql(let text): serializer.write(text)
            case .identifier(let name): SQLIdentifier(name).serialize(to: &serializer)
            case .bind(let value): serializer.write(bind: Self.bindable(value))
            }
        }
    }

    /// Values the compiler binds are never null or lists; should one be, it binds as a text that
    /// matches nothing a column holds, rather than widening the query.
    static func bindable(_ value: RuleValue) -> any Encodable & Sendable {
        switch value {
        case .bool(let flag): flag
        case .number(let number): number
        case .text(let text), .datetime(let text): text
        case .null, .list: "\u{0}unbindable"
        }
    }
}

import SnackBaseCore

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

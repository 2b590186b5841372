import SnackBaseCore

/// What a record hook sees: the operation, where it happens, who does it, and the record.
public struct RecordEvent: Sendable {
    public enum Kind: String, Sendable {
        case create, update, delete
    }

    public let kind: Kind
    public let scope: RecordScope
    public let actor: Principal
    /// The record as it will be (before-hooks may change it) or as it was stored (after-hooks, deletes).
    public var record: StoredRecord
    /// The stored record before an update or delete.
    public let previous: StoredRecord?
    /// The request's time, canonical RFC 3339.
    public let now: String
    /// The request's id, for hooks that record what happened.
    public let requestID: String?

    public init(kind: Kind, scope: RecordScope, actor: Principal, record: StoredRecord, previous: StoredRecord?, now: String, requestID: String? = nil) {
        self.kind = kind
        self.scope = scope
        self.actor = actor
        self.record = record
        self.previous = previous
        self.now = now
        self.requestID = requestID
    }
}

import SnackBaseCore
import SnackBaseStore

/// One committed record write, as realtime streams receive it: the record before and after, as
/// stored. Each subscriber sees it only through its own permissions at delivery
/// (``RealtimeHub``); nothing here has been masked yet, so it never leaves the process as is.
package struct RecordChange: Sendable, Equatable {
    package enum Kind: Sendable, Equatable {
        case created, updated, deleted
    }

    package let kind: Kind
    package let accountID: AccountID
    package let collection: String
    package let recordID: String
    /// The record before the write (updates and deletes).
    package let before: StoredRecord?
    /// The record after the write (creates and updates).
    package let after: StoredRecord?
    /// When the write happened (RFC 3339, milliseconds).
    package let at: String

    package init(kind: Kind, accountID: AccountID, collection: String, recordID: String, before: StoredRecord?, after: StoredRecord?, at: String) {
        self.kind = kind
        self.accountID = accountID
        self.collection = collection
        self.recordID = recordID
        self.before = before
        self.after = after
        self.at = at
    }
}

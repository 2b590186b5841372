import SnackBaseCore

extension RecordEvent {
    /// `record` with the system fields the account-isolation hook sets for `kind`, for a decision made
    /// before the write (a create's rule sees the record as it will be stored, security-model.md §3
    /// step 5). The hook is the one place that sets them; only a new record's id is left to the write.
    public static func systemFields(of record: StoredRecord, kind: Kind, scope: RecordScope, actor: Principal, now: String,
                                    previous: StoredRecord? = nil) -> StoredRecord {
        var event = RecordEvent(kind: kind, scope: scope, actor: actor, record: record, previous: previous, now: now)
        AccountIsolationHook.apply(&event, drawingID: false)
        return event.record
    }
}

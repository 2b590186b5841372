import SnackBaseCore

/// The built-in hook: sets `account_id` from the scope, `created_by`/`updated_by` from the actor,
/// and the timestamps; on update keeps the stored id, owner and creation time.
enum AccountIsolationHook {
    static func apply(_ event: inout RecordEvent, drawingID: Bool = true) {
        let account = StoredValue.text(event.scope.account.accountID.rawValue)
        let actor = StoredValue.text(event.actor.userID)
        switch event.kind {
        case .create:
            if drawingID, event.record["id"]?.isNull ?? true { event.record["id"] = .text(SecureID.make("rec")) }
            event.record["account_id"] = account
            event.record["created_at"] = .text(event.now)
            event.record["updated_at"] = .text(event.now)
            event.record["created_by"] = actor
            event.record["updated_by"] = actor
        case .update:
            for column in ["id", "created_at", "created_by"] { event.record[column] = event.previous?[column] }
            event.record["account_id"] = account
            event.record["updated_at"] = .text(event.now)
            event.record["updated_by"] = actor
        case .delete:
            break
        }
    }
}

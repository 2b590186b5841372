import SQLKit
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

/// Code that runs around record writes, inside the write's transaction: a before-hook may change
/// the record or abort the write by throwing; an after-hook sees what was written (and may write
/// more in the same transaction, as the audit log does).
///
/// ```swift
/// struct Uppercase: RecordHook {
///     func before(_ event: inout RecordEvent, on db: any SQLDatabase) async throws {
///         if case .text(let title?) = event.record["title"] { event.record["title"] = .text(title.uppercased()) }
///     }
/// }
/// ```
public protocol RecordHook: Sendable {
    func before(_ event: inout RecordEvent, on db: any SQLDatabase) async throws
    func after(_ event: RecordEvent, on db: any SQLDatabase) async throws
}

extension RecordHook {
    public func before(_ event: inout RecordEvent, on db: any SQLDatabase) async throws {}
    public func after(_ event: RecordEvent, on db: any SQLDatabase) async throws {}
}

/// The hooks of one server, fixed at start and run in priority order (lower first).
/// The built-in account-isolation hook is not in the list: it always runs first, so it can
/// neither be unregistered nor reordered.
public struct RecordHooks: Sendable {
    private let hooks: [(priority: Int, hook: any RecordHook)]

    public init(_ hooks: [(priority: Int, hook: any RecordHook)] = []) {
        self.hooks = hooks.enumerated()
            .sorted { ($0.element.priority, $0.offset) < ($1.element.priority, $1.offset) }
            .map(\.element)
    }

    public func before(_ event: inout RecordEvent, on db: any SQLDatabase) async throws {
        AccountIsolationHook.apply(&event)
        for entry in hooks { try await entry.hook.before(&event, on: db) }
        // Whatever a hook did, the record stays in the scope's account with server-set system fields.
        AccountIsolationHook.apply(&event)
    }

    public func after(_ event: RecordEvent, on db: any SQLDatabase) async throws {
        for entry in hooks { try await entry.hook.after(event, on: db) }
    }
}

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

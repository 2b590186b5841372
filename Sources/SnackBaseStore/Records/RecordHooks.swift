import SQLKit
import SnackBaseCore

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

    /// What a record write in `scope` may change, with these hooks around it: only that collection's
    /// records in that account when every hook is a built-in one (the audit entry is never
    /// remembered), anything at all when a hook of one's own might write elsewhere.
    public func footprint(of scope: RecordScope) -> WriteGeneration.Footprint {
        guard hooks.allSatisfy({ $0.hook is AuditRecordHook }) else { return .everything }
        return .records(table: scope.table, account: scope.account.accountID.rawValue)
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

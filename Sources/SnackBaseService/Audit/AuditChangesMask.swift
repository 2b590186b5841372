import SnackBaseAccess
import SnackBaseCore
import SnackBaseStore

/// What an account admin may read of the old and new values in record entries (security-model.md §6):
/// only the fields their own permissions let them read on that collection; a hidden field's values
/// read `"[hidden]"`. The stored entry and its hash do not change, so `/verify` and the superadmin's
/// export still verify (an admin's copy of a masked entry does not: it is not the stored text).
///
/// "Readable" is taken as the fields readable on every record the admin could list
/// (``AccessPolicy/queryableFields(readers:context:collection:)``): a field whose field rule
/// depends on the record is hidden here, since one entry may show several versions of it. A collection
/// the admin cannot read, or one deleted since, hides every field.
package struct AuditChangesMask: Sendable {
    /// Per collection, the fields shown (nil: every field).
    private let visible: [String: Set<String>?]

    /// The mask of `reader`, or nil when the reader sees everything (the superadmin).
    package static func of(_ reader: Principal, services: AppServices) async throws -> AuditChangesMask? {
        if reader.isSuperadmin { return nil }
        let policy = try await services.policies.policy(for: reader.accountID, database: services.database)
        let collections = try await services.collections.all(database: services.database)
        let now = Timestamp.now()
        let context = AccessPolicy.ruleContext(reader, operation: .read, now: now)
        var visible: [String: Set<String>?] = [:]
        for (name, collection) in collections {
            switch policy.listAccess(by: reader, on: collection, now: now) {
            case .denied: visible[name] = .some([])
            case .everything: visible[name] = .some(nil)
            case .filtered(_, let readers): visible[name] = .some(policy.queryableFields(readers: readers, context: context, collection: collection))
            }
        }
        return AuditChangesMask(visible: visible)
    }

    package static let hidden = AuditChange(old: .string("[hidden]"), new: .string("[hidden]"))

    /// `entry` as this reader may see it.
    package func apply(_ entry: AuditEntry) -> AuditEntry {
        guard entry.action.hasPrefix("record."), let collection = entry.collection, entry.changes != "{}" else { return entry }
        let shown: Set<String>? = visible[collection] ?? .some([])
        guard let shown else { return entry }
        guard case .object(let stored)? = try? JSONValue.parse(entry.changes) else {
            // Not what the log writes: show nothing of it rather than guess.
            var masked = entry
            masked.changes = "{}"
            return masked
        }
        var changes: [String: AuditChange] = [:]
        for (field, value) in stored {
            if shown.contains(field), case .object(let change) = value {
                changes[field] = AuditChange(old: change["old"] ?? .null, new: change["new"] ?? .null)
            } else {
                changes[field] = Self.hidden
            }
        }
        var masked = entry
        masked.changes = AuditLog.encode(changes)
        return masked
    }
}

import Foundation
import SQLKit
import SnackBaseCore

/// Writes `record.create`, `record.update` and `record.delete` into the record's account chain from
/// inside the write's transaction, with the old and new value of each user field that changed
/// (system fields are not listed: the entry's own fields say who, when and which record).
public struct AuditRecordHook: RecordHook {
    public init() {}

    public func after(_ event: RecordEvent, on db: any SQLDatabase) async throws {
        let collection = event.scope.collection
        var changes: [String: AuditChange] = [:]
        for field in collection.fields {
            let old = event.kind == .create ? nil : event.previous?[field.name].flatMap { Self.json($0, type: field.type) }
            let new = event.kind == .delete ? nil : event.record[field.name].flatMap { Self.json($0, type: field.type) }
            if old != new { changes[field.name] = AuditChange(old: old ?? .null, new: new ?? .null) }
        }
        let status: Int
        switch event.kind {
        case .create: status = 201
        case .update: status = 200
        case .delete: status = 204
        }
        var recordID: String?
        if case .text(let id)? = event.record["id"] { recordID = id }
        let origin = AuditOrigin.current.map { AuditOrigin(requestID: event.requestID ?? $0.requestID, ip: $0.ip, userAgent: $0.userAgent) }
            ?? AuditOrigin(requestID: event.requestID, ip: nil, userAgent: nil)
        try await AuditLog.append(AuditEvent(
            accountID: event.scope.account.accountID, action: "record.\(event.kind.rawValue)", outcome: .allowed, status: status,
            actorID: event.actor.userID, actorEmail: event.actor.email, collection: collection.name, recordID: recordID,
            changes: changes, origin: origin
        ), on: db)
    }

    /// A stored value as JSON; nil for SQL NULL. A `json` field shows the document it holds.
    static func json(_ value: StoredValue, type: FieldType) -> JSONValue? {
        switch value {
        case .text(let text?):
            if type == .json, let document = try? JSONValue.parse(text) { return document }
            return .string(text)
        case .number(let number?): return .number(number)
        case .bool(let flag?): return .bool(flag)
        case .text(nil), .number(nil), .bool(nil): return nil
        }
    }
}

extension RecordHooks {
    /// The server's default hooks: the audit trail of every record write. It runs after any hook
    /// with a lower priority, so it records what was finally written.
    public static let audited = RecordHooks([(priority: 1_000_000, hook: AuditRecordHook())])
}

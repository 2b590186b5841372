import Foundation
import SnackBaseCore

/// How an audited event ended.
public enum AuditOutcome: String, Sendable, Codable, CaseIterable {
    case allowed, denied, error
}

/// The old and new value of one user field. Never a secret: callers put a password change as
/// ``AuditChange/redacted`` and never a hash or a token.
public struct AuditChange: Sendable, Equatable, Codable {
    public var old: JSONValue?
    public var new: JSONValue?

    public init(old: JSONValue?, new: JSONValue?) {
        self.old = old
        self.new = new
    }

    /// A secret changed (a password): the entry says so without either value.
    public static let redacted = AuditChange(old: .string("[redacted]"), new: .string("[redacted]"))

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(old ?? .null, forKey: .old)
        try container.encode(new ?? .null, forKey: .new)
    }

    /// The fields whose value differs between `old` and `new` (a field missing on one side is null there).
    public static func diff(_ old: [String: JSONValue], _ new: [String: JSONValue]) -> [String: AuditChange] {
        var changes: [String: AuditChange] = [:]
        for key in Set(old.keys).union(new.keys) {
            let before = old[key] ?? .null
            let after = new[key] ?? .null
            if before != after { changes[key] = AuditChange(old: before, new: after) }
        }
        return changes
    }
}

/// Where the request that caused an event came from. The API sets it for the whole handling of a
/// request (``AuditOrigin/current``), so an entry written deep inside a transaction, by a record
/// hook say, still carries the request id, address and user agent.
public struct AuditOrigin: Sendable, Equatable {
    public var requestID: String?
    public var ip: String?
    public var userAgent: String?

    public init(requestID: String?, ip: String?, userAgent: String?) {
        self.requestID = requestID
        self.ip = ip
        self.userAgent = userAgent
    }

    @TaskLocal public static var current: AuditOrigin?
}

/// What happened, as a caller describes it to ``AuditLog/append(_:on:)``; the log adds the id,
/// the sequence, the time and the hashes.
public struct AuditEvent: Sendable {
    public var accountID: AccountID
    /// `<resource>.<verb>`: `record.create`, `auth.login_failed`, `access.cross_account`…
    public var action: String
    public var outcome: AuditOutcome
    public var status: Int?
    public var actorID: String?
    public var actorEmail: String?
    public var collection: String?
    public var recordID: String?
    public var reason: String?
    public var changes: [String: AuditChange]
    /// Taken from ``AuditOrigin/current`` when nil.
    public var origin: AuditOrigin?

    public init(
        accountID: AccountID, action: String, outcome: AuditOutcome = .allowed, status: Int? = nil,
        actorID: String? = nil, actorEmail: String? = nil, collection: String? = nil, recordID: String? = nil,
        reason: String? = nil, changes: [String: AuditChange] = [:], origin: AuditOrigin? = nil
    ) {
        self.accountID = accountID
        self.action = action
        self.outcome = outcome
        self.status = status
        self.actorID = actorID
        self.actorEmail = actorEmail
        self.collection = collection
        self.recordID = recordID
        self.reason = reason
        self.changes = changes
        self.origin = origin
    }

    /// The actor of an event done by `principal` (nothing for an anonymous caller).
    public init(
        _ action: String, in account: AccountID, by principal: Principal?, outcome: AuditOutcome = .allowed, status: Int? = nil,
        collection: String? = nil, recordID: String? = nil, reason: String? = nil, changes: [String: AuditChange] = [:]
    ) {
        self.init(accountID: account, action: action, outcome: outcome, status: status, actorID: principal?.userID,
                  actorEmail: principal?.email, collection: collection, recordID: recordID, reason: reason, changes: changes)
    }
}

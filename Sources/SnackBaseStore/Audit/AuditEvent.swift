import Foundation
import SnackBaseCore

/// How an audited event ended.
public enum AuditOutcome: String, Sendable, Codable, CaseIterable {
    case allowed, denied, error
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

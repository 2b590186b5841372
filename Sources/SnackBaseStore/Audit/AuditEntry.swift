import SQLKit

/// One stored audit entry, exactly as the table holds it. `changes` is the stored JSON text: the
/// hash covers that text byte for byte, so it is never re-encoded between the table and the hash.
public struct AuditEntry: Sendable, Equatable {
    public let id: String
    public let accountID: String
    public let sequence: Int
    public let actorID: String?
    public let actorEmail: String?
    public let action: String
    public let collection: String?
    public let recordID: String?
    public let outcome: String
    public let status: Int?
    public let reason: String?
    /// The stored JSON text the hash covers; a reader's copy may mask fields (`AuditChangesMask` in the API).
    public var changes: String
    public let requestID: String?
    public let ip: String?
    public let userAgent: String?
    public let createdAt: String
    public let previousHash: String
    public let hash: String

    public init(
        id: String, accountID: String, sequence: Int, actorID: String?, actorEmail: String?, action: String,
        collection: String?, recordID: String?, outcome: String, status: Int?, reason: String?, changes: String,
        requestID: String?, ip: String?, userAgent: String?, createdAt: String, previousHash: String, hash: String
    ) {
        self.id = id
        self.accountID = accountID
        self.sequence = sequence
        self.actorID = actorID
        self.actorEmail = actorEmail
        self.action = action
        self.collection = collection
        self.recordID = recordID
        self.outcome = outcome
        self.status = status
        self.reason = reason
        self.changes = changes
        self.requestID = requestID
        self.ip = ip
        self.userAgent = userAgent
        self.createdAt = createdAt
        self.previousHash = previousHash
        self.hash = hash
    }

    /// This entry at `sequence` of its chain, after `previous`, with `hash`.
    func chained(sequence: Int, previous: String, hash: String) -> AuditEntry {
        AuditEntry(
            id: id, accountID: accountID, sequence: sequence, actorID: actorID, actorEmail: actorEmail, action: action,
            collection: collection, recordID: recordID, outcome: outcome, status: status, reason: reason, changes: changes,
            requestID: requestID, ip: ip, userAgent: userAgent, createdAt: createdAt, previousHash: previous, hash: hash
        )
    }

    /// The hashed fields in their canonical order, each as the text the table stores (numbers in
    /// decimal), nil for SQL NULL. `previous_hash` and `hash` are not among them.
    public var canonicalFields: [String?] {
        [id, accountID, String(sequence), actorID, actorEmail, action, collection, recordID, outcome,
         status.map(String.init), reason, changes, requestID, ip, userAgent, createdAt]
    }

    public static let canonicalFieldNames = [
        "id", "account_id", "sequence", "actor_id", "actor_email", "action", "collection", "record_id", "outcome",
        "status", "reason", "changes", "request_id", "ip", "user_agent", "created_at",
    ]

    static func decode(_ row: any SQLRow) throws -> AuditEntry {
        AuditEntry(
            id: try row.decode(column: "id", as: String.self),
            accountID: try row.decode(column: "account_id", as: String.self),
            sequence: try row.decode(column: "sequence", as: Int.self),
            actorID: try row.decode(column: "actor_id", as: String?.self),
            actorEmail: try row.decode(column: "actor_email", as: String?.self),
            action: try row.decode(column: "action", as: String.self),
            collection: try row.decode(column: "collection", as: String?.self),
            recordID: try row.decode(column: "record_id", as: String?.self),
            outcome: try row.decode(column: "outcome", as: String.self),
            status: try row.decode(column: "status", as: Int?.self),
            reason: try row.decode(column: "reason", as: String?.self),
            changes: try row.decode(column: "changes", as: String.self),
            requestID: try row.decode(column: "request_id", as: String?.self),
            ip: try row.decode(column: "ip", as: String?.self),
            userAgent: try row.decode(column: "user_agent", as: String?.self),
            createdAt: try row.decode(column: "created_at", as: String.self),
            previousHash: try row.decode(column: "previous_hash", as: String.self),
            hash: try row.decode(column: "hash", as: String.self)
        )
    }
}

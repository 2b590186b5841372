import Crypto
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

/// The hash chain of docs/audit.md, one per account:
///
/// ```text
/// hash = lowercase hex of SHA-256( previous_hash || canonical(entry) )
/// canonical(entry) = for each field of AuditEntry.canonicalFieldNames, in order:
///                    "-,"                     when the field is NULL
///                    "<n>:<UTF-8 bytes>,"     otherwise, n = the byte count in decimal (a netstring)
/// ```
///
/// `previous_hash` is the previous entry's `hash` as 64 lowercase hex digits (ASCII), or
/// ``genesis`` (64 zeros) for sequence 1. Netstrings need no escaping, so any tool can recompute
/// a hash from an export without knowing how this program encodes JSON.
public enum AuditChain {
    public static let genesis = String(repeating: "0", count: 64)

    public static func canonical(_ fields: [String?]) -> [UInt8] {
        var bytes: [UInt8] = []
        for field in fields {
            guard let field else {
                bytes += Array("-,".utf8)
                continue
            }
            let utf8 = Array(field.utf8)
            bytes += Array("\(utf8.count):".utf8)
            bytes += utf8
            bytes.append(UInt8(ascii: ","))
        }
        return bytes
    }

    public static func hash(previous: String, fields: [String?]) -> String {
        var hasher = SHA256()
        hasher.update(data: Array(previous.utf8))
        hasher.update(data: canonical(fields))
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(64)
        for byte in hasher.finalize() {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: hex, as: UTF8.self)
    }

    /// The hash this entry should carry after `previous`.
    public static func hash(of entry: AuditEntry, previous: String) -> String {
        hash(previous: previous, fields: entry.canonicalFields)
    }
}

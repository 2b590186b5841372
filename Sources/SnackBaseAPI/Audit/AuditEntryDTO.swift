import Foundation
import SnackBaseCore
import SnackBaseStore

/// An audit entry on the wire (api.md "Audit log"). Every key is always present, null included, so
/// a JSONL export line holds the whole entry. `changes` is the stored JSON as an object; an export
/// line also carries `canonical_changes`, the exact stored text the hash covers (docs/audit.md).
struct AuditEntryDTO: Encodable, Sendable {
    let entry: AuditEntry
    let includeCanonicalChanges: Bool

    init(_ entry: AuditEntry, includeCanonicalChanges: Bool = false) {
        self.entry = entry
        self.includeCanonicalChanges = includeCanonicalChanges
    }

    enum Key: String, CodingKey {
        case id, sequence, accountId, actorId, actorEmail, action, collection, recordId, outcome, status, reason, changes,
             requestId, ip, userAgent, createdAt, previousHash, hash, canonicalChanges
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(entry.id, forKey: .id)
        try container.encode(entry.sequence, forKey: .sequence)
        try container.encode(entry.accountID, forKey: .accountId)
        try container.encode(entry.actorID, forKey: .actorId)
        try container.encode(entry.actorEmail, forKey: .actorEmail)
        try container.encode(entry.action, forKey: .action)
        try container.encode(entry.collection, forKey: .collection)
        try container.encode(entry.recordID, forKey: .recordId)
        try container.encode(entry.outcome, forKey: .outcome)
        try container.encode(entry.status, forKey: .status)
        try container.encode(entry.reason, forKey: .reason)
        let changes = (try? JSONValue.parse(entry.changes)) ?? .object([:])
        try container.encode(changes, forKey: .changes)
        try container.encode(entry.requestID, forKey: .requestId)
        try container.encode(entry.ip, forKey: .ip)
        try container.encode(entry.userAgent, forKey: .userAgent)
        try container.encode(entry.createdAt, forKey: .createdAt)
        try container.encode(entry.previousHash, forKey: .previousHash)
        try container.encode(entry.hash, forKey: .hash)
        if includeCanonicalChanges { try container.encode(entry.changes, forKey: .canonicalChanges) }
    }

    /// The CSV columns: the hashed fields in canonical order, then the two hashes. `changes` is the
    /// exact stored text, so a CSV export can be verified as it stands.
    static let csvColumns = AuditEntry.canonicalFieldNames + ["previous_hash", "hash"]

    /// One CSV line (RFC 4180 quoting; NULL is an empty cell). A cell starting with `=`, `+`, `-`, `@`,
    /// tab or CR gets a leading `'` so that a spreadsheet does not run it as a formula; take it off
    /// before recomputing a hash (docs/audit.md).
    static func csvLine(_ entry: AuditEntry) -> String {
        (entry.canonicalFields + [entry.previousHash, entry.hash]).map { cell in
            guard var text = cell else { return "" }
            if let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { text = "'" + text }
            if text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
                return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            }
            return text
        }.joined(separator: ",") + "\r\n"
    }
}

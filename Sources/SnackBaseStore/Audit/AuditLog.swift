import Crypto
import Foundation
import NIOCore
import SQLKit
import SnackBaseCore

/// The append-only, hash-chained audit log (security-model.md §6). Entries are appended inside the
/// caller's transaction, so an entry commits or rolls back with the change it records.
///
/// ```swift
/// try await database.transaction { db in
///     try await RoleRepository.insert(role, in: scope, on: db)
///     try await AuditLog.append(AuditEvent("role.create", in: scope.accountID, by: principal, status: 201), on: db)
/// }
/// ```
public enum AuditLog {
    /// Longest text kept for free-form fields; longer values are cut (the entry is about what
    /// happened, not a place to store a request).
    static let maxText = 1024

    /// Appends `event` to its account's chain. On PostgreSQL the chain is serialized per account by a
    /// transaction-scoped advisory lock taken before the head is read; SQLite transactions are serialized
    /// already. The unique (account_id, sequence) key is the backstop: a race could only fail, never fork.
    ///
    /// The lock is held until the transaction ends, so an account's writes wait for each other from
    /// the lock to the commit. On PostgreSQL nothing of that span goes through this task, nor waits for
    /// a statement to come: one statement, `snackbase_audit_append` (``AuditSchema/appendFunction``),
    /// takes the lock, reads the head and inserts the entry with its hash, and it is sent without waiting
    /// for its answer (``PostgresSession/send(_:)``), so the commit follows it on the connection. A failed
    /// append fails the transaction's next statement or its commit. A write appends its entry last (the
    /// record writes do), so the lock is held for that entry and the commit only.
    public static func append(_ event: AuditEvent, on db: any SQLDatabase) async throws {
        let account = event.accountID.rawValue
        try await RowSecurity.enter(AccountScope(event.accountID), on: db)
        let origin = event.origin ?? AuditOrigin.current
        let entry = AuditEntry(
            id: SecureID.timeOrdered("aud"), accountID: account, sequence: 0,
            actorID: clean(event.actorID), actorEmail: clean(event.actorEmail), action: clean(event.action) ?? "unknown",
            collection: clean(event.collection), recordID: clean(event.recordID), outcome: event.outcome.rawValue,
            status: event.status, reason: clean(event.reason), changes: encode(event.changes),
            requestID: clean(origin?.requestID), ip: clean(origin?.ip), userAgent: clean(origin?.userAgent),
            createdAt: Timestamp.now(), previousHash: "", hash: ""
        )
        if let session = db as? PostgresSession {
            try await session.send(selecting: databaseAppend(entry))
            return
        }
        if db.dialect.name == "postgresql" {
            try await db.raw("SELECT pg_advisory_xact_lock(\(bind: lockKey(for: account)))").run()
        }
        let head = try await db.raw("SELECT sequence, hash FROM audit_log WHERE account_id = \(bind: account) ORDER BY sequence DESC LIMIT 1").first()
        let sequence = (try head?.decode(column: "sequence", as: Int.self) ?? 0) + 1
        let previous = try head?.decode(column: "hash", as: String.self) ?? AuditChain.genesis
        let numbered = entry.chained(sequence: sequence, previous: previous, hash: "")
        let chained = numbered.chained(sequence: sequence, previous: previous, hash: AuditChain.hash(of: numbered, previous: previous))
        try await db.raw("""
            INSERT INTO audit_log (id, account_id, sequence, actor_id, actor_email, action, collection, record_id, outcome, status,
                reason, changes, request_id, ip, user_agent, created_at, previous_hash, hash)
            VALUES (\(bind: chained.id), \(bind: chained.accountID), \(bind: chained.sequence), \(bind: chained.actorID), \(bind: chained.actorEmail),
                \(bind: chained.action), \(bind: chained.collection), \(bind: chained.recordID), \(bind: chained.outcome), \(bind: chained.status),
                \(bind: chained.reason), \(bind: chained.changes), \(bind: chained.requestID), \(bind: chained.ip), \(bind: chained.userAgent),
                \(bind: chained.createdAt), \(bind: chained.previousHash), \(bind: chained.hash))
            """).run()
    }

    /// The call of `snackbase_audit_append` for `entry`, to be selected (its sequence, previous hash and hash are made
    /// by the database): the chain's lock key, the fields, and the canonical bytes of the fields
    /// before and after `sequence`. ``verify(account:on:)`` recomputes every hash in Swift (AUD-CH-006).
    static func databaseAppend(_ entry: AuditEntry) -> SQLQueryString {
        let fields = entry.canonicalFields
        let position = AuditEntry.canonicalFieldNames.firstIndex(of: "sequence")!
        let before = Data(AuditChain.canonical(Array(fields[..<position])))
        let after = Data(AuditChain.canonical(Array(fields[(position + 1)...])))
        return """
            snackbase_audit_append(\(bind: lockKey(for: entry.accountID)), \(bind: entry.id), \(bind: entry.accountID),
                \(bind: entry.actorID), \(bind: entry.actorEmail), \(bind: entry.action), \(bind: entry.collection), \(bind: entry.recordID),
                \(bind: entry.outcome), \(bind: entry.status), \(bind: entry.reason), \(bind: entry.changes), \(bind: entry.requestID),
                \(bind: entry.ip), \(bind: entry.userAgent), \(bind: entry.createdAt), \(bind: before), \(bind: after))
            """
    }

    /// One entry by id, within `account` unless nil (superadmin).
    public static func find(id: String, in account: AccountScope?, on db: any SQLDatabase) async throws -> AuditEntry? {
        try await RowSecurity.scoped(account, otherwise: .crossAccountAudit, on: db) { db in
            try await findEntry(id: id, in: account, on: db)
        }
    }

    private static func findEntry(id: String, in account: AccountScope?, on db: any SQLDatabase) async throws -> AuditEntry? {
        let query = db.select().column(SQLLiteral.all).from(SQLIdentifier("audit_log"))
            .where(SQLIdentifier("id"), .equal, SQLBind(id))
        if let account { query.where(SQLIdentifier("account_id"), .equal, SQLBind(account.accountID.rawValue)) }
        return try await query.first().map(AuditEntry.decode)
    }

    /// One page of matching entries, newest first, and how many match in all.
    public static func list(_ filter: AuditFilter, skip: Int, limit: Int, on db: any SQLDatabase) async throws -> (items: [AuditEntry], total: Int) {
        try await RowSecurity.scoped(filter.account, otherwise: .crossAccountAudit, on: db) { db in
            try await listEntries(filter, skip: skip, limit: limit, on: db)
        }
    }

    private static func listEntries(_ filter: AuditFilter, skip: Int, limit: Int, on db: any SQLDatabase) async throws -> (items: [AuditEntry], total: Int) {
        let rows = try await apply(filter, to: db.select().column(SQLLiteral.all).from(SQLIdentifier("audit_log")))
            .orderBy(SQLIdentifier("created_at"), SQLDirection.descending)
            .orderBy(SQLIdentifier("account_id"), SQLDirection.ascending)
            .orderBy(SQLIdentifier("sequence"), SQLDirection.descending)
            .limit(limit).offset(skip).all()
        let total = try await apply(filter, to: db.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from(SQLIdentifier("audit_log")))
            .first()?.decode(column: "n", as: Int.self) ?? 0
        return (try rows.map(AuditEntry.decode), total)
    }

    /// Where an export stands: the last entry it wrote.
    public struct Cursor: Sendable, Equatable {
        public let accountID: String
        public let sequence: Int
        public init(accountID: String, sequence: Int) {
            self.accountID = accountID
            self.sequence = sequence
        }
    }

    /// The next `limit` matching entries after `cursor`, in chain order (account, then sequence), so an
    /// export can be verified offline and entries appended meanwhile neither repeat nor shift the pages.
    public static func chainPage(_ filter: AuditFilter, after cursor: Cursor?, limit: Int, on db: any SQLDatabase) async throws -> [AuditEntry] {
        try await RowSecurity.scoped(filter.account, otherwise: .crossAccountAudit, on: db) { db in
            try await chainEntries(filter, after: cursor, limit: limit, on: db)
        }
    }

    private static func chainEntries(_ filter: AuditFilter, after cursor: Cursor?, limit: Int, on db: any SQLDatabase) async throws -> [AuditEntry] {
        let query = apply(filter, to: db.select().column(SQLLiteral.all).from(SQLIdentifier("audit_log")))
        if let cursor {
            query.where(SQLQueryString("(account_id > \(bind: cursor.accountID) OR (account_id = \(bind: cursor.accountID) AND sequence > \(bind: cursor.sequence)))"))
        }
        return try await query
            .orderBy(SQLIdentifier("account_id"), SQLDirection.ascending)
            .orderBy(SQLIdentifier("sequence"), SQLDirection.ascending)
            .limit(limit).all().map(AuditEntry.decode)
    }

    /// Walks the chain of `account` (every account's when nil): each entry must have the next
    /// sequence, link to the previous entry's hash, and hash to its stored `hash`. Stops at the first
    /// entry that does not.
    public static func verify(account: AccountScope?, on database: any Database) async throws -> AuditVerification {
        let accounts: [String]
        if let account {
            accounts = [account.accountID.rawValue]
        } else {
            accounts = try await database.read { db in
                try await RowSecurity.bypassing(.crossAccountAudit, on: db) { db in
                    try await db.raw("SELECT DISTINCT account_id FROM audit_log ORDER BY account_id").all()
                        .map { try $0.decode(column: "account_id", as: String.self) }
                }
            }
        }
        var checked = 0
        for accountID in accounts {
            var expected = 1
            var previous = AuditChain.genesis
            while true {
                let after = expected - 1
                let page = try await database.read { db in
                    try await RowSecurity.scoped(account, otherwise: .crossAccountAudit, on: db) { db in
                        try await db.raw("""
                            SELECT * FROM audit_log WHERE account_id = \(bind: accountID) AND sequence > \(bind: after)
                            ORDER BY sequence LIMIT 500
                            """).all().map(AuditEntry.decode)
                    }
                }
                if page.isEmpty { break }
                for entry in page {
                    checked += 1
                    let problem: String?
                    if entry.sequence != expected {
                        problem = "sequence \(entry.sequence) follows \(expected - 1): an entry is missing"
                    } else if entry.previousHash != previous {
                        problem = "previous_hash is not the hash of entry \(expected - 1)"
                    } else if AuditChain.hash(of: entry, previous: previous) != entry.hash {
                        problem = "hash does not match the entry's content"
                    } else {
                        problem = nil
                    }
                    if let problem {
                        return AuditVerification(checked: checked, broken: AuditBreak(id: entry.id, accountID: accountID, sequence: entry.sequence, problem: problem))
                    }
                    previous = entry.hash
                    expected += 1
                }
            }
        }
        return AuditVerification(checked: checked, broken: nil)
    }

    // MARK: helpers

    static func apply(_ filter: AuditFilter, to query: SQLSelectBuilder) -> SQLSelectBuilder {
        if let account = filter.account { query.where(SQLIdentifier("account_id"), .equal, SQLBind(account.accountID.rawValue)) }
        if let actor = filter.actorID { query.where(SQLIdentifier("actor_id"), .equal, SQLBind(actor)) }
        if let action = filter.action {
            if action.hasSuffix(".*") {
                // Action families are validated by the caller to [a-z_.]; `_` is escaped so it matches itself.
                let prefix = String(action.dropLast(1)).replacingOccurrences(of: "_", with: "\\_")
                query.where(SQLQueryString("action LIKE \(bind: prefix + "%") ESCAPE '\\'"))
            } else {
                query.where(SQLIdentifier("action"), .equal, SQLBind(action))
            }
        }
        if let collection = filter.collection { query.where(SQLIdentifier("collection"), .equal, SQLBind(collection)) }
        if let record = filter.recordID { query.where(SQLIdentifier("record_id"), .equal, SQLBind(record)) }
        if let outcome = filter.outcome { query.where(SQLIdentifier("outcome"), .equal, SQLBind(outcome.rawValue)) }
        if let since = filter.since { query.where(SQLIdentifier("created_at"), .greaterThanOrEqual, SQLBind(since)) }
        if let until = filter.until { query.where(SQLIdentifier("created_at"), .lessThanOrEqual, SQLBind(until)) }
        return query
    }

    /// The advisory-lock key of an account's chain: 64 bits of SHA-256 over a fixed prefix and the id.
    static func lockKey(for account: String) -> Int64 {
        let digest = Array(SHA256.hash(data: Array(("snackbase.audit." + account).utf8)))
        return digest.prefix(8).reduce(Int64(0)) { ($0 << 8) | Int64($1) }
    }

    /// Free text as stored: no NUL (PostgreSQL refuses it in text), at most ``maxText`` characters.
    static func clean(_ text: String?) -> String? {
        guard var text else { return nil }
        if text.utf8.contains(0) { text = text.replacingOccurrences(of: "\u{0}", with: "") }
        return text.count > maxText ? String(text.prefix(maxText)) : text
    }

    /// `{"field":{"new":…,"old":…},…}`, keys sorted: the text `JSONEncoder` with `.sortedKeys` and
    /// `.withoutEscapingSlashes` writes for these changes (entries written before and after this
    /// writer existed read alike), without going through `Encodable`.
    public static func encode(_ changes: [String: AuditChange]) -> String {
        var out = ByteBuffer()
        out.reserveCapacity(64 + changes.count * 48)
        out.writeInteger(UInt8(ascii: "{"))
        for (index, field) in changes.keys.sorted().enumerated() {
            let change = changes[field]!
            if index > 0 { out.writeInteger(UInt8(ascii: ",")) }
            JSONWriter.writeString(field, into: &out)
            out.writeStaticString(":{\"new\":")
            JSONWriter.write(change.new ?? .null, into: &out)
            out.writeStaticString(",\"old\":")
            JSONWriter.write(change.old ?? .null, into: &out)
            out.writeInteger(UInt8(ascii: "}"))
        }
        out.writeInteger(UInt8(ascii: "}"))
        return String(buffer: out)
    }
}

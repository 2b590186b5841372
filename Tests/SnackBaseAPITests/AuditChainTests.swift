import Foundation
import HTTPTypes
import SnackBaseCore
import SnackBaseService
import SnackBaseStore
import SnackBaseTesting
import Testing

/// The chain itself: append-only in the database, verifiable, tamper-evident, readable only by the
/// right people, exportable.
@Suite("Audit: chain, verification, access, export")
struct AuditChainTests {
    static let notes = #"[{"name":"title","type":"text"},{"name":"views","type":"number"}]"#

    /// Two tenants and a superadmin doing a bit of everything.
    static func mixedWorkload(_ app: TestApp) async throws -> (root: String, acme: TestApp.Tenant, beta: TestApp.Tenant) {
        let root = try await app.superadminToken()
        let acme = try await app.register("acme")
        let beta = try await app.register("beta")
        try await app.createCollection("notes", fields: notes, root: root)
        for tenant in [acme, beta] {
            for index in 0..<3 {
                let created = try await app.request(.post, "/api/v1/records/notes", json: #"{"title":"n\#(index)","views":\#(index)}"#, token: tenant.token)
                if index == 1, let id = created.string("id") {
                    _ = try await app.request(.patch, "/api/v1/records/notes/\(id)", json: #"{"views":10}"#, token: tenant.token)
                    _ = try await app.request(.delete, "/api/v1/records/notes/\(id)", token: tenant.token)
                }
            }
            _ = try await app.user("v@\(tenant.slug).test", roles: ["viewer"], in: tenant)
            _ = try await app.login(tenant.slug, tenant.email, password: "Wrong-password-1!")
            _ = try await app.request(.get, "/api/v1/users?account_id=AA0000", token: tenant.token)
        }
        return (root, acme, beta)
    }

    @Test("AUD-CH-001 verify is valid after a mixed workload, and checks every entry")
    func verifyAfterWorkload() async throws {
        try await TestApp.run { app in
            let (root, acme, _) = try await Self.mixedWorkload(app)
            let total = try await app.auditCount()
            let all = try await app.request(.get, "/api/v1/audit-logs/verify", token: root)
            #expect(all.status == 200)
            #expect(all.bool("valid") == true)
            #expect(all.int("checked") == total)
            #expect(all["first_broken_id"] == nil)
            let own = try await app.request(.get, "/api/v1/audit-logs/verify", token: acme.token)
            #expect(own.bool("valid") == true)
            #expect(own.int("checked") == (try await app.auditEntries(account: acme.accountID).count))
            // Sequences are gap-free per account and every hash is what an auditor recomputes from docs/audit.md.
            for account in Set(try await app.auditEntries().map(\.accountID)) {
                let chain = try await app.auditEntries(account: account).sorted { $0.sequence < $1.sequence }
                #expect(chain.map(\.sequence) == Array(1...chain.count))
                var previous = AuditChain.genesis
                for entry in chain {
                    #expect(entry.previousHash == previous)
                    #expect(AuditorHash.recompute(previous: previous, fields: entry.canonicalFields) == entry.hash)
                    previous = entry.hash
                }
            }
        }
    }

    @Test("AUD-ID-001 audit ids sort in the order entries were written and keep 96 random bits")
    func auditIDsFollowTime() async throws {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let ids = (0..<50).map { SecureID.timeOrdered("aud", at: start.addingTimeInterval(Double($0) / 1000 + 0.0005)) }
        #expect(ids == ids.sorted(), "one millisecond later sorts after")
        let sameInstant = (0..<50).map { _ in SecureID.timeOrdered("aud", at: start) }
        #expect(Set(sameInstant).count == 50, "the random part tells ids of one millisecond apart")
        #expect(ids.allSatisfy(Self.isAuditID))
        #expect(ids[0].hasPrefix("aud_" + String(1_800_000_000_000, radix: 16).paddedTo12()))
        try await TestApp.run { app in
            _ = try await Self.mixedWorkload(app)
            for account in Set(try await app.auditEntries().map(\.accountID)) {
                let chain = try await app.auditEntries(account: account).sorted { $0.sequence < $1.sequence }
                #expect(chain.map(\.id).allSatisfy(Self.isAuditID))
                // Appended in chain order, milliseconds apart or not: never an id before its predecessor's millisecond.
                for (earlier, later) in zip(chain, chain.dropFirst()) {
                    #expect(earlier.id.prefix(16) <= later.id.prefix(16), "\(earlier.id) then \(later.id)")
                }
            }
        }
    }

    /// `aud_` and 36 lower-case hex digits: 12 of time, 24 (96 bits) of chance.
    static func isAuditID(_ id: String) -> Bool {
        id.hasPrefix("aud_") && id.utf8.count == 40 && id.utf8.dropFirst(4).allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    @Test("AUD-CH-002 the database refuses UPDATE and DELETE on audit_log")
    func appendOnly() async throws {
        try await TestApp.run { app in
            let acme = try await app.register("acme")
            let entry = try #require(try await app.auditEntries(account: acme.accountID).first)
            await #expect(throws: (any Error).self) {
                try await app.services.database.transaction { db in try await AuditTamperingForTests.overwriteReason(id: entry.id, with: "nothing happened", on: db) }
            }
            await #expect(throws: (any Error).self) {
                try await app.services.database.transaction { db in try await AuditTamperingForTests.delete(id: entry.id, on: db) }
            }
            #expect(try await app.auditEntries(account: acme.accountID).first == entry)
        }
    }

    @Test("AUD-CH-003 a row changed behind the triggers' back is detected and pinpointed")
    func tamperedRow() async throws {
        try await TestApp.run { app in
            let (root, acme, _) = try await Self.mixedWorkload(app)
            let chain = try await app.auditEntries(account: acme.accountID)
            let victim = chain[chain.count / 2]
            try await app.services.database.transaction { db in
                try await AuditTamperingForTests.dropAppendOnlyTriggers(on: db)
                try await AuditTamperingForTests.overwriteReason(id: victim.id, with: "nothing to see", on: db)
            }
            let answer = try await app.request(.get, "/api/v1/audit-logs/verify", token: root)
            #expect(answer.bool("valid") == false)
            #expect(answer.string("first_broken_id") == victim.id)
            #expect(answer.int("first_broken_sequence") == victim.sequence)
            #expect(answer.string("problem")?.contains("hash") == true)
            let own = try await app.request(.get, "/api/v1/audit-logs/verify", token: acme.token)
            #expect(own.string("first_broken_id") == victim.id)
            #expect(own.int("checked") == victim.sequence)
        }
    }

    @Test("AUD-CH-004 a deleted row breaks the chain at the next entry")
    func deletedRow() async throws {
        try await TestApp.run { app in
            let (_, acme, _) = try await Self.mixedWorkload(app)
            let chain = try await app.auditEntries(account: acme.accountID)
            let victim = chain[2]
            try await app.services.database.transaction { db in
                try await AuditTamperingForTests.dropAppendOnlyTriggers(on: db)
                try await AuditTamperingForTests.delete(id: victim.id, on: db)
            }
            let result = try await AuditLog.verify(account: AccountScope(try #require(AccountID(acme.accountID))), on: app.services.database)
            #expect(result.broken?.id == chain[3].id)
            #expect(result.broken?.problem.contains("missing") == true)
        }
    }

    @Test("AUD-CH-005 concurrent appends keep one gap-free chain per account")
    func concurrentAppends() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            let acme = try await app.register("acme")
            try await app.createCollection("notes", fields: Self.notes, root: root)
            try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<12 {
                    group.addTask {
                        try await app.request(.post, "/api/v1/records/notes", json: #"{"title":"c\#(index)"}"#, token: acme.token).status
                    }
                }
                for try await status in group { #expect(status == 201) }
            }
            let chain = try await app.auditEntries(account: acme.accountID).sorted { $0.sequence < $1.sequence }
            #expect(chain.map(\.sequence) == Array(1...chain.count))
            #expect(chain.filter { $0.action == "record.create" }.count == 12)
            #expect(try await AuditLog.verify(account: nil, on: app.services.database).valid)
        }
    }

    @Test("AUD-AC-001 an account admin reads only the account's entries; the superadmin reads all")
    func isolation() async throws {
        try await TestApp.run { app in
            let (root, acme, beta) = try await Self.mixedWorkload(app)
            let own = try await app.request(.get, "/api/v1/audit-logs?limit=100", token: acme.token)
            #expect(own.status == 200)
            #expect(!own.items.isEmpty)
            #expect(own.items.allSatisfy { $0["account_id"] as? String == acme.accountID })
            let betaEntry = try #require(try await app.auditEntries(account: beta.accountID).first)
            #expect(try await app.request(.get, "/api/v1/audit-logs/\(betaEntry.id)", token: acme.token).status == 404)
            #expect(try await app.request(.get, "/api/v1/audit-logs?account_id=\(beta.accountID)", token: acme.token).status == 403)
            let export = try await app.request(.get, "/api/v1/audit-logs/export", token: acme.token)
            #expect(!export.text.contains(beta.accountID))
            #expect(try await app.request(.get, "/api/v1/audit-logs/\(betaEntry.id)", token: root).status == 200)
            let all = try await app.request(.get, "/api/v1/audit-logs?limit=100", token: root)
            #expect(Set(all.items.compactMap { $0["account_id"] as? String }).isSuperset(of: [acme.accountID, beta.accountID, AccountID.system.rawValue]))
            let filtered = try await app.request(.get, "/api/v1/audit-logs?account_id=\(beta.accountID)&action=record.*&limit=100", token: root)
            #expect(filtered.items.count == 5)
            #expect(filtered.items.allSatisfy { ($0["action"] as? String)?.hasPrefix("record.") == true && $0["account_id"] as? String == beta.accountID })
        }
    }

    @Test("AUD-AC-002 filters: actor, action, collection, record, outcome, time; bad values are 400")
    func filters() async throws {
        try await TestApp.run { app in
            let (_, acme, _) = try await Self.mixedWorkload(app)
            func total(_ query: String) async throws -> Int? {
                try await app.request(.get, "/api/v1/audit-logs?\(query)", token: acme.token).int("total")
            }
            let entries = try await app.auditEntries(account: acme.accountID)
            #expect(try await total("") == entries.count)
            #expect(try await total("outcome=denied") == entries.filter { $0.outcome == "denied" }.count)
            #expect(try await total("action=record.create") == 3)
            #expect(try await total("collection=notes") == 5)
            #expect(try await total("actor_id=\(acme.userID)") == entries.filter { $0.actorID == acme.userID }.count)
            let record = try #require(entries.first { $0.action == "record.delete" }?.recordID)
            #expect(try await total("record_id=\(record)") == 3)
            #expect(try await total("since=2000-01-01T00:00:00Z&until=2999-01-01T00:00:00Z") == entries.count)
            #expect(try await total("since=2999-01-01T00:00:00Z") == 0)
            for bad in ["outcome=maybe", "action=DROP%20TABLE", "since=yesterday", "limit=0", "action=record.%25"] {
                #expect(try await app.request(.get, "/api/v1/audit-logs?\(bad)", token: acme.token).status == 400, "\(bad)")
            }
            // Newest first, and no write route exists.
            let page = try await app.request(.get, "/api/v1/audit-logs?limit=2", token: acme.token)
            #expect((page.items.first?["sequence"] as? Int) == entries.last?.sequence)
            let id = try #require(entries.first?.id)
            for method in [HTTPRequest.Method.delete, .put, .patch, .post] {
                #expect([404, 405].contains(try await app.request(method, "/api/v1/audit-logs/\(id)", json: "{}", token: acme.token).status))
            }
            #expect(try await app.auditEntries(account: acme.accountID).count == entries.count)
        }
    }

    @Test("AUD-EX-001 the JSONL export round-trips to the entries, and its hashes recompute")
    func exportJSONL() async throws {
        try await TestApp.run { app in
            let (root, _, _) = try await Self.mixedWorkload(app)
            let export = try await app.request(.get, "/api/v1/audit-logs/export?format=jsonl", token: root)
            #expect(export.status == 200)
            #expect(export.headers[.contentType] == "application/x-ndjson")
            let lines = export.text.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            let stored = try await app.auditEntries().sorted { ($0.accountID, $0.sequence) < ($1.accountID, $1.sequence) }
            #expect(lines.count == stored.count)
            var previous: [String: String] = [:]
            for (line, entry) in zip(lines, stored) {
                let line = try #require(line)
                let api = try await app.request(.get, "/api/v1/audit-logs/\(entry.id)", token: root).json
                var withoutCanonical = line
                withoutCanonical["canonical_changes"] = nil
                #expect(NSDictionary(dictionary: withoutCanonical).isEqual(to: api), "\(entry.id)")
                // Recompute the hash from the line alone, as an auditor with any tool would.
                let fields: [String?] = AuditEntry.canonicalFieldNames.map { name in
                    if name == "changes" { return line["canonical_changes"] as? String }
                    switch line[name] {
                    case let text as String: return text
                    case let number as Int: return String(number)
                    default: return nil
                    }
                }
                let account = try #require(line["account_id"] as? String)
                let before = previous[account] ?? AuditChain.genesis
                #expect(line["previous_hash"] as? String == before)
                #expect(AuditorHash.recompute(previous: before, fields: fields) == line["hash"] as? String)
                previous[account] = line["hash"] as? String
            }
        }
    }

    @Test("AUD-EX-002 the CSV export holds every entry's hashed fields exactly")
    func exportCSV() async throws {
        try await TestApp.run { app in
            let (root, acme, _) = try await Self.mixedWorkload(app)
            let export = try await app.request(.get, "/api/v1/audit-logs/export?format=csv&account_id=\(acme.accountID)", token: root)
            #expect(export.status == 200)
            let rows = CSV.parse(export.text)
            #expect(rows.first == AuditEntry.canonicalFieldNames + ["previous_hash", "hash"])
            let stored = try await app.auditEntries(account: acme.accountID).sorted { $0.sequence < $1.sequence }
            #expect(rows.count == stored.count + 1)
            for (row, entry) in zip(rows.dropFirst(), stored) {
                let expected = (entry.canonicalFields + [entry.previousHash, entry.hash]).map { $0 ?? "" }
                #expect(row.map(CSV.unneutralized) == expected)
            }
            #expect(try await app.request(.get, "/api/v1/audit-logs/export?format=xml", token: root).status == 400)
        }
    }
}

/// Enough RFC 4180 to read the export back.
enum CSV {
    static func parse(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var cell = ""
        var quoted = false
        var characters = Array(text)[...]
        while let character = characters.popFirst() {
            if quoted {
                if character == "\"" {
                    if characters.first == "\"" { cell.append("\""); characters.removeFirst() } else { quoted = false }
                } else {
                    cell.append(character)
                }
            } else if character == "\"" {
                quoted = true
            } else if character == "," {
                row.append(cell)
                cell = ""
            } else if character == "\r\n" || character == "\n" {
                row.append(cell)
                rows.append(row)
                row = []
                cell = ""
            } else {
                cell.append(character)
            }
        }
        if !row.isEmpty || !cell.isEmpty { row.append(cell); rows.append(row) }
        return rows
    }

    /// Takes off the `'` the export puts before a cell a spreadsheet would run as a formula.
    static func unneutralized(_ cell: String) -> String {
        guard cell.hasPrefix("'"), let second = cell.dropFirst().first, "=+-@\t\r".contains(second) else { return cell }
        return String(cell.dropFirst())
    }
}

private extension String {
    func paddedTo12() -> String { String(repeating: "0", count: max(0, 12 - count)) + self }
}

import Foundation
import HTTPTypes
import SnackBaseAuth
import SnackBaseCore
import SnackBaseService
import SnackBaseStore
import SnackBaseTesting
import Synchronization
import Testing
@testable import SnackBaseAPI

/// Nobody can grow an audit chain at will (security-model.md §6, amended), registrations are rate
/// limited (identity.md), and an admin reads audit changes through their own field permissions.
@Suite("Audit: floods, limits and masked changes")
struct AuditFloodTests {
    static func metric(_ app: TestApp, _ line: String) async throws -> Int? {
        try await app.metric(line)
    }

    /// N in a summary's reason, `access.denied × N from …`.
    static func summarizedCount(_ reason: String) -> Int? {
        guard let times = reason.range(of: " × "), let from = reason.range(of: " from ") else { return nil }
        return Int(reason[times.upperBound..<from.lowerBound])
    }

    @Test("AUD-FLOOD-001 2,000 garbage-token requests leave the system chain one summary longer and are all counted")
    func garbageTokens() async throws {
        try await TestApp.run { app in
            let system = AccountID.system.rawValue
            let before = try await app.auditEntries(account: system).count
            for index in 0..<2_000 {
                let status = try await app.request(.get, "/api/v1/users", token: "garbage-\(index)").status
                if status != 401 { Issue.record("request \(index): \(status)") }
            }
            #expect(try await app.auditEntries(account: system, action: "access.denied").isEmpty)
            #expect(try await Self.metric(app, #"snackbase_authz_denials_total{reason="unauthenticated"}"#) == 2_000)
            await app.services.writeDenialSummaries(all: true)
            // One summary per minute the loop took (one, unless this machine is very slow), counting every request.
            let added = try await app.auditEntries(account: system).dropFirst(before)
            #expect(!added.isEmpty && added.count <= 3 && added.allSatisfy { $0.action == "access.denied_summary" }, "\(added.map(\.action))")
            let counted = added.compactMap { $0.reason.flatMap(Self.summarizedCount) }.reduce(0, +)
            #expect(counted == 2_000, "\(added.map { $0.reason ?? "nil" })")
            #expect(try await app.request(.get, "/api/v1/audit-logs/verify", token: try await app.superadminToken()).bool("valid") == true)
        }
    }

    @Test("AUD-FLOOD-002 a signed-in caller's repeated denials: ten entries a minute, the rest in one summary; every one counted")
    func repeatedForbidden() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("notes", fields: #"[{"name":"title","type":"text"}]"#, root: root)
            let acme = try await app.register("acme")
            let viewer = try await app.user("vic@acme.test", roles: ["viewer"], in: acme)
            for _ in 0..<25 {
                #expect(try await app.request(.post, "/api/v1/records/notes", json: #"{"title":"x"}"#, token: viewer.token).status == 403)
            }
            // Another action has a window of its own.
            #expect(try await app.request(.get, "/api/v1/users", token: viewer.token).status == 403)
            let denied = try await app.auditEntries(account: acme.accountID, action: "access.denied")
            #expect(denied.count == DenialLedger.entriesPerWindow)
            #expect(denied.allSatisfy { $0.actorID == viewer.id && $0.status == 403 })
            #expect(try await app.auditEntries(account: acme.accountID, action: "access.escalation").count == 1)
            #expect(try await Self.metric(app, #"snackbase_authz_denials_total{reason="forbidden"}"#) == 25)
            await app.services.writeDenialSummaries(all: true)
            let summary = try await app.onlyEntry("access.denied_summary", account: acme.accountID)
            #expect(summary.reason?.hasPrefix("access.denied × 15 from ") == true, "\(summary.reason ?? "nil")")
            #expect(try await app.request(.get, "/api/v1/audit-logs/verify", token: acme.token).bool("valid") == true)
        }
    }

    @Test("AUD-FLOOD-003 the ledger's windows: a new minute starts over and brings the last one's summary")
    func ledgerWindows() async {
        let ledger = DenialLedger()
        let key = DenialLedger.Key(account: .system, address: "192.0.2.1", action: "access.denied")
        let start = Date(timeIntervalSince1970: 1_000_000)
        var own = 0
        for second in 0..<30 {
            let (ownEntry, due) = await ledger.admit(key, mayHaveOwnEntry: true, now: start.addingTimeInterval(Double(second)))
            #expect(due.isEmpty)
            if ownEntry { own += 1 }
        }
        #expect(own == 10)
        // Summaries of open windows are not due yet.
        #expect(await ledger.takeSummaries(now: start.addingTimeInterval(59)).isEmpty)
        let (ownEntry, due) = await ledger.admit(key, mayHaveOwnEntry: true, now: start.addingTimeInterval(61))
        #expect(ownEntry)
        #expect(due == [DenialLedger.Summary(key: key, start: start, count: 20)])
        // A key that may never have an entry of its own is summarized from its first denial.
        let garbage = DenialLedger.Key(account: .system, address: "192.0.2.2", action: "access.denied")
        #expect(await ledger.admit(garbage, mayHaveOwnEntry: false, now: start).ownEntry == false)
        let swept = await ledger.takeSummaries(now: start.addingTimeInterval(300))
        #expect(swept.map(\.count) == [1, ], "the second window of `key` had no summarized denial")
        #expect(await ledger.takeSummaries(all: true).isEmpty)
    }

    @Test("RATE-REG-001 50 registrations from one address: the first 10 pass, the rest are 429 with Retry-After")
    func registrationLimit() async throws {
        try await TestApp.run(rateLimits: RateLimits()) { app in
            var statuses: [Int] = []
            for index in 0..<50 {
                let response = try await app.request(.post, "/api/v1/auth/register", json: """
                    {"account_name":"Shop \(index)","account_slug":"shop-\(index)","email":"a@shop\(index).test","password":"\(TestApp.password)"}
                    """)
                statuses.append(response.status)
                if response.status == 429 {
                    let wait = Int(response.headers[.retryAfter] ?? "") ?? 0
                    #expect(wait > 0 && wait <= 3600)
                }
            }
            #expect(statuses.prefix(10).allSatisfy { $0 == 201 })
            #expect(statuses.dropFirst(10).allSatisfy { $0 == 429 })
            #expect(try await Self.metric(app, "snackbase_rate_limit_hits_total") == 40)
        }
    }

    @Test("RATE-ID-001 the account-id generator gives up after a bounded number of draws; the API answers 503")
    func accountIDsExhausted() async throws {
        try await TestDatabase.with(.sqlite) { database in
            try await Migrator.migrate(database)
            try await database.transaction { db in try await SystemAccount.ensure(on: db) }
            let draws = Counter()
            await #expect(throws: AccountIDsExhausted.self) {
                try await database.transaction { db in
                    _ = try await AccountRepository.freshID(on: db) { draws.increment(); return .system }
                }
            }
            #expect(draws.value == AccountRepository.freshIDAttempts)
        }
        let failure = ErrorResponder.snackBaseError(for: AccountIDsExhausted())
        #expect(failure.status == 503)
    }

    @Test("AUD-MASK-001 an admin whose permission excludes salary reads [hidden] for it in the audit log; the superadmin reads the values; /verify holds")
    func maskedChanges() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("staff", fields: #"[{"name":"name","type":"text"},{"name":"salary","type":"number"}]"#, root: root)
            let acme = try await app.register("acme")
            // The admin role keeps `*`, but its own permission on staff excludes salary.
            #expect(try await app.request(.post, "/api/v1/permissions", json: #"{"role":"admin","collection":"staff","create":true,"read":true,"update":true,"excluded_fields":["salary"]}"#, token: acme.token).status == 201)
            let created = try await app.request(.post, "/api/v1/records/staff?account_id=\(acme.accountID)", json: #"{"name":"Ann","salary":91234}"#, token: root)
            let id = try #require(created.string("id"), "\(created.text)")
            #expect(try await app.request(.patch, "/api/v1/records/staff/\(id)?account_id=\(acme.accountID)", json: #"{"salary":95678,"name":"Ann B"}"#, token: root).status == 200)
            #expect(try await app.request(.get, "/api/v1/records/staff/\(id)", token: acme.token)["salary"] == nil)

            let asAdmin = try await app.request(.get, "/api/v1/audit-logs?collection=staff&action=record.*", token: acme.token)
            #expect(asAdmin.items.count == 2, "\(asAdmin.text)")
            for item in asAdmin.items {
                let changes = try #require(item["changes"] as? [String: [String: Any]])
                #expect(changes["salary"]?["old"] as? String == "[hidden]" && changes["salary"]?["new"] as? String == "[hidden]", "\(changes)")
                #expect(changes["name"]?["new"] is String && changes["name"]?["new"] as? String != "[hidden]")
            }
            #expect(!asAdmin.text.contains("91234") && !asAdmin.text.contains("95678"))
            let entryID = try #require(asAdmin.items.first?["id"] as? String)
            let one = try await app.request(.get, "/api/v1/audit-logs/\(entryID)", token: acme.token)
            #expect(one.status == 200 && one.text.contains("[hidden]") && !one.text.contains("95678") && !one.text.contains("91234"), "\(one.text)")
            for format in ["jsonl", "csv"] {
                let export = try await app.request(.get, "/api/v1/audit-logs/export?format=\(format)&collection=staff&action=record.*", token: acme.token).text
                #expect(export.contains("[hidden]") && !export.contains("91234") && !export.contains("95678"), "\(format): \(export)")
            }

            let asRoot = try await app.request(.get, "/api/v1/audit-logs?collection=staff&action=record.*&account_id=\(acme.accountID)", token: root)
            #expect(asRoot.text.contains("91234") && asRoot.text.contains("95678") && !asRoot.text.contains("[hidden]"), "\(asRoot.text)")
            #expect(try await app.request(.get, "/api/v1/audit-logs/verify", token: acme.token).bool("valid") == true)
            #expect(try await app.request(.get, "/api/v1/audit-logs/verify", token: root).bool("valid") == true)
        }
    }
}

/// A counter a synchronous closure can bump.
private final class Counter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

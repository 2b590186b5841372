import Foundation
import HTTPTypes
import SnackBaseCore
import SnackBaseService
import SnackBaseStore
import Testing

/// Denials (security-model.md §6): a 403, a cross-account attempt, an escalation attempt, and a 401 on
/// a protected route when a token was presented each write one entry in the caller's chain (up to
/// the per-minute limit that AuditFloodTests checks; unverifiable tokens and anonymous cross-account
/// attempts are only summarized).
@Suite("Audit: denials")
struct AuditDenialTests {
    struct Scenario: Sendable, CustomTestStringConvertible {
        let name: String
        /// Who calls: the viewer, or the tenant admin.
        let asAdmin: Bool
        let method: HTTPRequest.Method
        let path: String
        let json: String?
        let status: Int
        let action: String
        let message: String
        var testDescription: String { name }
    }

    static let scenarios: [Scenario] = [
        .init(name: "AUD-DN-001 missing permission is access.denied", asAdmin: false, method: .post, path: "/api/v1/records/notes",
              json: #"{"title":"x"}"#, status: 403, action: "access.denied", message: "You cannot create notes"),
        .init(name: "AUD-DN-002 naming another account is access.cross_account", asAdmin: true, method: .get, path: "/api/v1/users?account_id=ZZ9999",
              json: nil, status: 403, action: "access.cross_account", message: "You cannot access another account"),
        .init(name: "AUD-DN-003 account administration without admin is access.escalation", asAdmin: false, method: .get, path: "/api/v1/users",
              json: nil, status: 403, action: "access.escalation", message: "Only account admins can manage"),
        .init(name: "AUD-DN-004 superadmin routes are access.escalation", asAdmin: true, method: .post, path: "/api/v1/collections",
              json: #"{"name":"evil","schema":{"fields":[]}}"#, status: 403, action: "access.escalation", message: "Superadmin access required"),
        .init(name: "AUD-DN-005 reading the audit log without admin is access.escalation", asAdmin: false, method: .get, path: "/api/v1/audit-logs",
              json: nil, status: 403, action: "access.escalation", message: "Only account admins can manage"),
    ]

    @Test("each denial writes exactly one entry in the caller's chain", arguments: scenarios)
    func denial(_ scenario: Scenario) async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            let acme = try await app.register("acme")
            try await app.createCollection("notes", fields: #"[{"name":"title","type":"text"}]"#, root: root)
            let viewer = try await app.user("vic@acme.test", roles: ["viewer"], in: acme)
            let caller = scenario.asAdmin ? (id: acme.userID, token: acme.token) : viewer
            let before = try await app.auditEntries(account: acme.accountID).count
            let response = try await app.request(scenario.method, scenario.path, json: scenario.json, token: caller.token)
            #expect(response.status == scenario.status)
            let entries = try await app.auditEntries(account: acme.accountID)
            #expect(entries.count == before + 1)
            let entry = try #require(entries.last)
            #expect(entry.action == scenario.action)
            #expect(entry.outcome == "denied")
            #expect(entry.status == scenario.status)
            #expect(entry.actorID == caller.id)
            #expect(entry.reason?.hasPrefix(scenario.message) == true, "\(entry.reason ?? "nil")")
            #expect(entry.requestID == response.headers[HTTPField.Name("X-Request-ID")!])
        }
    }

    @Test("AUD-DN-006 changing one's own roles and deactivating oneself are escalation attempts")
    func selfEscalation() async throws {
        try await TestApp.run { app in
            let acme = try await app.register("acme")
            #expect(try await app.request(.patch, "/api/v1/users/\(acme.userID)", json: #"{"roles":["editor"]}"#, token: acme.token).status == 403)
            #expect(try await app.request(.delete, "/api/v1/users/\(acme.userID)", token: acme.token).status == 403)
            let entries = try await app.auditEntries(account: acme.accountID, action: "access.escalation")
            #expect(entries.map { $0.reason.map { String($0.prefix(25)) } } == ["You cannot change your ow", "You cannot deactivate you"])
            #expect(entries.allSatisfy { $0.recordID == acme.userID })
        }
    }

    @Test("AUD-DN-007 an unverifiable token on a protected route is counted and summarized, never an entry of its own; a bad login or a request without token is no denial")
    func unauthenticated() async throws {
        try await TestApp.run { app in
            _ = try await app.register("acme")
            let system = AccountID.system.rawValue
            #expect(try await app.request(.get, "/api/v1/users", token: "not-a-jwt").status == 401)
            #expect(try await app.auditEntries(action: "access.denied").isEmpty)
            // Without a token: a plain 401, not counted.
            #expect(try await app.request(.get, "/api/v1/users").status == 401)
            // A token presented to the login route: its own failure, not a denial.
            #expect(try await app.request(.post, "/api/v1/auth/login", json: #"{"account":"acme","email":"x@acme.test","password":"Nope-nope-123!"}"#, token: "junk").status == 401)
            await app.services.writeDenialSummaries(all: true)
            let summary = try await app.onlyEntry("access.denied_summary", account: system)
            #expect(summary.reason?.hasPrefix("access.denied × 1 from ") == true, "\(summary.reason ?? "nil")")
            #expect(summary.outcome == "denied" && summary.actorID == nil)
            #expect(try await app.auditEntries(action: "access.denied").isEmpty)
        }
    }

    @Test("AUD-DN-009 an anonymous caller naming another account is a 401, summarized in its account's chain, never an entry each")
    func anonymousCrossAccount() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("posts", fields: #"[{"name":"title","type":"text"}]"#, root: root)
            let acme = try await app.register("acme")
            let other = try await app.register("other")
            let anonymous: HTTPFields = [.init("X-Account")!: "acme"]
            for (method, path, json) in [(HTTPRequest.Method.get, "/api/v1/records/posts?account_id=\(other.accountID)", nil as String?),
                                         (.post, "/api/v1/records/posts", #"{"title":"x","account_id":"\#(other.accountID)"}"#)] {
                let response = try await app.request(method, path, json: json, headers: anonymous)
                #expect(response.status == 401 && response.string("message") == "You cannot access another account", "\(method) \(path): \(response.text)")
            }
            #expect(try await app.auditEntries(action: "access.cross_account").isEmpty)
            await app.services.writeDenialSummaries(all: true)
            let summary = try await app.onlyEntry("access.denied_summary", account: acme.accountID)
            #expect(summary.reason?.hasPrefix("access.cross_account × 2 from ") == true, "\(summary.reason ?? "nil")")
            #expect(try await app.auditEntries(account: other.accountID).allSatisfy { $0.action != "access.denied_summary" })
        }
    }

    @Test("ISO-BODY-001: a body account_id naming another account is refused and audited on every administration route")
    func bodyAccountOnAdministrationRoutes() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            let acme = try await app.register("acme")
            let other = try await app.register("other")
            let permission = try #require(try await app.request(.post, "/api/v1/permissions", json: #"{"role":"viewer","collection":"notes","read":true}"#, token: acme.token).string("id"))
            let roleID = try #require(try await app.request(.get, "/api/v1/roles", token: acme.token).items.first { $0["name"] as? String == "viewer" }?["id"] as? String)
            let foreign = other.accountID
            let attempts: [(HTTPRequest.Method, String, String)] = [
                (.post, "/api/v1/roles", #"{"name":"spy","account_id":"\#(foreign)"}"#),
                (.patch, "/api/v1/roles/\(roleID)", #"{"description":"x","account_id":"\#(foreign)"}"#),
                (.post, "/api/v1/permissions", #"{"role":"viewer","collection":"posts","read":true,"account_id":"\#(foreign)"}"#),
                (.patch, "/api/v1/permissions/\(permission)", #"{"read":false,"account_id":"\#(foreign)"}"#),
                (.put, "/api/v1/permissions/\(permission)", #"{"role":"viewer","collection":"notes","read":true,"account_id":"\#(foreign)"}"#),
                (.post, "/api/v1/permissions/check", #"{"user_id":"\#(acme.userID)","collection":"notes","operation":"read","account_id":"\#(foreign)"}"#),
                (.patch, "/api/v1/users/\(acme.userID)", #"{"account_id":"\#(foreign)"}"#),
            ]
            for (method, path, json) in attempts {
                let response = try await app.request(method, path, json: json, token: acme.token)
                #expect(response.status == 403 && response.string("message") == "You cannot access another account", "\(method) \(path): \(response.text)")
            }
            #expect(try await app.auditEntries(account: acme.accountID, action: "access.cross_account").count == attempts.count)
            #expect(try await app.request(.get, "/api/v1/roles", token: acme.token).items.allSatisfy { $0["name"] as? String != "spy" })
            // Naming one's own account is accepted and changes nothing.
            #expect(try await app.request(.post, "/api/v1/roles", json: #"{"name":"own","account_id":"\#(acme.accountID)"}"#, token: acme.token).status == 201)
            // The superadmin names the account it acts in, but only one.
            let created = try await app.request(.post, "/api/v1/roles", json: #"{"name":"made","account_id":"\#(foreign)"}"#, token: root)
            #expect(created.status == 201 && created.string("account_id") == foreign, "\(created.text)")
            let twoNames = try await app.request(.post, "/api/v1/roles?account_id=\(acme.accountID)", json: #"{"name":"both","account_id":"\#(foreign)"}"#, token: root)
            #expect(twoNames.status == 400, "\(twoNames.text)")
        }
    }

    @Test("AUD-DN-010 a token of a deactivated user is denied in its own account's chain, under its user")
    func refusedSignInIsDeniedInItsAccount() async throws {
        try await TestApp.run { app in
            let acme = try await app.register("acme")
            let bob = try await app.user("bob@acme.test", roles: ["viewer"], in: acme)
            #expect(try await app.request(.delete, "/api/v1/users/\(bob.id)", token: acme.token).status == 204)
            #expect(try await app.request(.get, "/api/v1/roles", token: bob.token).status == 401)
            let entry = try await app.onlyEntry("access.denied", account: acme.accountID)
            #expect(entry.actorID == bob.id && entry.status == 401, "\(entry)")
            #expect(try await app.auditEntries(account: AccountID.system.rawValue, action: "access.denied").isEmpty)
        }
    }

    @Test("AUD-DN-008 the cross-account gate's answer and entry")
    func messagesArePinned() async throws {
        // The classifier keys on error codes, not messages; this pins what a client reads.
        try await TestApp.run { app in
            let acme = try await app.register("acme")
            let response = try await app.request(.get, "/api/v1/roles?account_id=QQ0001", token: acme.token)
            #expect(response.string("message") == "You cannot access another account")
            #expect(try await app.onlyEntry("access.cross_account", account: acme.accountID).reason?.contains("GET /api/v1/roles") == true)
        }
    }
}

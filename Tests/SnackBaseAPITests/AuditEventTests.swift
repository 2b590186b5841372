import Foundation
import HTTPTypes
import SnackBaseCore
import SnackBaseStore
import Testing

/// Each event class of security-model.md §6 writes exactly one entry, in the right chain, with the right fields.
@Suite("Audit: one entry per event")
struct AuditEventTests {
    static let notes = #"[{"name":"title","type":"text","required":true,"unique":true},{"name":"views","type":"number"}]"#

    @Test("AUD-EV-001: registration writes account.create and user.create in the new account's chain")
    func registration() async throws {
        try await TestApp.run { app in
            let acme = try await app.register("acme")
            let entries = try await app.auditEntries(account: acme.accountID)
            #expect(entries.map(\.action) == ["account.create", "user.create"])
            #expect(entries.map(\.sequence) == [1, 2])
            #expect(entries[0].previousHash == AuditChain.genesis)
            #expect(entries[1].previousHash == entries[0].hash)
            #expect(entries.allSatisfy { $0.actorID == acme.userID && $0.actorEmail == acme.email && $0.outcome == "allowed" && $0.status == 201 })
            #expect(entries[0].change("slug")?.new as? String == "acme")
            #expect(entries[1].change("email")?.new as? String == acme.email)
            #expect(entries[1].recordID == acme.userID)
        }
    }

    @Test("AUD-EV-002: auth.login carries the actor, the request id, the address and the user agent")
    func login() async throws {
        try await TestApp.run { app in
            let acme = try await app.register("acme")
            var headers = HTTPFields()
            headers[.userAgent] = "audit-test/1.0"
            headers[HTTPField.Name("X-Request-ID")!] = "req-login-1"
            let response = try await app.request(.post, "/api/v1/auth/login", json: #"{"account":"acme","email":"\#(acme.email)","password":"\#(TestApp.password)"}"#, headers: headers)
            #expect(response.status == 200)
            let entry = try await app.onlyEntry("auth.login", account: acme.accountID)
            #expect(entry.actorID == acme.userID)
            #expect(entry.actorEmail == acme.email)
            #expect(entry.status == 200)
            #expect(entry.requestID == "req-login-1")
            #expect(entry.userAgent == "audit-test/1.0")
            #expect(entry.changes == "{}")
        }
    }

    @Test("AUD-EV-003: a failed login lands in the named account's chain, an unknown account's in the system chain, without the password")
    func loginFailed() async throws {
        try await TestApp.run { app in
            let acme = try await app.register("acme")
            #expect(try await app.login("acme", acme.email, password: "Wrong-password-123!").status == 401)
            let entry = try await app.onlyEntry("auth.login_failed", account: acme.accountID)
            #expect(entry.outcome == "denied")
            #expect(entry.status == 401)
            #expect(entry.actorID == acme.userID)
            #expect(entry.reason == "wrong password")

            #expect(try await app.login("nowhere", "who@nowhere.test", password: "Wrong-password-123!").status == 401)
            let system = try await app.onlyEntry("auth.login_failed", account: AccountID.system.rawValue)
            #expect(system.actorID == nil)
            #expect(system.actorEmail == "who@nowhere.test")
            #expect(system.reason == "unknown account nowhere")

            let everything = try await app.auditEntries()
            #expect(!everything.contains { [$0.reason, $0.changes, $0.actorEmail].contains { $0?.contains("Wrong-password") == true } })
        }
    }

    @Test("AUD-EV-004: refresh, refresh-token reuse and logout each write one entry")
    func sessions() async throws {
        try await TestApp.run { app in
            let acme = try await app.register("acme")
            let refreshed = try await app.request(.post, "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(acme.refreshToken)"}"#)
            #expect(refreshed.status == 200)
            let refresh = try await app.onlyEntry("auth.refresh", account: acme.accountID)
            #expect(refresh.actorID == acme.userID && refresh.outcome == "allowed")

            let reused = try await app.request(.post, "/api/v1/auth/refresh", json: #"{"refresh_token":"\#(acme.refreshToken)"}"#)
            #expect(reused.status == 401)
            let reuse = try await app.onlyEntry("auth.token_reuse", account: acme.accountID)
            #expect(reuse.actorID == acme.userID && reuse.outcome == "denied" && reuse.status == 401)

            let login = try await app.login("acme", acme.email)
            let token = try #require(login.string("token"))
            #expect(try await app.request(.post, "/api/v1/auth/logout", token: token).status == 204)
            let logout = try await app.onlyEntry("auth.logout", account: acme.accountID)
            #expect(logout.actorID == acme.userID && logout.status == 204)
            // Nothing in the log holds a token.
            let everything = try await app.auditEntries()
            #expect(!everything.contains { entry in entry.canonicalFields.contains { $0?.contains(acme.refreshToken) == true || $0?.contains(token) == true } })
        }
    }

    @Test("AUD-EV-005: user.create, user.update (password redacted, roles old/new) and user.deactivate")
    func users() async throws {
        try await TestApp.run { app in
            let acme = try await app.register("acme")
            let created = try await app.request(.post, "/api/v1/users", json: #"{"email":"bob@acme.test","password":"\#(TestApp.password)","roles":["viewer"]}"#, token: acme.token)
            let bob = try #require(created.string("id"))
            let create = try await app.auditEntries(account: acme.accountID, action: "user.create").filter { $0.recordID == bob }
            #expect(create.count == 1)
            #expect(create.first?.change("roles")?.new as? [String] == ["viewer"])
            #expect(create.first?.change("password") == nil)

            let patched = try await app.request(.patch, "/api/v1/users/\(bob)", json: #"{"roles":["editor"],"password":"Another-Secret-42!"}"#, token: acme.token)
            #expect(patched.status == 200)
            let update = try await app.onlyEntry("user.update", account: acme.accountID)
            #expect(update.recordID == bob && update.actorID == acme.userID)
            #expect(update.change("roles")?.old as? [String] == ["viewer"])
            #expect(update.change("roles")?.new as? [String] == ["editor"])
            #expect(update.change("password")?.new as? String == "[redacted]")
            #expect(update.change("email") == nil)

            #expect(try await app.request(.delete, "/api/v1/users/\(bob)", token: acme.token).status == 204)
            let deactivate = try await app.onlyEntry("user.deactivate", account: acme.accountID)
            #expect(deactivate.change("is_active")?.old as? Bool == true)
            #expect(deactivate.change("is_active")?.new as? Bool == false)

            let text = try await app.auditEntries().flatMap(\.canonicalFields).compactMap { $0 }.joined(separator: "\n")
            #expect(!text.contains("$argon2"))
            #expect(!text.contains("Another-Secret-42!"))
        }
    }

    @Test("AUD-EV-006: role.* and permission.* write one entry each with old and new values")
    func rolesAndPermissions() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            let acme = try await app.register("acme")
            try await app.createCollection("notes", fields: Self.notes, root: root)
            let role = try await app.role(#"{"name":"author","description":"writes","permissions":[{"collection":"notes","read":true}]}"#, in: acme)
            let roleID = try #require(role.string("id"))
            let create = try await app.onlyEntry("role.create", account: acme.accountID)
            #expect(create.recordID == roleID && create.change("name")?.new as? String == "author")
            #expect((create.change("permissions")?.new as? [[String: Any]])?.first?["collection"] as? String == "notes")

            #expect(try await app.request(.patch, "/api/v1/roles/\(roleID)", json: #"{"description":"writes notes"}"#, token: acme.token).status == 200)
            let update = try await app.onlyEntry("role.update", account: acme.accountID)
            #expect(update.change("description")?.old as? String == "writes")
            #expect(update.change("description")?.new as? String == "writes notes")
            #expect(update.change("name") == nil)

            let permission = try await app.request(.post, "/api/v1/permissions", json: #"{"role":"viewer","collection":"notes","read":true}"#, token: acme.token)
            let permissionID = try #require(permission.string("id"))
            let permissionCreate = try await app.onlyEntry("permission.create", account: acme.accountID)
            #expect(permissionCreate.recordID == permissionID && permissionCreate.collection == "notes")
            #expect(permissionCreate.change("read")?.new as? Bool == true)

            #expect(try await app.request(.patch, "/api/v1/permissions/\(permissionID)", json: #"{"create":true}"#, token: acme.token).status == 200)
            let permissionUpdate = try await app.onlyEntry("permission.update", account: acme.accountID)
            #expect(permissionUpdate.change("create")?.old as? Bool == false)
            #expect(permissionUpdate.change("create")?.new as? Bool == true)
            #expect(permissionUpdate.change("read") == nil)

            #expect(try await app.request(.delete, "/api/v1/permissions/\(permissionID)", token: acme.token).status == 204)
            _ = try await app.onlyEntry("permission.delete", account: acme.accountID)
            #expect(try await app.request(.delete, "/api/v1/roles/\(roleID)", token: acme.token).status == 204)
            let roleDelete = try await app.onlyEntry("role.delete", account: acme.accountID)
            #expect(roleDelete.change("name")?.old as? String == "author")
        }
    }

    @Test("AUD-EV-007: account.* land in the account's own chain, which outlives the account; collection.* in the system chain")
    func accountsAndCollections() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            let created = try await app.request(.post, "/api/v1/accounts", json: #"{"name":"Beta Corp","slug":"beta"}"#, token: root)
            let beta = try #require(created.string("id"))
            let create = try await app.onlyEntry("account.create", account: beta)
            #expect(create.actorEmail == "root@snackbase.test" && create.change("slug")?.new as? String == "beta")
            #expect(try await app.request(.patch, "/api/v1/accounts/\(beta)", json: #"{"name":"Beta Inc"}"#, token: root).status == 200)
            let update = try await app.onlyEntry("account.update", account: beta)
            #expect(update.change("name")?.old as? String == "Beta Corp" && update.change("name")?.new as? String == "Beta Inc")
            #expect(try await app.request(.delete, "/api/v1/accounts/\(beta)", token: root).status == 204)
            _ = try await app.onlyEntry("account.delete", account: beta)
            let listed = try await app.request(.get, "/api/v1/audit-logs?account_id=\(beta)", token: root)
            #expect(listed.status == 200 && listed.int("total") == 3)

            try await app.createCollection("notes", fields: Self.notes, root: root)
            let collectionCreate = try await app.onlyEntry("collection.create", account: AccountID.system.rawValue)
            #expect(collectionCreate.collection == "notes")
            #expect((collectionCreate.change("fields")?.new as? [Any])?.count == 2)
            #expect(try await app.request(.patch, "/api/v1/collections/notes", json: #"{"description":"Short notes"}"#, token: root).status == 200)
            let collectionUpdate = try await app.onlyEntry("collection.update", account: AccountID.system.rawValue)
            #expect(collectionUpdate.change("description")?.new as? String == "Short notes")
            #expect(collectionUpdate.change("fields") == nil)
            #expect(try await app.request(.delete, "/api/v1/collections/notes?confirm=true", token: root).status == 204)
            _ = try await app.onlyEntry("collection.delete", account: AccountID.system.rawValue)
        }
    }

    @Test("AUD-EV-008: record.create|update|delete with field-level old and new values of user fields only")
    func records() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            let acme = try await app.register("acme")
            try await app.createCollection("notes", fields: Self.notes, root: root)
            let created = try await app.request(.post, "/api/v1/records/notes", json: #"{"title":"first","views":1}"#, token: acme.token)
            #expect(created.status == 201)
            let id = try #require(created.string("id"))
            let create = try await app.onlyEntry("record.create", account: acme.accountID)
            #expect(create.collection == "notes" && create.recordID == id && create.actorID == acme.userID && create.status == 201)
            #expect(create.change("title")?.old == nil && create.change("title")?.new as? String == "first")
            #expect(create.change("views")?.new as? Int == 1)
            #expect(create.change("created_at") == nil && create.change("account_id") == nil)

            #expect(try await app.request(.patch, "/api/v1/records/notes/\(id)", json: #"{"views":2}"#, token: acme.token).status == 200)
            let update = try await app.onlyEntry("record.update", account: acme.accountID)
            #expect(update.change("views")?.old as? Int == 1 && update.change("views")?.new as? Int == 2)
            #expect(update.change("title") == nil)

            #expect(try await app.request(.delete, "/api/v1/records/notes/\(id)", token: acme.token).status == 204)
            let delete = try await app.onlyEntry("record.delete", account: acme.accountID)
            #expect(delete.change("title")?.old as? String == "first" && delete.change("title")?.new == nil)
            #expect(delete.status == 204)
        }
    }

    @Test("AUD-TX-001: a write that fails leaves no entry (unique conflicts on a record and a role)")
    func failedTransactions() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            let acme = try await app.register("acme")
            try await app.createCollection("notes", fields: Self.notes, root: root)
            #expect(try await app.request(.post, "/api/v1/records/notes", json: #"{"title":"same"}"#, token: acme.token).status == 201)
            let before = try await app.auditCount()
            #expect(try await app.request(.post, "/api/v1/records/notes", json: #"{"title":"same"}"#, token: acme.token).status == 409)
            #expect(try await app.request(.post, "/api/v1/roles", json: #"{"name":"viewer"}"#, token: acme.token).status == 409)
            #expect(try await app.auditCount() == before)
            #expect(try await app.auditEntries(account: acme.accountID, action: "record.create").count == 1)
        }
    }
}

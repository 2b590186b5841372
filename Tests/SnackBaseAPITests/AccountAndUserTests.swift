import HTTPTypes
import Foundation
import NIOCore
import SnackBaseCore
import SnackBaseService
import SnackBaseStore
import Synchronization
import Testing

@Suite("Accounts, users, and the cross-cutting contract")
struct AccountAndUserTests {
    @Test("health, liveness and readiness")
    func health() async throws {
        try await TestApp.run { app in
            let health = try await app.request(.get, "/health")
            #expect(health.status == 200 && health.string("status") == "ok")
            #expect(try await app.request(.get, "/live").status == 200)
            #expect(try await app.request(.get, "/ready").status == 200)
        }
    }

    @Test("every response carries X-Request-ID, echoing a valid one")
    func requestID() async throws {
        try await TestApp.run { app in
            let echoed = try await app.request(.get, "/health", headers: [.init("X-Request-ID")!: "abc-123"])
            #expect(echoed.headers[.init("X-Request-ID")!] == "abc-123")
            let replaced = try await app.request(.get, "/health", headers: [.init("X-Request-ID")!: "bad value <script>"])
            let fresh = try #require(replaced.headers[.init("X-Request-ID")!])
            #expect(fresh != "bad value <script>" && fresh.count == 32)
            let error = try await app.request(.get, "/no/such/route")
            #expect(error.status == 404 && error.headers[.init("X-Request-ID")!] != nil)
            #expect(error.string("error") == "Not Found")
        }
    }

    @Test("a body over 1 MiB is a 413")
    func bodyLimit() async throws {
        try await TestApp.run { app in
            let big = #"{"account_name":""# + String(repeating: "a", count: (1 << 20) + 10) + #""}"#
            let response = try await app.request(.post, "/api/v1/auth/register", json: big)
            #expect(response.status == 413)
            #expect(response.string("error") == "Payload Too Large")
        }
    }

    @Test("accounts are for the superadmin only")
    func accountsSuperadminOnly() async throws {
        try await TestApp.run { app in
            let tenant = try await app.register("acme")
            #expect(try await app.request(.get, "/api/v1/accounts", token: tenant.token).status == 403)
            #expect(try await app.request(.get, "/api/v1/accounts").status == 401)
            let root = try await app.superadminToken()
            let me = try await app.request(.get, "/api/v1/auth/me", token: root)
            #expect(me.bool("is_superadmin") == true && me.string("account_id") == "SY0000")

            let list = try await app.request(.get, "/api/v1/accounts?limit=10", token: root)
            #expect(list.status == 200 && list.int("total") == 2 && list.int("limit") == 10)
            let created = try await app.request(.post, "/api/v1/accounts", json: #"{"name":"Globex"}"#, token: root)
            #expect(created.status == 201 && created.string("slug") == "globex")
            let id = try #require(created.string("id"))
            #expect(try await app.request(.post, "/api/v1/accounts", json: #"{"name":"Globex"}"#, token: root).status == 409)
            #expect(try await app.request(.patch, "/api/v1/accounts/\(id)", json: #"{"name":"Globex 2"}"#, token: root).string("name") == "Globex 2")
            #expect(try await app.request(.get, "/api/v1/accounts/\(id)", token: root).status == 200)
            #expect(try await app.request(.delete, "/api/v1/accounts/\(id)", token: root).status == 204)
            #expect(try await app.request(.get, "/api/v1/accounts/\(id)", token: root).status == 404)
            #expect(try await app.request(.delete, "/api/v1/accounts/SY0000", token: root).status == 403)
            #expect(try await app.request(.get, "/api/v1/accounts?limit=101", token: root).status == 400)
            // Deleting an account deletes its users: their tokens stop working.
            #expect(try await app.request(.delete, "/api/v1/accounts/\(tenant.accountID)", token: root).status == 204)
            #expect(try await app.request(.get, "/api/v1/auth/me", token: tenant.token).status == 401)
        }
    }

    @Test("ISO-ID-001: a deleted account's id is never given again (its audit chain outlives it)")
    func deletedAccountIDsAreRetired() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            let gone = try await app.register("gone")
            let kept = try await app.register("kept")
            #expect(try await app.request(.delete, "/api/v1/accounts/\(gone.accountID)", token: root).status == 204)
            let retired = try #require(AccountID(gone.accountID))
            let inUse = try #require(AccountID(kept.accountID))
            let fresh = try #require(AccountID("ZQ0001"))
            // Drawn in this order: the system's id, the deleted one, one in use, then a new one.
            let draws = Mutex([AccountID.system, retired, inUse, fresh])
            let chosen = try await app.services.database.transaction { db in
                try await AccountRepository.freshID(on: db) { draws.withLock { $0.removeFirst() } }
            }
            #expect(chosen == fresh)
        }
    }

    @Test("an admin manages users; deactivation stops tokens at once")
    func usersLifecycle() async throws {
        try await TestApp.run { app in
            let tenant = try await app.register("acme")
            let created = try await app.request(.post, "/api/v1/users", json: """
                {"email": "bob@acme.test", "password": "\(TestApp.password)", "roles": ["editor"]}
                """, token: tenant.token)
            #expect(created.status == 201)
            #expect(created.array("roles") as? [String] == ["editor"])
            #expect(!String(decoding: created.data, as: UTF8.self).contains("hash"))
            let bobID = try #require(created.string("id"))
            #expect(try await app.request(.post, "/api/v1/users", json: """
                {"email": "BOB@acme.test", "password": "\(TestApp.password)"}
                """, token: tenant.token).status == 409)

            let bob = try await app.login("acme", "bob@acme.test")
            let bobToken = try #require(bob.string("token"))
            // Bob is no admin: he cannot manage users.
            #expect(try await app.request(.get, "/api/v1/users", token: bobToken).status == 403)

            let list = try await app.request(.get, "/api/v1/users", token: tenant.token)
            #expect(list.int("total") == 2)
            // A role change applies to the next request: roles are never trusted from the token.
            let patched = try await app.request(.patch, "/api/v1/users/\(bobID)", json: #"{"roles":["viewer","editor"]}"#, token: tenant.token)
            #expect(patched.array("roles") as? [String] == ["editor", "viewer"])
            #expect(try await app.request(.get, "/api/v1/auth/me", token: bobToken).array("roles") as? [String] == ["editor", "viewer"])

            #expect(try await app.request(.delete, "/api/v1/users/\(bobID)", token: tenant.token).status == 204)
            #expect(try await app.request(.get, "/api/v1/auth/me", token: bobToken).status == 401)
            #expect(try await app.login("acme", "bob@acme.test").status == 401)
            #expect(try await app.request(.get, "/api/v1/users/\(bobID)", token: tenant.token).bool("is_active") == false)
        }
    }

    @Test("ESC-001: nobody changes their own roles, grants an unknown role, or deactivates themselves")
    func escalation() async throws {
        try await TestApp.run { app in
            let tenant = try await app.register("acme")
            let own = try await app.request(.patch, "/api/v1/users/\(tenant.userID)", json: #"{"roles":["admin","editor"]}"#, token: tenant.token)
            #expect(own.status == 403)
            #expect(try await app.request(.delete, "/api/v1/users/\(tenant.userID)", token: tenant.token).status == 403)
            let unknown = try await app.request(.post, "/api/v1/users", json: """
                {"email": "eve@acme.test", "password": "\(TestApp.password)", "roles": ["superadmin"]}
                """, token: tenant.token)
            #expect(unknown.status == 422)
        }
    }

    @Test("ISO-XA-010: user routes never reach another account")
    func usersIsolation() async throws {
        try await TestApp.run { app in
            let acme = try await app.register("acme")
            let globex = try await app.register("globex")
            // A foreign id is indistinguishable from a missing one.
            for method in [HTTPRequest.Method.get, .patch, .delete] {
                let response = try await app.request(method, "/api/v1/users/\(globex.userID)", json: method == .patch ? #"{"is_active":false}"# : nil, token: acme.token)
                #expect(response.status == 404, "\(method)")
            }
            // Naming another account is a 403; naming one's own is accepted.
            #expect(try await app.request(.get, "/api/v1/users?account_id=\(globex.accountID)", token: acme.token).status == 403)
            #expect(try await app.request(.get, "/api/v1/users?account_id=\(acme.accountID)", token: acme.token).status == 200)
            #expect(try await app.request(.post, "/api/v1/users", json: """
                {"email": "mole@acme.test", "password": "\(TestApp.password)", "account_id": "\(globex.accountID)"}
                """, token: acme.token).status == 403)
            // Roles of another account cannot be granted: names resolve in the caller's account only.
            #expect(try await app.request(.get, "/api/v1/auth/me", token: globex.token).string("account_id") == globex.accountID)
            // The superadmin may name any account.
            let root = try await app.superadminToken()
            let theirs = try await app.request(.get, "/api/v1/users?account_id=\(globex.accountID)", token: root)
            #expect(theirs.status == 200 && theirs.int("total") == 1)
            #expect(try await app.request(.post, "/api/v1/users", json: """
                {"email": "root2@x.test", "password": "\(TestApp.password)", "account_id": "SY0000"}
                """, token: root).status == 403)
        }
    }
}

import Argon2
import Foundation
import HTTPTypes
import SQLKit
import SnackBaseCore
import SnackBaseService
import SnackBaseStore
import SnackBaseTesting
import Testing

/// `POST /api/v1/users/import` (operations.md: "Import of a Python SnackBase user table: its Argon2id
/// hashes are accepted as they are"), over HTTP as clients call it, on each test database.
@Suite("User import")
struct UserImportTests {
    static func phc(memoryKiB: UInt32, iterations: UInt32, parallelism: UInt32) -> String {
        PHCString(parameters: Argon2Parameters(memoryKiB: memoryKiB, iterations: iterations, parallelism: parallelism),
                  salt: Array(repeating: 7, count: 16), hash: Array(repeating: 9, count: 32)).encoded
    }

    @Test("USR-IMP-001: imported users sign in with their old password; a weaker hash is replaced at that login; no hash is answered or audited")
    func importAndSignIn() async throws {
        try await TestApp.run { app in
            let acme = try await app.register("acme")
            // A hash made elsewhere, weaker than this server's (tiny) test parameters.
            let old = try PasswordHasher(parameters: Argon2Parameters(memoryKiB: 32, iterations: 1, parallelism: 1)).hash("Imported-Pass-1")
            // The Python SnackBase's own cost is accepted even where this server hashes more cheaply.
            let python = Self.phc(memoryKiB: 65_536, iterations: 3, parallelism: 4)
            let body = """
                {"id":"7f3c","account_id":"py-account","email":"Old.User@Acme.test","password_hash":"\(old)","role":"editor","is_active":true,"created_at":"2025-01-01T00:00:00Z"}
                {"email":"second@acme.test","hashed_password":"\(python)","roles":["viewer"],"email_verified":true}
                {"email":"inactive@acme.test","password_hash":"\(old)","is_active":false}
                """
            let result = try await app.request(.post, "/api/v1/users/import", body: Data(body.utf8), contentType: "application/x-ndjson", token: acme.token)
            #expect(result.status == 200, "\(result.text)")
            #expect(result.int("created") == 3 && result.array("failed")?.isEmpty == true, "\(result.text)")

            let login = try await app.login("acme", "old.user@acme.test", password: "Imported-Pass-1")
            #expect(login.status == 200, "\(login.text)")
            #expect(try await app.login("acme", "old.user@acme.test", password: "Wrong-Pass-1").status == 401)
            #expect(try await app.login("acme", "inactive@acme.test", password: "Imported-Pass-1").status == 401)
            let users = try await app.request(.get, "/api/v1/users", token: acme.token)
            let imported = users.items.first { $0["email"] as? String == "old.user@acme.test" }
            #expect(imported?["roles"] as? [String] == ["editor"], "\(users.text)")
            #expect(imported?["id"] as? String != "7f3c")
            #expect(!users.text.contains("argon2"))
            // The weaker hash was replaced by one with this server's parameters at the login.
            // Read in the account's scope: on PostgreSQL, row-level security shows no user row outside it.
            let scope = AccountScope(try #require(AccountID(acme.accountID)))
            let stored = try await app.services.database.read { db in
                try await UserRepository.find(email: "old.user@acme.test", in: scope, on: db)?.passwordHash
            }
            #expect(stored != old && stored?.contains("m=64,t=1,p=1") == true)
            #expect(try await app.login("acme", "old.user@acme.test", password: "Imported-Pass-1").status == 200)

            let audit = try await app.request(.get, "/api/v1/audit-logs?action=user.create", token: acme.token)
            #expect(audit.int("total") == 4, "\(audit.text)")
            #expect(!audit.text.contains("argon2") && !audit.text.contains(python.suffix(20)))
        }
    }

    @Test("USR-IMP-002: each bad line is refused with its line and field; only an account admin imports")
    func refusals() async throws {
        try await TestApp.run { app in
            let acme = try await app.register("acme")
            let good = Self.phc(memoryKiB: 64, iterations: 1, parallelism: 1)
            let tooCostly = Self.phc(memoryKiB: 131_072, iterations: 3, parallelism: 4)
            let body = """
                {"email":"not-an-email","password_hash":"\(good)"}
                {"email":"nohash@acme.test"}
                {"email":"bcrypt@acme.test","password_hash":"$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"}
                {"email":"costly@acme.test","password_hash":"\(tooCostly)"}
                {"email":"norole@acme.test","password_hash":"\(good)","roles":["no_such_role"]}
                {"email":"admin@acme.test","password_hash":"\(good)"}
                ["not", "an", "object"]
                {"email":"fine@acme.test","password_hash":"\(good)","is_active":"yes"}
                {"email":"fine@acme.test","password_hash":"\(good)"}
                """
            let result = try await app.request(.post, "/api/v1/users/import?format=jsonl", body: Data(body.utf8), token: acme.token)
            #expect(result.status == 200, "\(result.text)")
            #expect(result.int("created") == 1, "\(result.text)")
            #expect(RecordTransferTests.failures(result) == [1: 422, 2: 422, 3: 422, 4: 422, 5: 422, 6: 409, 7: 422, 8: 422], "\(result.text)")
            #expect(result.text.contains("unsupported algorithm") && result.text.contains("memory cost m=131072 is above 65536 KiB"), "\(result.text)")
            #expect(!result.text.contains("R9h/cIPz0gi"), "a refused hash must not be echoed")

            let viewer = try await app.user("viewer@acme.test", roles: ["viewer"], in: acme)
            let line = Data(#"{"email":"x@acme.test","password_hash":"\#(good)"}"#.utf8)
            #expect(try await app.request(.post, "/api/v1/users/import", body: line, contentType: "application/x-ndjson", token: viewer.token).status == 403)
            #expect(try await app.request(.post, "/api/v1/users/import", body: line, contentType: "application/x-ndjson").status == 401)
            let root = try await app.superadminToken()
            #expect(try await app.request(.post, "/api/v1/users/import", body: line, contentType: "application/x-ndjson", token: root).status == 403,
                    "the superadmin imports into an account named with account_id, never into the system account")
            let named = try await app.request(.post, "/api/v1/users/import?account_id=\(acme.accountID)", body: line, contentType: "application/x-ndjson", token: root)
            #expect(named.int("created") == 1, "\(named.text)")
        }
    }
}

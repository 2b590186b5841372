import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import NIOFoundationCompat
import SQLKit
import SnackBaseService
import SnackBaseStore
import SnackBaseTesting
import Testing
/// `GET /accounts/{id}/export` (operations.md): the tenant's archive, on each test database.
@Suite("Account archive")
struct AccountArchiveTests {
    @Test("XFER-020: the archive's manifest counts and digests match its members; no password hash, seed or key digest in its bytes")
    func archive() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("items", fields: #"[{"name":"title","type":"text"}]"#, root: root)
            let acme = try await app.register("acme")
            let globex = try await app.register("globex")
            let bob = try await app.user("bob@acme.test", roles: ["viewer"], in: acme)
            for index in 0..<3 { _ = try await app.request(.post, "/api/v1/records/items", json: #"{"title":"acme-\#(index)"}"#, token: acme.token) }
            _ = try await app.request(.post, "/api/v1/records/items", json: #"{"title":"globex-only"}"#, token: globex.token)
            let key = try await APIKeyTests.createKey(app, acme, roles: ["viewer"])
            let secretKey = try #require(key.string("key"))
            let enrol = try await app.request(.post, "/api/v1/auth/mfa/totp", token: acme.token)
            let seed = try #require(enrol.string("secret"), "\(enrol.text)")
            let recovery = enrol.array("recovery_codes") as? [String] ?? []

            // Who may export: the superadmin, an admin of the account; not a viewer, not another account's admin.
            #expect(try await app.request(.get, "/api/v1/accounts/\(acme.accountID)/export", token: bob.token).status == 403)
            #expect(try await app.request(.get, "/api/v1/accounts/\(acme.accountID)/export", token: globex.token).status == 403)
            #expect(try await app.request(.get, "/api/v1/accounts/ZZ9999/export", token: root).status == 404)
            let own = try await app.request(.get, "/api/v1/accounts/\(acme.accountID)/export", token: acme.token)
            #expect(own.status == 200 && own.headers[.contentType] == "application/x-tar")
            let archive = try await app.request(.get, "/api/v1/accounts/\(acme.accountID)/export", token: root)
            #expect(archive.status == 200)

            for response in [own, archive] {
                let members = try Self.untar(response.data)
                let manifestData = try #require(members["manifest.json"])
                let manifest = try #require(try JSONSerialization.jsonObject(with: manifestData) as? [String: Any])
                #expect(manifest["account_id"] as? String == acme.accountID)
                let listed = try #require(manifest["members"] as? [[String: Any]])
                #expect(Set(listed.compactMap { $0["name"] as? String }) == Set(members.keys).subtracting(["manifest.json"]))
                for entry in listed {
                    let name = try #require(entry["name"] as? String)
                    let data = try #require(members[name])
                    let digest = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
                    #expect(entry["sha256"] as? String == digest, "\(name)")
                    #expect(entry["bytes"] as? Int == data.count, "\(name)")
                    let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
                    #expect(entry["count"] as? Int == lines.count, "\(name)")
                }
                #expect(String(decoding: members["users.jsonl"] ?? Data(), as: UTF8.self).split(separator: "\n").count == 2)
                let items = String(decoding: members["records/items.jsonl"] ?? Data(), as: UTF8.self)
                #expect(items.split(separator: "\n").count == 3 && !items.contains("globex"))
                #expect(String(decoding: members["audit.jsonl"] ?? Data(), as: UTF8.self).contains("record.create"))

                // No secret anywhere in the bytes.
                let bytes = String(decoding: response.data, as: UTF8.self)
                let secrets = try await Self.storedSecrets(app, account: acme.accountID)
                #expect(!secrets.isEmpty)
                for secret in secrets + [secretKey, seed, TestApp.password] + recovery {
                    #expect(!bytes.contains(secret), "a secret is in the archive")
                }
                #expect(!bytes.contains("$argon2id$"))
            }
        }
    }

    /// The account's password hashes and API key digests, as stored.
    static func storedSecrets(_ app: TestApp, account: String) async throws -> [String] {
        try await app.services.database.read { db in
            try await RowSecurity.bypassing(.tamperingForTests, on: db) { db in
                var found: [String] = []
                for row in try await db.raw("SELECT password_hash FROM users WHERE account_id = \(bind: account)").all() {
                    found.append(try row.decode(column: "password_hash", as: String.self))
                }
                for row in try await db.raw("SELECT digest FROM api_keys WHERE account_id = \(bind: account)").all() {
                    found.append(try row.decode(column: "digest", as: String.self))
                }
                return found
            }
        }
    }

    /// The members of a ustar archive by name (regular files), checking each header's checksum.
    static func untar(_ data: Data) throws -> [String: Data] {
        let bytes = [UInt8](data)
        var members: [String: Data] = [:]
        var offset = 0
        while offset + 512 <= bytes.count {
            let header = Array(bytes[offset..<offset + 512])
            if header.allSatisfy({ $0 == 0 }) { break }
            func field(_ start: Int, _ width: Int) -> String {
                String(decoding: header[start..<start + width].prefix { $0 != 0 }, as: UTF8.self)
            }
            let name = field(0, 100)
            guard let size = Int(field(124, 12).trimmingCharacters(in: .whitespaces), radix: 8),
                  let checksum = Int(field(148, 8).trimmingCharacters(in: .whitespaces), radix: 8)
            else { throw TestFailure("bad tar header at \(offset)") }
            var blanked = header
            for index in 148..<156 { blanked[index] = UInt8(ascii: " ") }
            guard blanked.reduce(0, { $0 + Int($1) }) == checksum, field(257, 6) == "ustar" else { throw TestFailure("bad checksum of \(name)") }
            members[name] = Data(bytes[offset + 512..<offset + 512 + size])
            offset += 512 + (size + 511) / 512 * 512
        }
        return members
    }
}

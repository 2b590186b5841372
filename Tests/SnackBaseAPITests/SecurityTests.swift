import Foundation
import HTTPTypes
import Logging
import SnackBaseCore
import SnackBaseService
import Synchronization
import Testing
import SnackBaseStore

/// Threat-named tests of account isolation (security-model.md §2): a two-account matrix over every
/// record route, and the guarantee that no user value ever enters SQL text.
@Suite("Security: account isolation and injection")
struct SecurityTests {
    static let fields = #"[{"name":"title","type":"text"},{"name":"secret","type":"text"},{"name":"owner_ref","type":"reference","options":{"collection":"posts"}}]"#

    @Test("ISO-XA-001..006: no record route reads, changes or counts another account's rows")
    func crossAccountMatrix() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("posts", fields: Self.fields, root: root)
            let acme = try await app.register("acme")
            let globex = try await app.register("globex")
            let theirs = try await app.request(.post, "/api/v1/posts", json: #"{"title":"globex only","secret":"g-secret"}"#, token: globex.token)
            let theirID = try #require(theirs.string("id"))
            let mine = try await app.request(.post, "/api/v1/posts", json: #"{"title":"acme only"}"#, token: acme.token)
            let myID = try #require(mine.string("id"))

            for base in ["/api/v1/records/posts", "/api/v1/posts"] {
                // ISO-XA-001: a foreign id is indistinguishable from a missing one, for every verb.
                #expect(try await app.request(.get, "\(base)/\(theirID)", token: acme.token).status == 404)
                #expect(try await app.request(.patch, "\(base)/\(theirID)", json: #"{"title":"pwned"}"#, token: acme.token).status == 404)
                #expect(try await app.request(.put, "\(base)/\(theirID)", json: #"{"title":"pwned"}"#, token: acme.token).status == 404)
                #expect(try await app.request(.delete, "\(base)/\(theirID)", token: acme.token).status == 404)
                // ISO-XA-002: lists never contain foreign rows, whatever the filter says.
                for query in ["", "?filter=" + "account_id == '\(globex.accountID)'".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!,
                              "?account_id=\(acme.accountID)", "?title=globex%20only", "?limit=100&sort=title"] {
                    let list = try await app.request(.get, base + query, token: acme.token)
                    #expect(list.status == 200, "\(query)")
                    #expect(!list.text.contains("globex only") && !list.text.contains(globex.accountID), "\(query)")
                }
                // ISO-XA-003: naming another account in the query is a 403.
                for method in [HTTPRequest.Method.get, .post] {
                    let response = try await app.request(method, "\(base)?account_id=\(globex.accountID)", json: method == .post ? #"{"title":"x"}"# : nil, token: acme.token)
                    #expect(response.status == 403, "\(method)")
                }
                #expect(try await app.request(.get, "\(base)/\(myID)?account_id=\(globex.accountID)", token: acme.token).status == 403)
                // ISO-XA-004: a foreign account_id in the body is a 403; our own is accepted and ignored.
                #expect(try await app.request(.post, base, json: #"{"title":"x","account_id":"\#(globex.accountID)"}"#, token: acme.token).status == 403)
                #expect(try await app.request(.patch, "\(base)/\(myID)", json: #"{"account_id":"\#(globex.accountID)"}"#, token: acme.token).status == 403)
                let own = try await app.request(.post, base, json: #"{"title":"y","account_id":"\#(acme.accountID)","id":"rec_chosen","created_by":"usr_forged"}"#, token: acme.token)
                #expect(own.status == 201 && own.string("account_id") == acme.accountID)
                #expect(own.string("id") != "rec_chosen" && own.string("created_by") == acme.userID, "system fields are set by the server")
                // ISO-XA-005: a reference may not point into another account.
                #expect(try await app.request(.post, base, json: #"{"title":"r","owner_ref":"\#(theirID)"}"#, token: acme.token).status == 422)
            }
            // ISO-XA-006: the other account's data is untouched.
            let after = try await app.request(.get, "/api/v1/posts/\(theirID)", token: globex.token)
            #expect(after.string("title") == "globex only" && after.string("secret") == "g-secret")
            #expect(try await app.request(.get, "/api/v1/posts", token: globex.token).int("total") == 1)
            // The superadmin may name any account.
            let bySuperadmin = try await app.request(.get, "/api/v1/posts?account_id=\(globex.accountID)", token: root)
            #expect(bySuperadmin.status == 200 && bySuperadmin.int("total") == 1)
        }
    }

    @Test("INJ-001: no SQL text ever contains a user-supplied value")
    func noValueInSQL() async throws {
        let capture = SQLCapture()
        try await TestApp.run(logger: capture.logger) { app in
            let before = capture.statements.count
            defer {
                // Every database's own statements must be seen, not only those of the other one.
                #expect(capture.statements.count - before > 20, "the capture must see the \(app.services.database.kind) queries")
            }
            let root = try await app.superadminToken()
            try await app.createCollection("posts", fields: #"[{"name":"title","type":"text"},{"name":"views","type":"number"}]"#, root: root)
            let acme = try await app.register("acme")
            let marker = "zqx'; DROP TABLE users; --"
            let encoded = { (text: String) in text.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! }
            let created = try await app.request(.post, "/api/v1/posts", json: #"{"title":"zqxtitle \" ' ; --","views":987654}"#, token: acme.token)
            #expect(created.status == 201)
            let id = try #require(created.string("id"))
            _ = try await app.request(.patch, "/api/v1/posts/\(id)", json: #"{"title":"zqxpatched"}"#, token: acme.token)
            _ = try await app.request(.get, "/api/v1/posts?filter=" + encoded("title == \"\(marker)\" or views > 987653 or @contains(title, 'zqxneedle')"), token: acme.token)
            _ = try await app.request(.get, "/api/v1/posts?title=" + encoded(marker), token: acme.token)
            _ = try await app.request(.get, "/api/v1/posts?sort=" + encoded("title;DROP"), token: acme.token)
            _ = try await app.request(.get, "/api/v1/posts/" + encoded("zqxid' OR '1'='1"), token: acme.token)
            _ = try await app.login("acme", "zqxmail@acme.test", password: "zqx-Password-1")
        }
        let statements = capture.statements
        #expect(statements.count > 20, "the capture must see the queries")
        #expect(statements.contains { $0.contains("col_posts") })
        for statement in statements {
            #expect(!statement.contains("zqx"), "a user value reached SQL text: \(statement)")
            #expect(!statement.contains("987654") && !statement.contains("987653"), "\(statement)")
        }
    }
}

/// Records the SQL text of every statement the database drivers log.
final class SQLCapture: Sendable {
    private let box = Mutex<[String]>([])

    var statements: [String] { box.withLock { $0 } }

    func append(_ sql: String) { box.withLock { $0.append(sql) } }

    var logger: Logger {
        var logger = Logger(label: "sql-capture") { _ in CaptureHandler(capture: self) }
        logger.logLevel = .trace
        return logger
    }

    struct CaptureHandler: LogHandler {
        let capture: SQLCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            if case .string(let sql)? = event.metadata?["sql"] { capture.append(sql) }
        }
    }
}

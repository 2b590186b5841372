import Foundation
import HTTPTypes
import Hummingbird
@testable import SnackBaseAPI
import SnackBaseConsole
import Testing

/// The admin console's files (console.md "The admin console") and `POST /api/v1/rules/check`.
@Suite("Console")
struct ConsoleTests {
    static let posts = #"[{"name":"title","type":"text"},{"name":"status","type":"text","default":"draft"}]"#

    /// The package's root folder, from this file's path.
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("CON-001: GET / redirects to /_/, which is the console's page with the security headers")
    func indexAndHeaders() async throws {
        try await TestApp.run { app in
            let root = try await app.request(.get, "/")
            #expect(root.status == 302)
            #expect(root.headers[.location] == "/_/")
            let bare = try await app.request(.get, "/_")
            #expect(bare.status == 302 && bare.headers[.location] == "/_/", "\(bare.status)")
            let page = try await app.request(.get, "/_/")
            #expect(page.status == 200)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.text.contains("<script type=\"module\" src=\"/_/app.js\"></script>"), "\(page.text)")
            let csp = page.headers[.contentSecurityPolicy] ?? ""
            #expect(csp.contains("default-src 'self'") && csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "\(csp)")
            #expect(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "\(csp)")
            #expect(page.headers[.xContentTypeOptions] == "nosniff")
            #expect(page.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
            #expect(page.headers[.cacheControl] == "no-cache")
            // A page address of the console answers the same page; a missing file is the API's 404.
            #expect(try await app.request(.get, "/_/records/posts").text == page.text)
            let missing = try await app.request(.get, "/_/nope.js")
            #expect(missing.status == 404)
            #expect(missing.string("message") != nil)
        }
    }

    @Test("CON-002: every file has its type and an ETag; If-None-Match with it is a 304 without a body")
    func etags() async throws {
        try await TestApp.run { app in
            for (path, file) in ConsoleFiles.all {
                let response = try await app.request(.get, "/_/\(path)")
                #expect(response.status == 200, "\(path)")
                #expect(response.headers[.contentType] == file.contentType, "\(path)")
                #expect(Array(response.data) == file.bytes, "\(path)")
                let etag = try #require(response.headers[.eTag])
                #expect(etag.hasPrefix("\"") && etag.count == 18, "\(etag)")
                let again = try await app.request(.get, "/_/\(path)", headers: [.ifNoneMatch: etag])
                #expect(again.status == 304, "\(path)")
                #expect(again.data.isEmpty)
                #expect(again.headers[.eTag] == etag)
                let other = try await app.request(.get, "/_/\(path)", headers: [.ifNoneMatch: "\"0000000000000000\""])
                #expect(other.status == 200, "\(path)")
            }
            #expect(try await app.request(.get, "/_/app.js").headers[.contentType] == "text/javascript; charset=utf-8")
            #expect(try await app.request(.get, "/_/console.css").headers[.contentType] == "text/css; charset=utf-8")
        }
    }

    @Test("CON-003: /_/sdk/snackbase.js is clients/js/snackbase.js, byte for byte")
    func sdkIsTheClient() async throws {
        let client = try Data(contentsOf: Self.packageRoot.appendingPathComponent("clients/js/snackbase.js"))
        #expect(client.count > 1000)
        try await TestApp.run { app in
            let served = try await app.request(.get, "/_/sdk/snackbase.js")
            #expect(served.status == 200)
            #expect(served.data == client, "the served client differs from clients/js/snackbase.js: rebuild")
        }
    }

    @Test("CON-004: every file in Sources/SnackBaseConsole/Files is served, and nothing else")
    func everyFileIsListed() throws {
        let folder = Self.packageRoot.appendingPathComponent("Sources/SnackBaseConsole/Files")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { !$0.hasPrefix(".") }
        let served = Set(ConsoleFiles.all.keys.map { $0 == "sdk/snackbase.js" ? "snackbase.js" : $0 })
        #expect(Set(names) == served)
    }

    @Test("CON-005: the console's modules use no inline script, no eval and no innerHTML")
    func noInlineScript() throws {
        for (path, file) in ConsoleFiles.all where path != "sdk/snackbase.js" {
            let text = String(decoding: file.bytes, as: UTF8.self)
            for banned in ["innerHTML", "outerHTML", "insertAdjacentHTML", "eval(", "new Function", "document.write", "localStorage", "onclick=", "style="] {
                #expect(!text.contains(banned), "\(path) contains \(banned)")
            }
            if path.hasSuffix(".html") {
                #expect(!text.contains("<script>"), "an inline script in \(path)")
            }
        }
    }

    @Test("CON-006: the API's answers are unchanged: JSON 404 elsewhere, and no console headers on the API")
    func apiUnchanged() async throws {
        try await TestApp.run { app in
            let health = try await app.request(.get, "/health")
            #expect(health.status == 200)
            #expect(health.headers[.contentSecurityPolicy] == nil)
            let nowhere = try await app.request(.get, "/nowhere")
            #expect(nowhere.status == 404)
            #expect(nowhere.string("message") == "Route not found")
            #expect(try await app.request(.post, "/_/").status == 405)
        }
    }

    @Test("CON-007: HEAD answers as GET does, headers and Content-Length included, without the body (over a real connection)")
    func head() async throws {
        try await TestApp.run(live: true) { app in
            for path in ["/_/", "/_/app.js", "/_/console.css", "/_/sdk/snackbase.js", "/_/records/posts"] {
                let get = try await app.request(.get, path)
                let head = try await app.request(.head, path)
                #expect(head.status == 200, "\(path): \(head.status)")
                #expect(head.data.isEmpty, "\(path): HEAD has a body")
                #expect(get.data.count > 0)
                for name: HTTPField.Name in [.contentType, .contentLength, .eTag, .contentSecurityPolicy, .xContentTypeOptions, .cacheControl] {
                    #expect(head.headers[name] != nil && head.headers[name] == get.headers[name], "\(path): \(name)")
                }
                #expect(head.headers[.contentLength] == String(get.data.count), "\(path)")
                let etag = try #require(get.headers[.eTag])
                #expect(try await app.request(.head, path, headers: [.ifNoneMatch: etag]).status == 304)
            }
            let root = try await app.request(.head, "/")
            #expect(root.status == 302 && root.headers[.location] == "/_/")
            let missing = try await app.request(.head, "/_/nope.js")
            #expect(missing.status == 404)
        }
    }

    @Test("RUL-001: /rules/check answers valid or the error and its position, as saving a permission would")
    func ruleCheck() async throws {
        try await TestApp.run { app in
            let root = try await app.superadminToken()
            try await app.createCollection("posts", fields: Self.posts, root: root)
            let acme = try await app.register("acme")
            let good = try await app.request(.post, "/api/v1/rules/check", json: #"{"collection":"posts","rule":"status == 'published'"}"#, token: acme.token)
            #expect(good.status == 200, "\(good.text)")
            #expect(good.bool("valid") == true)
            #expect(good["error"] == nil)
            // `status == ` is the browser test's wrong rule: the error is at its end.
            let cases: [(String, Int?)] = [(#"status == "#, 10), (#"nope == 'x'"#, nil), (#"@has_role(1)"#, nil), (#"@unknown()"#, nil)]
            for (rule, expected) in cases {
                let escaped = rule.replacingOccurrences(of: "\"", with: "\\\"")
                let bad = try await app.request(.post, "/api/v1/rules/check", json: #"{"collection":"posts","rule":"\#(escaped)"}"#, token: acme.token)
                #expect(bad.status == 200, "\(rule): \(bad.text)")
                #expect(bad.bool("valid") == false)
                let position = try #require(bad.int("error", "position"), "\(rule): \(bad.text)")
                if let expected { #expect(position == expected, "\(rule): \(bad.text)") }
                #expect(bad.string("error", "message")?.isEmpty == false)
                // The same rule saved in a permission is refused with the same message and position.
                let saved = try await app.request(.post, "/api/v1/roles", json: """
                    {"name":"r","permissions":[{"collection":"posts","read":true,"rules":{"read":"\(escaped)"}}]}
                    """, token: acme.token)
                #expect(saved.status == 400)
                let detail = (saved.array("details") as? [[String: Any]])?.first
                #expect(detail?["position"] as? Int == position)
                #expect(detail?["message"] as? String == bad.string("error", "message"))
            }
            // `data.` is for create and update rules only.
            let data = #"data.status == 'x'"#
            let asCreate = try await app.request(.post, "/api/v1/rules/check", json: #"{"collection":"posts","rule":"\#(data)","operation":"create"}"#, token: acme.token)
            #expect(asCreate.bool("valid") == true, "\(asCreate.text)")
            let asRead = try await app.request(.post, "/api/v1/rules/check", json: #"{"collection":"posts","rule":"\#(data)","operation":"read"}"#, token: acme.token)
            #expect(asRead.bool("valid") == false, "\(asRead.text)")
            // `*` and collections not created yet check against the system fields.
            let wildcard = try await app.request(.post, "/api/v1/rules/check", json: #"{"collection":"*","rule":"title == 'x'"}"#, token: acme.token)
            #expect(wildcard.bool("valid") == false)
            let later = try await app.request(.post, "/api/v1/rules/check", json: #"{"collection":"later","rule":"created_by == user.id"}"#, token: acme.token)
            #expect(later.bool("valid") == true)
            let superadmin = try await app.request(.post, "/api/v1/rules/check", json: #"{"collection":"posts","rule":"@owns_record()"}"#, token: root)
            #expect(superadmin.bool("valid") == true, "\(superadmin.text)")
            let badName = try await app.request(.post, "/api/v1/rules/check", json: #"{"collection":"Bad Name","rule":"true"}"#, token: acme.token)
            #expect(badName.status == 422)
        }
    }

    @Test("RUL-002: /rules/check is for account admins and the superadmin: 401 without a caller, 403 for a user")
    func ruleCheckAccess() async throws {
        try await TestApp.run { app in
            let acme = try await app.register("acme")
            let body = #"{"collection":"posts","rule":"true"}"#
            #expect(try await app.request(.post, "/api/v1/rules/check", json: body).status == 401)
            let user = try await app.user("u@acme.test", roles: ["editor"], in: acme)
            #expect(try await app.request(.post, "/api/v1/rules/check", json: body, token: user.token).status == 403)
            let noRule = try await app.request(.post, "/api/v1/rules/check", json: #"{"collection":"posts"}"#, token: acme.token)
            #expect([400, 422].contains(noRule.status), "\(noRule.status)")
            #expect(try await app.request(.post, "/api/v1/rules/check", json: "{", token: acme.token).status == 400)
        }
    }
}

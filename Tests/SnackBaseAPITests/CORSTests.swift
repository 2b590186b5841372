import HTTPTypes
@testable import SnackBaseAPI
import SnackBaseCore
import Testing

/// Browsers on other origins may read answers only when the operator lists their origin.
@Suite("Cross-origin requests")
struct CORSTests {
    static let app = "https://app.example.com"
    static let listed = CORSPolicy(origins: .listed([app, "http://localhost:5173"]))

    static func preflight(_ origin: String, method: String = "POST") -> HTTPFields {
        [.origin: origin, .accessControlRequestMethod: method, .accessControlRequestHeaders: "authorization, content-type"]
    }

    @Test("CORS-001: by default no origin is allowed: no CORS header, a preflight is an ordinary 405")
    func sameOriginOnlyByDefault() async throws {
        try await TestApp.run { app in
            let acme = try await app.register("acme")
            let preflight = try await app.request(.options, "/api/v1/users", headers: Self.preflight(Self.app))
            #expect(preflight.status == 405)
            #expect(preflight.headers[.accessControlAllowOrigin] == nil)
            let read = try await app.request(.get, "/api/v1/users", token: acme.token, headers: [.origin: Self.app])
            #expect(read.status == 200)
            #expect(read.headers[.accessControlAllowOrigin] == nil)
        }
    }

    @Test("CORS-002: a listed origin's preflight is 204 with the path's methods, before authentication")
    func preflightOfListedOrigin() async throws {
        try await TestApp.run(cors: Self.listed) { app in
            let response = try await app.request(.options, "/api/v1/records/notes/rec_1", headers: Self.preflight(Self.app, method: "PATCH"))
            #expect(response.status == 204, "\(response.text)")
            #expect(response.headers[.accessControlAllowOrigin] == Self.app)
            #expect(response.headers[.accessControlAllowMethods] == "DELETE, GET, PATCH, PUT")
            #expect(response.headers[.accessControlAllowHeaders] == "Authorization, Content-Type, X-Request-ID, X-Account")
            #expect(response.headers[.accessControlMaxAge] == "600")
            #expect(response.headers[.vary] == "Origin")
            #expect(response.headers[.accessControlAllowCredentials] == nil, "tokens are never cookies")
            #expect(response.headers[.init("X-Request-ID")!]?.count == 32, "every answer carries X-Request-ID")
        }
    }

    @Test("CORS-003: another origin's preflight is 403 in the error JSON with no allow header; an unknown path stays 404")
    func preflightOfOtherOrigin() async throws {
        try await TestApp.run(cors: Self.listed) { app in
            for origin in ["https://evil.example.com", "https://app.example.com.evil.example", "http://app.example.com", "null"] {
                let response = try await app.request(.options, "/api/v1/users", headers: Self.preflight(origin))
                #expect(response.status == 403, "\(origin): \(response.status)")
                #expect(response.string("error") == "Forbidden")
                #expect(response.headers[.accessControlAllowOrigin] == nil)
                #expect(response.headers[.init("X-Request-ID")!] != nil)
            }
            let unknown = try await app.request(.options, "/no/such/route", headers: Self.preflight(Self.app))
            #expect(unknown.status == 404)
        }
    }

    @Test("CORS-004: answers to a listed origin carry Allow-Origin and expose X-Request-ID, errors included")
    func answersToListedOrigin() async throws {
        try await TestApp.run(cors: Self.listed) { app in
            let acme = try await app.register("acme")
            let read = try await app.request(.get, "/api/v1/users", token: acme.token, headers: [.origin: "http://localhost:5173"])
            #expect(read.status == 200)
            #expect(read.headers[.accessControlAllowOrigin] == "http://localhost:5173")
            #expect(read.headers[.accessControlExposeHeaders]?.contains("X-Request-ID") == true)
            #expect(read.headers[.vary] == "Origin")
            let denied = try await app.request(.get, "/api/v1/users", headers: [.origin: Self.app])
            #expect(denied.status == 401)
            #expect(denied.headers[.accessControlAllowOrigin] == Self.app)
            let foreign = try await app.request(.get, "/api/v1/users", token: acme.token, headers: [.origin: "https://evil.example.com"])
            #expect(foreign.status == 200, "CORS is the browser's rule; the server still answers")
            #expect(foreign.headers[.accessControlAllowOrigin] == nil)
            #expect(foreign.headers[.vary] == "Origin")
        }
    }

    @Test("CORS-005: * allows every origin with Allow-Origin *")
    func anyOrigin() async throws {
        try await TestApp.run(cors: CORSPolicy(origins: .any)) { app in
            let response = try await app.request(.options, "/api/v1/auth/login", headers: Self.preflight("https://anywhere.example"))
            #expect(response.status == 204)
            #expect(response.headers[.accessControlAllowOrigin] == "*")
            #expect(response.headers[.accessControlAllowMethods] == "POST")
        }
    }

    @Test("CORS-006: the setting takes *, or origins; anything else is refused with the entry named")
    func parsing() throws {
        #expect(try CORSPolicy(parsing: "") == .sameOriginOnly)
        #expect(try CORSPolicy(parsing: " * ") == CORSPolicy(origins: .any))
        #expect(try CORSPolicy(parsing: "https://App.Example.com/, http://localhost:5173 ,http://[::1]:8080")
                == CORSPolicy(origins: .listed(["https://app.example.com", "http://localhost:5173", "http://[::1]:8080"])))
        for bad in ["app.example.com", "https://app.example.com/path", "ftp://x.example", "*,https://a.example",
                    "https://", "https://a.example:0", "https://a.example:99999", "https://a.example:80x", "https://a b.example",
                    "https://user@a.example", "https://.example"] {
            #expect(throws: SnackBaseError.self, "\(bad)") { try CORSPolicy(parsing: bad) }
        }
        do {
            _ = try CORSPolicy(parsing: "https://ok.example,nope")
            Issue.record("nope was accepted")
        } catch {
            #expect(error.message.contains("`nope` is not an origin"))
        }
    }
}

import HTTPTypes
import Testing

/// A path that exists asked with a method it does not take is a 405 naming the methods it takes;
/// a path no route has stays a 404.
@Suite("Routing")
struct RoutingTests {
    @Test("ROUTE-001: a known path with an unknown method is 405 with Allow, in the error JSON", arguments: [
        (HTTPRequest.Method.patch, "/health", "GET"),
        (.delete, "/api/v1/auth/login", "POST"),
        (.put, "/api/v1/records/notes", "GET, POST"),
        (.post, "/api/v1/records/notes/rec_x", "DELETE, GET, PATCH, PUT"),
        (.put, "/api/v1/notes", "GET, POST"),
        (.delete, "/api/v1/roles", "GET, POST"),
        (.post, "/api/v1/audit-logs/verify", "GET"),
    ])
    func methodNotAllowed(method: HTTPRequest.Method, path: String, allow: String) async throws {
        try await TestApp.run { app in
            let acme = try await app.register("acme")
            let response = try await app.request(method, path, token: acme.token)
            #expect(response.status == 405, "\(method) \(path): \(response.status) \(response.text)")
            #expect(response.headers[.allow] == allow)
            #expect(response.string("error") == "Method Not Allowed")
            #expect(response.string("message") == "\(method.rawValue) is not allowed here; this path takes \(allow)")
            #expect(response.headers[.init("X-Request-ID")!] != nil)
        }
    }

    @Test("ROUTE-002: a path no route has is 404 whatever the method, and a reserved alias stays 404", arguments: [
        (HTTPRequest.Method.get, "/no/such/route"),
        (.delete, "/no/such/route"),
        (.get, "/api/v1/auth/login/extra"),
        (.patch, "/api/v1/records/notes/rec_x/extra"),
        (.get, "/api/v1/auth"),
    ])
    func notFound(method: HTTPRequest.Method, path: String) async throws {
        try await TestApp.run { app in
            let acme = try await app.register("acme")
            let response = try await app.request(method, path, token: acme.token)
            #expect(response.status == 404, "\(method) \(path): \(response.status) \(response.text)")
            #expect(response.headers[.allow] == nil)
            #expect(response.string("error") == "Not Found")
        }
    }

    @Test("ROUTE-003: under the record alias a collection named like a built-in route is that route: 405, as the document says")
    func aliasOverBuiltInRoute() async throws {
        try await TestApp.run { app in
            let acme = try await app.register("acme")
            let response = try await app.request(.put, "/api/v1/users/\(acme.userID)", json: "{}", token: acme.token)
            #expect(response.status == 405)
            #expect(response.headers[.allow] == "DELETE, GET, PATCH")
            let document = try await app.request(.get, "/openapi.json")
            for method in ["post", "get"] {
                #expect(document.value(["paths", "/api/v1/{collection}", method, "responses", "405"]) != nil, "\(method)")
                #expect(document.value(["paths", "/api/v1/records/{collection}", method, "responses", "405"]) == nil, "\(method)")
            }
            for method in ["get", "put", "patch", "delete"] {
                #expect(document.value(["paths", "/api/v1/{collection}/{id}", method, "responses", "405"]) != nil, "\(method)")
            }
        }
    }
}

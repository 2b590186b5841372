import Foundation
import Hummingbird
@testable import SnackBaseAPI
import SnackBaseCore
import SnackBaseService
import SnackBaseStore
import Testing

/// `GET /openapi.json` describes exactly the routes the router registers.
@Suite("OpenAPI document")
struct OpenAPITests {
    /// `GET /api/v1/users/{id}` for every route Hummingbird's router holds (it writes a capture `{id}`),
    /// but the console's pages and files, which are not API (``ConsoleController/paths``).
    static func registeredRoutes(_ app: TestApp) -> Set<String> {
        let router = SnackBaseApplication.router(services: app.services)
        return Set(router.routes.filter { !ConsoleController.paths.contains("\($0.path)") }.map { "\($0.method.rawValue) \($0.path)" })
    }

    /// The same shape for every operation under `paths` of the served document.
    static func describedRoutes(_ document: [String: Any]) -> Set<String> {
        var routes: Set<String> = []
        for (path, item) in document["paths"] as? [String: Any] ?? [:] {
            for method in (item as? [String: Any] ?? [:]).keys { routes.insert("\(method.uppercased()) \(path)") }
        }
        return routes
    }

    @Test("OAS-001: every registered route is described and every described route is registered")
    func routesMatch() async throws {
        try await TestApp.run { app in
            let response = try await app.request(.get, "/openapi.json")
            #expect(response.status == 200)
            #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
            let document = response.json
            #expect(document["openapi"] as? String == "3.1.0")
            let registered = Self.registeredRoutes(app)
            let described = Self.describedRoutes(document)
            #expect(registered.count > 40, "the router's route list looks empty: \(registered.sorted())")
            #expect(registered.subtracting(described).sorted() == [], "registered but not described")
            #expect(described.subtracting(registered).sorted() == [], "described but not registered")
        }
    }

    @Test("OAS-002: the route lists of the test see a route that is missing from either side")
    func comparisonCanFail() async throws {
        let document: [String: Any] = ["paths": ["/health": ["get": [:]], "/nowhere": ["post": [:]]]]
        let described = Self.describedRoutes(document)
        #expect(described == ["GET /health", "POST /nowhere"])
        try await TestApp.run { app in
            #expect(Self.registeredRoutes(app).contains("GET /api/v1/records/{collection}/{id}"))
            #expect(!Self.registeredRoutes(app).subtracting(described).isEmpty)
        }
    }

    @Test("OAS-003: every $ref points at a component, every operation has an answer and a unique operationId")
    func referencesResolve() throws {
        let data = OpenAPIDocument.data
        let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let components = try #require(document["components"] as? [String: [String: Any]])
        var refs: [String] = []
        func walk(_ value: Any) {
            if let object = value as? [String: Any] {
                if let ref = object["$ref"] as? String { refs.append(ref) }
                object.values.forEach(walk)
            } else if let array = value as? [Any] {
                array.forEach(walk)
            }
        }
        walk(document)
        #expect(!refs.isEmpty)
        for ref in refs {
            let parts = ref.split(separator: "/").map(String.init)
            #expect(parts.count == 4 && parts[0] == "#" && parts[1] == "components", "\(ref)")
            if parts.count == 4 { #expect(components[parts[2]]?[parts[3]] != nil, "dangling \(ref)") }
        }
        var ids: Set<String> = []
        for operation in OpenAPIDocument.operations {
            #expect(ids.insert(operation.operationID).inserted, "duplicate operationId \(operation.operationID)")
            #expect(operation.answers.contains { (200..<300).contains($0.status) }, "\(operation.key) has no success answer")
        }
    }

    @Test("every route that takes a token outside /api/v1/auth/ documents the 403 of a user who must turn two-factor sign-in on first (the API fuzzer met it)")
    func twoFactorGateIsDocumented() throws {
        for operation in OpenAPIDocument.operations {
            guard case .object(let fields) = operation.json, case .object(let responses) = fields["responses"] else {
                Issue.record("\(operation.key) has no responses"); continue
            }
            let gated = operation.security != .none && operation.path.hasPrefix("/api/v1/") && !operation.path.hasPrefix("/api/v1/auth/")
            if gated { #expect(responses["403"] != nil, "\(operation.key)") }
        }
        #expect(OpenAPIDocument.operations.contains { $0.key == "GET /api/v1/collections/{name}" }, "the route the fuzzer met is gone")
    }

    @Test("OAS-004: an error answer has the described shape")
    func errorShape() async throws {
        try await TestApp.run { app in
            let response = try await app.request(.get, "/api/v1/users")
            #expect(response.status == 401)
            #expect(Set(response.json.keys).isSubset(of: ["error", "message", "details"]))
            #expect(response.string("error") != nil && response.string("message") != nil)
        }
    }

    /// The `required` names of a component schema, as the served document lists them.
    static func requiredKeys(_ schema: String) -> Set<String> {
        guard case .object(let fields) = OpenAPISchemas.schemas[schema], case .array(let names) = fields["required"] else { return [] }
        return Set(names.compactMap { if case .string(let name) = $0 { name } else { nil } })
    }

    /// The keys a DTO writes.
    static func writtenKeys(_ value: some Encodable) throws -> Set<String> {
        let object = try JSONSerialization.jsonObject(with: JSONBody.encoder.encode(value)) as? [String: Any]
        return Set(object?.keys.map { $0 } ?? [])
    }

    @Test("OAS-005: an answer whose optional values are all absent still writes every key the document requires (as null)")
    func nullableKeysWritten() throws {
        let invitation = InvitationController.InvitationDTO(.init(
            id: "inv_1", accountID: try #require(AccountID("AB0001")), email: "a@example.com", roles: [], invitedBy: nil,
            createdAt: "2026-12-04T20:00:00.000Z", expiresAt: "2026-12-11T20:00:00.000Z"))
        #expect(Self.requiredKeys("Invitation").contains("invited_by"))
        #expect(try Self.requiredKeys("Invitation").subtracting(Self.writtenKeys(invitation)) == [])
        let running = try JSONDecoder().decode(BackupEntry.self, from: Data(#"""
            {"id":"20261204200210452-e4a11c30","file":"snackbase-20261204200210452-e4a11c30.db","createdAt":"2026-12-04T20:02:10.452Z","status":"running"}
            """#.utf8))
        #expect(try Self.requiredKeys("Backup").subtracting(Self.writtenKeys(BackupController.BackupDTO(running))) == [])
    }
}

import Foundation
import HTTPTypes
import NIOCore
@testable import SnackBaseAPI
import SnackBaseCore
@testable import SnackBaseStore
import Testing

/// The store's own errors keep the answers they had when the store threw HTTP statuses.
@Suite("Store errors on the wire")
struct StoreErrorMappingTests {
    @Test("UnknownRoles is the 422 naming the roles that it was; UnknownColumn is a 500")
    func mapping() {
        #expect(ErrorResponder.snackBaseError(for: UnknownRoles(names: ["alpha", "zeta"]))
            == .validation(field: "roles", "unknown role(s) in this account: alpha, zeta"))
        #expect(ErrorResponder.snackBaseError(for: UnknownColumn(name: "secret")) == .internalError)
    }

    @Test("a database that is away is a 503 with Retry-After; a full disk is a 507 saying so (operations.md, outages)")
    func outages() {
        let away = ErrorResponder.snackBaseError(for: DatabaseUnavailable())
        #expect(away.status == 503 && away.retryAfter == 5)
        let full = ErrorResponder.snackBaseError(for: SQLiteFailure(code: 13, message: "database or disk is full"))
        #expect(full.status == 507 && full.message.contains("disk is full"))
        #expect(ErrorResponder.snackBaseError(for: StorageFull()) == full)
        // Another SQLite failure stays a 500 that explains nothing.
        #expect(ErrorResponder.snackBaseError(for: SQLiteFailure(code: 11, message: "database disk image is malformed")) == .internalError)
    }

    @Test("granting an unknown role answers the same error JSON as before")
    func unknownRoleAnswer() async throws {
        try await TestApp.run { app in
            let tenant = try await app.register("acme")
            let unknown = try await app.request(.post, "/api/v1/users", json: """
                {"email": "eve@acme.test", "password": "\(TestApp.password)", "roles": ["superadmin", "editor", "boss"]}
                """, token: tenant.token)
            #expect(unknown.status == 422)
            let before = SnackBaseError.validation(field: "roles", "unknown role(s) in this account: boss, superadmin")
            // Compared as JSON: the encoder's key order is not fixed from one answer to the next.
            let expected = try JSONSerialization.jsonObject(with: Data(String(buffer: ErrorResponder.body(of: before)).utf8)) as? NSDictionary
            #expect(try JSONSerialization.jsonObject(with: unknown.data) as? NSDictionary == expected)
            #expect(unknown.array("details")?.count == 1 && unknown.string("message") == "Validation failed")
        }
    }
}

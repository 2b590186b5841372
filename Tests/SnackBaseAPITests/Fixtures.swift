import Foundation
import SQLKit
import SnackBaseCore
import SnackBaseStore
import SnackBaseTesting
import Synchronization
import Testing
import HTTPTypes

extension TestApp {
    /// Creates a collection as the superadmin; returns the response.
    @discardableResult
    func createCollection(_ name: String, fields: String, root: String) async throws -> TestResponse {
        let response = try await request(.post, "/api/v1/collections", json: #"{"name":"\#(name)","schema":{"fields":\#(fields)}}"#, token: root)
        guard response.status == 201 else {
            throw TestFailure("collection \(name): \(response.status) \(String(decoding: response.data, as: UTF8.self))")
        }
        return response
    }

    /// A user of the tenant with the given roles, signed in; returns (user id, token).
    func user(_ email: String, roles: [String], in tenant: Tenant) async throws -> (id: String, token: String) {
        let rolesJSON = "[" + roles.map { "\"\($0)\"" }.joined(separator: ",") + "]"
        let created = try await request(.post, "/api/v1/users", json: #"{"email":"\#(email)","password":"\#(TestApp.password)","roles":\#(rolesJSON)}"#, token: tenant.token)
        guard created.status == 201, let id = created.string("id") else {
            throw TestFailure("user \(email): \(created.status) \(String(decoding: created.data, as: UTF8.self))")
        }
        let login = try await login(tenant.slug, email)
        guard let token = login.string("token") else { throw TestFailure("login \(email): \(login.status)") }
        return (id, token)
    }

    /// Creates a role with permissions (the seed's document) in the tenant.
    @discardableResult
    func role(_ document: String, in tenant: Tenant) async throws -> TestResponse {
        let response = try await request(.post, "/api/v1/roles", json: document, token: tenant.token)
        guard response.status == 201 else {
            throw TestFailure("role: \(response.status) \(String(decoding: response.data, as: UTF8.self))")
        }
        return response
    }

    /// The value of one `/metrics` line, named with its labels (`snackbase_realtime_streams`,
    /// `snackbase_realtime_streams_closed_total{reason="revoked"}`); nil when the line is missing.
    func metric(_ line: String) async throws -> Int? {
        let text = try await request(.get, "/metrics").text
        guard let found = text.split(separator: "\n").first(where: { $0.hasPrefix(line + " ") }) else { return nil }
        return Int(Double(found.split(separator: " ").last ?? "") ?? -1)
    }
}

extension TestResponse {
    var items: [[String: Any]] { array("items") as? [[String: Any]] ?? [] }
    var text: String { String(decoding: data, as: UTF8.self) }
}

import Foundation
import SQLKit
import SnackBaseCore
import SnackBaseStore
import Synchronization
import Testing

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
}

extension TestResponse {
    var items: [[String: Any]] { array("items") as? [[String: Any]] ?? [] }
    var text: String { String(decoding: data, as: UTF8.self) }
}

/// A database whose reads or whose transactions wait until the test lets them go (``open()``), and
/// which counts them: a test can hold a request at that point while something else happens.
final class GatedDatabase: Database {
    enum Gate { case reads, transactions }
    private struct State {
        var started = 0
        var open = false
        var waiting: [CheckedContinuation<Void, Never>] = []
    }
    let base: any Database
    let gate: Gate
    private let state = Mutex(State())
    init(_ base: any Database, gating gate: Gate) {
        self.base = base
        self.gate = gate
    }

    var kind: DatabaseKind { base.kind }
    var writeGeneration: WriteGeneration? { base.writeGeneration }
    var rememberedReads: RememberedReads? { base.rememberedReads }
    /// How many gated calls have started (waiting or not).
    var started: Int { state.withLock { $0.started } }
    func ping() async -> Bool { await base.ping() }
    func shutdown() async {}
    func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        if gate == .transactions { await pass() }
        return try await base.transaction(body)
    }
    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        if gate == .reads { await pass() }
        return try await base.read(body)
    }
    func open() {
        for go in state.withLock({ state in defer { state.waiting = [] }; state.open = true; return state.waiting }) { go.resume() }
    }

    private func pass() async {
        await withCheckedContinuation { go in
            let now = state.withLock { state in
                state.started += 1
                if !state.open { state.waiting.append(go) }
                return state.open
            }
            if now { go.resume() }
        }
    }
}

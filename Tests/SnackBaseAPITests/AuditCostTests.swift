import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SnackBaseAPI
import SnackBaseAuth
import SnackBaseCore
import SnackBaseService
import SnackBaseStore
import SnackBaseTesting
import Testing

/// A measurement, not a test of behaviour: record-create throughput through the whole router with the
/// audit hook and without it (the same build; only `AppServices.hooks` differs). Off unless
/// `SNACKBASE_BENCH=1`; docs/audit.md quotes its output.
///
///     SNACKBASE_BENCH=1 swift test --skip-build --filter AuditCost
@Suite("Audit: cost of the audit insert (benchmark)")
struct AuditCostTests {
    static let enabled = ProcessInfo.processInfo.environment["SNACKBASE_BENCH"] != nil
    static let creates = 1600
    static let clients = 8

    @Test("record creates per second, audited and not", .enabled(if: enabled))
    func createThroughput() async throws {
        for kind in TestDatabase.kinds {
            var rates: [String: Double] = [:]
            for (label, hooks) in [("audited", RecordHooks.audited), ("no audit", RecordHooks()), ("audited again", RecordHooks.audited)] {
                try await TestDatabase.with(kind) { database in
                    rates[label] = try await Self.run(database: database, hooks: hooks)
                }
            }
            print("audit-cost [\(kind.rawValue)] runs: " + rates.map { "\($0.key) \(Int($0.value))/s" }.sorted().joined(separator: ", "))
            let audited = ((rates["audited"] ?? 0) + (rates["audited again"] ?? 0)) / 2
            let plain = rates["no audit"] ?? 0
            print("audit-cost [\(kind.rawValue)] \(Self.creates) creates, \(Self.clients) clients: "
                  + "audited \(Int(audited))/s, no audit \(Int(plain))/s, ratio \(String(format: "%.2f", audited / max(plain, 1)))")
            #expect(audited > 0 && plain > 0)
        }
    }

    static func run(database: any Database, hooks: RecordHooks) async throws -> Double {
        try await Migrator.migrate(database)
        try await database.transaction { db in try await SystemAccount.ensure(on: db) }
        let passwords = try PasswordService(parameters: TestApp.tinyArgon2)
        let services = AppServices(database: database, tokens: await TokenService(secret: TestApp.secret), passwords: passwords,
                                   hooks: hooks, logger: TestDatabase.logger)
        let app = Application(router: SnackBaseApplication.router(services: services), logger: TestDatabase.logger)
        let rate: Double
        do {
            rate = try await app.test(.router) { client in
                let test = TestApp(services: services, client: client)
                let root = try await test.superadminToken()
                let tenant = try await test.register("bench")
                try await test.createCollection("items", fields: #"[{"name":"title","type":"text"},{"name":"n","type":"number"}]"#, root: root)
                let started = ContinuousClock.now
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for worker in 0..<clients {
                        group.addTask {
                            for index in 0..<(creates / clients) {
                                let response = try await test.request(.post, "/api/v1/records/items", json: #"{"title":"w\#(worker)-\#(index)","n":\#(index)}"#, token: tenant.token)
                                guard response.status == 201 else { throw TestFailure("create answered \(response.status)") }
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                let elapsed = ContinuousClock.now - started
                return Double(creates) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            }
        } catch {
            await passwords.shutdown()
            throw error
        }
        await passwords.shutdown()
        return rate
    }
}

import Foundation
import Logging
import PostgresKit
import PostgresNIO
import SQLKit

/// PostgreSQL through PostgresNIO's connection pool. Each transaction, and each read, takes one
/// connection and runs inside `BEGIN … COMMIT` under the application role of ``RowSecurity``
/// (a read needs a transaction too: the account setting lives exactly as long as one).
///
/// The URL's user owns the tables (it runs the migrations); requests never act as it, except
/// inside a named ``RowSecurity/Bypass``.
public final class PostgresStore: Database {
    public let kind = DatabaseKind.postgres
    /// Other processes write to the same database: nothing read is remembered.
    public var writeGeneration: WriteGeneration? { nil }
    public var rememberedReads: RememberedReads? { nil }
    private let client: PostgresClient
    private let runner: Task<Void, Never>
    let logger: Logger
    /// The same server and credentials as the pool, for connections of their own (LISTEN).
    let connectionConfiguration: PostgresConnection.Configuration

    public init(url: String, logger: Logger) async throws {
        guard let components = URLComponents(string: url), let host = components.host else {
            throw StoreError.configuration("SNACKBASE_DATABASE_URL is not a valid postgres:// URL")
        }
        let username = components.user ?? "postgres"
        let database = components.path.count > 1 ? String(components.path.dropFirst()) : nil
        let port = components.port ?? 5432
        let config = PostgresClient.Configuration(
            host: host, port: port, username: username, password: components.password, database: database, tls: .disable
        )
        connectionConfiguration = PostgresConnection.Configuration(
            host: host, port: port, username: username, password: components.password, database: database, tls: .disable
        )
        self.logger = logger
        let client = PostgresClient(configuration: config, backgroundLogger: logger)
        self.client = client
        runner = Task { await client.run() }
        // Fail fast on an unreachable server.
        _ = try await client.withConnection { try await $0.query("SELECT 1", logger: logger) }
    }

    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await session(readOnly: false, as: .application, body)
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await session(readOnly: true, as: .application, body)
    }

    /// A transaction as the tables' owner, for the migrator only (the application role does not
    /// exist before the migration that creates it).
    func ownerTransaction<T: Sendable>(
        _ reason: RowSecurity.Bypass, _ body: @escaping @Sendable (any SQLDatabase) async throws -> T
    ) async throws -> T {
        logger.debug("db.rls.bypass", metadata: ["db.rls.reason": .string(reason.rawValue)])
        return try await session(readOnly: false, as: .owner, body)
    }

    private func session<T: Sendable>(
        readOnly: Bool, as role: PostgresSession.Role, _ body: @escaping @Sendable (any SQLDatabase) async throws -> T
    ) async throws -> T {
        try await client.withConnection { connection in
            let session = PostgresSession(connection.sql(queryLogLevel: .trace))
            do {
                try await session.begin(readOnly: readOnly, as: role)
                let value = try await body(session)
                try await session.raw("COMMIT").run()
                return value
            } catch {
                try? await session.raw("ROLLBACK").run()
                throw error
            }
        }
    }

    /// Runs one administrative statement outside any transaction (`CREATE DATABASE`, say), as the
    /// URL's user. Only for fixed text written by the program: never pass a user value here.
    public func execute(unsafeSQL statement: String) async throws {
        try await client.withConnection { connection in
            try await connection.sql().raw(SQLQueryString(statement)).run()
        }
    }

    /// Sends `payload` on `channel` to every listening session of this database. `pg_notify` is
    /// transactional: sent on its own (autocommit), it is delivered at once.
    func notify(channel: String, payload: String) async throws {
        try await client.withConnection { connection in
            try await connection.sql().raw("SELECT pg_notify(\(bind: channel), \(bind: payload))").run()
        }
    }

    public func ping() async -> Bool {
        (try? await client.withConnection { try await $0.sql().raw("SELECT 1").run() }) != nil
    }

    public func shutdown() async {
        runner.cancel()
        _ = await runner.value
    }
}

import Foundation
import Logging
import PostgresKit
import PostgresNIO
import SQLKit

/// PostgreSQL through PostgresNIO's connection pool. Each transaction takes one connection.
public final class PostgresStore: Database {
    public let kind = DatabaseKind.postgres
    private let client: PostgresClient
    private let runner: Task<Void, Never>

    public init(url: String, logger: Logger) async throws {
        guard let components = URLComponents(string: url), let host = components.host else {
            throw StoreError.configuration("SNACKBASE_DATABASE_URL is not a valid postgres:// URL")
        }
        let config = PostgresClient.Configuration(
            host: host,
            port: components.port ?? 5432,
            username: components.user ?? "postgres",
            password: components.password,
            database: components.path.count > 1 ? String(components.path.dropFirst()) : nil,
            tls: .disable
        )
        let client = PostgresClient(configuration: config, backgroundLogger: logger)
        self.client = client
        runner = Task { await client.run() }
        // Fail fast on an unreachable server.
        _ = try await client.withConnection { try await $0.query("SELECT 1", logger: logger) }
    }

    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await client.withConnection { connection in
            let db = connection.sql(queryLogLevel: .trace)
            try await db.raw("BEGIN").run()
            do {
                let value = try await body(db)
                try await db.raw("COMMIT").run()
                return value
            } catch {
                try? await db.raw("ROLLBACK").run()
                throw error
            }
        }
    }

    public func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await client.withConnection { connection in
            try await body(connection.sql(queryLogLevel: .trace))
        }
    }

    /// Runs one administrative statement outside any transaction (`CREATE DATABASE`, say).
    /// Only for fixed text written by the program: never pass a user value here.
    public func execute(unsafeSQL statement: String) async throws {
        try await read { db in try await db.raw(SQLQueryString(statement)).run() }
    }

    public func ping() async -> Bool {
        (try? await read { db in try await db.raw("SELECT 1").run() }) != nil
    }

    public func shutdown() async {
        runner.cancel()
        _ = await runner.value
    }
}

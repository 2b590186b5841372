import Foundation
import Logging
import SnackBaseCore
import SnackBaseStore

/// The databases tests run on, each made new for one test.
package enum TestDatabase {
    /// A PostgreSQL collation a test database can be made with.
    package enum Collation: String, Sendable {
        /// Byte order.
        case c = "C"
    }

    package static let logger: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return logger
    }()

    package static var postgresURL: String? {
        ProcessInfo.processInfo.environment["SNACKBASE_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// How long the tests' stores wait for a PostgreSQL connection, instead of a request's 5 s: while
    /// the whole suite runs on two cores, hundreds of tests open stores and connections at once.
    package static let connectionWait = Duration.seconds(30)

    package static var kinds: [DatabaseKind] { postgresURL == nil ? [.sqlite] : [.sqlite, .postgres] }

    /// A fresh database of `kind` for `body`: a temporary SQLite file, or a new PostgreSQL database
    /// created through the server named by `SNACKBASE_TEST_POSTGRES_URL` and dropped afterwards.
    /// `rememberedFor`: PostgreSQL's bound on how long a read is remembered when no write is told
    /// (``PostgresStore/rememberedFor``), for a test that counts what is read again. `collation`:
    /// PostgreSQL's database made with this collation (`C`, say) instead of the server's default.
    package static func with(_ kind: DatabaseKind, logger: Logger = TestDatabase.logger, writerExecutor: (any TaskExecutor)? = nil,
                             rememberedFor: Duration = .milliseconds(500), collation: Collation? = nil,
                             _ body: (any Database) async throws -> Void) async throws {
        switch kind {
        case .sqlite:
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("snackbase-test-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let database = try await SQLiteStore(path: folder + "/data.db", logger: logger, writerExecutor: writerExecutor)
            do { try await body(database) } catch { await database.shutdown(); throw error }
            await database.shutdown()
        case .postgres:
            guard let url = postgresURL, let base = URLComponents(string: url) else { throw TestFailure("no PostgreSQL configured") }
            let name = "snackbase_test_" + SecureID.randomHex(bytes: 6)
            let admin = try await PostgresStore(url: url, logger: logger, connectionWait: connectionWait)
            let locale = collation.map { " TEMPLATE template0 LC_COLLATE '\($0.rawValue)' LC_CTYPE '\($0.rawValue)'" } ?? ""
            try await admin.execute(unsafeSQL: "CREATE DATABASE \(name)" + locale)
            var components = base
            components.path = "/" + name
            let database = try await PostgresStore(url: components.string ?? url, logger: logger, connectionWait: connectionWait, rememberedFor: rememberedFor,
                                                   writerExecutor: writerExecutor)
            var failure: (any Error)?
            do { try await body(database) } catch { failure = error }
            await database.shutdown()
            try? await admin.execute(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            await admin.shutdown()
            if let failure { throw failure }
        }
    }
}

import Foundation
import Logging
import PostgresNIO
import SQLiteNIO
import SnackBaseRules
import Testing

/// The agreement property of rules.md: for well-typed random rules, random callers and random
/// records (nulls included), the set of ids a real database returns under the compiled fragment is
/// the set the evaluator accepts. Replay a failure with `RULES_SEED=<seed>`.
@Suite(.serialized)
struct AgreementTests {
    static let recordSets = 8
    static let recordsPerSet = 48
    static let rulesPerSet = 1000

    /// A database the property runs against.
    protocol Database {
        var dialect: any RuleSQLDialect { get }
        func reset(records: [[String: RuleValue]]) async throws
        func ids(where fragment: SQLFragment) async throws -> Set<String>
    }

    @Test func sqliteAgreesWithTheEvaluator() async throws {
        let database = try await SQLiteDatabase.open()
        do {
            try await run(database, name: "SQLite")
            try await database.close()
        } catch {
            try? await database.close()
            throw error
        }
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["SNACKBASE_TEST_POSTGRES_URL"] != nil))
    func postgresAgreesWithTheEvaluator() async throws {
        let url = ProcessInfo.processInfo.environment["SNACKBASE_TEST_POSTGRES_URL"] ?? ""
        let database = try await PostgresDatabase.connect(url: url)
        do {
            try await run(database, name: "PostgreSQL")
            try await database.close()
        } catch {
            try? await database.close()
            throw error
        }
    }

    func run(_ database: some Database, name: String) async throws {
        let seed = TestSeed.resolve(ProcessInfo.processInfo.environment)
        var random = RandomRules(seed: seed)
        var cases = 0
        var filtered = 0
        var failures = 0
        for _ in 0..<Self.recordSets {
            let records = random.records(count: Self.recordsPerSet)
            try await database.reset(records: records)
            for _ in 0..<Self.rulesPerSet {
                let source = random.condition(depth: Int.random(in: 0...4, using: &random.rng))
                let context = random.context()
                cases += 1
                let rule: CheckedRule
                do {
                    rule = try RuleEngine.check(source, schema: RandomRules.schema, allowsData: true)
                } catch {
                    Issue.record("RULES_SEED=\(seed): generated rule does not check: \(source)\n\(error.caretDescription(source: source))")
                    failures += 1
                    continue
                }
                var expected = Set<String>()
                for record in records where rule.evaluate(context: context, record: record, data: nil) {
                    if case .text(let id) = record["id"] { expected.insert(id) }
                }
                let residual = rule.residual(context: context)
                // The partial evaluator alone agrees with the evaluator, record by record.
                for record in records {
                    let fromResidual: Bool = switch residual {
                    case .always: true
                    case .never: false
                    case .filter(let filter): filter.matches(record: record)
                    }
                    guard case .text(let id) = record["id"], fromResidual != expected.contains(id) else { continue }
                    Issue.record("RULES_SEED=\(seed): residual disagrees with the evaluator on \(id)\nrule: \(source)\nresidual: \(residual)")
                    failures += 1
                    break
                }
                let actual: Set<String>
                var sqlText = "-"
                switch SQLCompiler.compile(residual, dialect: database.dialect) {
                case .noFilter:
                    actual = Set(records.compactMap { if case .text(let id) = $0["id"] { id } else { nil } })
                case .noRows:
                    actual = []
                case .fragment(let fragment):
                    filtered += 1
                    let rendered = fragment.render(dialect: database.dialect)
                    sqlText = rendered.sql + "  binds: " + rendered.bindings.map(\.description).joined(separator: ", ")
                    do {
                        actual = try await database.ids(where: fragment)
                    } catch {
                        Issue.record("RULES_SEED=\(seed) \(name): query failed: \(error)\nrule: \(source)\nsql: \(sqlText)")
                        failures += 1
                        continue
                    }
                }
                if actual != expected {
                    failures += 1
                    let differing = expected.symmetricDifference(actual).sorted()
                    let details = differing.prefix(3).map { id in
                        let record = records.first { $0["id"] == .text(id) } ?? [:]
                        return "  \(id) evaluator=\(expected.contains(id)) sql=\(actual.contains(id)) \(record.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))"
                    }.joined(separator: "\n")
                    Issue.record("""
                        RULES_SEED=\(seed) \(name) disagreement on case \(cases)
                        rule: \(source)
                        caller: \(context.caller) now: \(context.now) operation: \(context.operation)
                        residual: \(residual)
                        sql: \(sqlText)
                        \(details)
                        """)
                }
                if failures >= 5 { return }
            }
        }
        print("agreement \(name): \(cases) cases (\(filtered) compiled to SQL) × \(Self.recordsPerSet) records, RULES_SEED=\(seed)")
    }
}

/// Tables exactly as the store creates them.
enum AgreementTable {
    static func create(dialect: any RuleSQLDialect, postgres: Bool) -> String {
        let columns = RandomRules.columns.map { column in
            let type = switch column.type {
            case .text, .datetime, .json: "TEXT"
            case .number: postgres ? "DOUBLE PRECISION" : "REAL"
            case .boolean: postgres ? "BOOLEAN" : "INTEGER"
            }
            return dialect.quoted(identifier: column.name) + " " + type
        }
        return "CREATE \(postgres ? "TEMPORARY " : "")TABLE rules_agreement (\"id\" TEXT PRIMARY KEY, " + columns.joined(separator: ", ") + ")"
    }

    static func insert(dialect: any RuleSQLDialect) -> String {
        let names = ["id"] + RandomRules.columns.map(\.name)
        let placeholders = names.indices.map { dialect.placeholder(index: $0 + 1) }
        return "INSERT INTO rules_agreement (" + names.map { dialect.quoted(identifier: $0) }.joined(separator: ", ")
            + ") VALUES (" + placeholders.joined(separator: ", ") + ")"
    }

    /// Record values in column order, as the store binds them (booleans as 0/1 for SQLite).
    static func row(_ record: [String: RuleValue], dialect: any RuleSQLDialect) -> [RuleValue] {
        (["id"] + RandomRules.columns.map(\.name)).map { dialect.bindable(record[$0] ?? .null) }
    }
}

struct SQLiteDatabase: AgreementTests.Database {
    let connection: SQLiteConnection
    var dialect: any RuleSQLDialect { RuleSQLiteDialect() }

    static func open() async throws -> SQLiteDatabase {
        SQLiteDatabase(connection: try await SQLiteConnection.open(storage: .memory))
    }

    func close() async throws { try await connection.close() }

    static func data(_ value: RuleValue) -> SQLiteData {
        switch value {
        case .null: .null
        case .bool(let flag): .integer(flag ? 1 : 0)
        case .number(let number): .float(number)
        case .text(let text), .datetime(let text): .text(text)
        case .list: .null
        }
    }

    func reset(records: [[String: RuleValue]]) async throws {
        _ = try await connection.query("DROP TABLE IF EXISTS rules_agreement", [])
        _ = try await connection.query(AgreementTable.create(dialect: dialect, postgres: false), [])
        let insert = AgreementTable.insert(dialect: dialect)
        for record in records {
            _ = try await connection.query(insert, AgreementTable.row(record, dialect: dialect).map(Self.data))
        }
    }

    func ids(where fragment: SQLFragment) async throws -> Set<String> {
        let (sql, bindings) = fragment.render(dialect: dialect)
        let rows = try await connection.query("SELECT id FROM rules_agreement WHERE " + sql, bindings.map(Self.data))
        return Set(rows.compactMap { $0.column("id")?.string })
    }
}

struct PostgresDatabase: AgreementTests.Database {
    let connection: PostgresConnection
    let logger: Logger
    /// The server's own database, kept open to drop `scratch` at the end.
    let admin: PostgresConnection?
    /// A database made for this run with a linguistic ICU collation (`'a' < 'B'` there), so that a
    /// missing `COLLATE "C"` shows; nil when the server cannot make one (then the URL's database is used).
    let scratch: String?
    var dialect: any RuleSQLDialect { RulePostgresDialect() }

    /// `postgres://user[:password]@host:port/database`
    static func connect(url: String) async throws -> PostgresDatabase {
        guard let components = URLComponents(string: url), let host = components.host else {
            throw PostgresURLError(url: url)
        }
        func configuration(database: String) -> PostgresConnection.Configuration {
            PostgresConnection.Configuration(
                host: host, port: components.port ?? 5432, username: components.user ?? "postgres",
                password: components.password, database: database, tls: .disable
            )
        }
        let logger = Logger(label: "rules-agreement")
        let admin = try await PostgresConnection.connect(configuration: configuration(database: String(components.path.dropFirst())), id: 1, logger: logger)
        let scratch = "rules_agreement_\(UInt32.random(in: 0...UInt32.max))"
        do {
            try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(scratch) TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"), logger: logger)
        } catch {
            print("agreement PostgreSQL: no ICU database (\(String(reflecting: error).prefix(120))); using the URL's database")
            return PostgresDatabase(connection: admin, logger: logger, admin: nil, scratch: nil)
        }
        let connection = try await PostgresConnection.connect(configuration: configuration(database: scratch), id: 2, logger: logger)
        return PostgresDatabase(connection: connection, logger: logger, admin: admin, scratch: scratch)
    }

    struct PostgresURLError: Error { let url: String }

    func close() async throws {
        try await connection.close()
        if let admin, let scratch {
            try await admin.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(scratch)"), logger: logger)
            try await admin.close()
        }
    }

    static func bindings(_ values: [RuleValue]) -> PostgresBindings {
        var bindings = PostgresBindings()
        for value in values {
            switch value {
            case .null, .list: bindings.appendNull()
            case .bool(let flag): bindings.append(flag)
            case .number(let number): bindings.append(number)
            case .text(let text), .datetime(let text): bindings.append(text)
            }
        }
        return bindings
    }

    func reset(records: [[String: RuleValue]]) async throws {
        try await connection.query(PostgresQuery(unsafeSQL: "DROP TABLE IF EXISTS rules_agreement"), logger: logger)
        try await connection.query(PostgresQuery(unsafeSQL: AgreementTable.create(dialect: dialect, postgres: true)), logger: logger)
        let insert = AgreementTable.insert(dialect: dialect)
        for record in records {
            let values = AgreementTable.row(record, dialect: dialect)
            try await connection.query(PostgresQuery(unsafeSQL: insert, binds: Self.bindings(values)), logger: logger)
        }
    }

    func ids(where fragment: SQLFragment) async throws -> Set<String> {
        let (sql, bindings) = fragment.render(dialect: dialect)
        let rows = try await connection.query(
            PostgresQuery(unsafeSQL: "SELECT id FROM rules_agreement WHERE " + sql, binds: Self.bindings(bindings)), logger: logger)
        var ids = Set<String>()
        for try await id in rows.decode(String.self) { ids.insert(id) }
        return ids
    }
}

import ArgumentParser
import Foundation
import Logging
import SnackBaseAccess
import SnackBaseCore
import SnackBaseRules
import SnackBaseStore

/// `snackbase rules check --collection NAME 'RULE'`: parses and type-checks a rule against the
/// stored schema; prints the error with a caret, or the SQL it compiles to for an example caller.
struct RulesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rules", abstract: "Work with rules.", subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "check", abstract: "Check a rule against a collection's schema and show its SQL.")

        @Option(help: "The collection the rule is for (its fields are the names a rule may use).") var collection: String
        @Option(help: "The example caller's user id, for the SQL shown.") var userId = "usr_example"
        @Option(help: "A role of the example caller (repeatable).") var role: [String] = []
        @Flag(help: "Allow data.* (create and update rules).") var data = false
        @Argument(help: "The rule.") var rule: String
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            try await reportingSettingErrors {
                let (db, _) = try await database.open(Settings(), logger: Logger(label: "snackbase"))
                let schema = try? await db.read { sql in try await CollectionRepository.find(name: collection, on: sql) }
                let dialect = db.ruleDialect
                await db.shutdown()
                guard let schema = schema ?? nil else {
                    throw SettingError(description: "--collection: no collection named \(collection)")
                }
                let checked: CheckedRule
                do {
                    checked = try RuleEngine.check(rule, schema: CollectionRuleSchema(schema), allowsData: data)
                } catch let error as RuleError {
                    FileHandle.standardError.write(Data((error.caretDescription(source: rule) + "\n").utf8))
                    throw ExitCode(1)
                }
                let context = RuleContext(
                    caller: RuleCaller(userID: userId, accountID: "AB1001", roles: role), accountID: "AB1001",
                    operation: "read", now: Timestamp.now()
                )
                let residual = checked.residual(context: context)
                print("ok: the rule checks against \(collection)")
                print("for user \(userId) with roles [\(role.joined(separator: ", "))]: \(residual)")
                switch SQLCompiler.compile(residual, dialect: dialect) {
                case .noFilter: print("SQL: no condition (every record of the account)")
                case .noRows: print("SQL: no query (no record)")
                case .fragment(let fragment):
                    let (sql, bindings) = fragment.render(dialect: dialect)
                    print("SQL: WHERE account_id = ? AND \(sql)")
                    print("bindings: \(bindings.map(\.description).joined(separator: ", "))")
                }
            }
        }
    }
}

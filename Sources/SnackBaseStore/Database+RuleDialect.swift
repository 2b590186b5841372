import SnackBaseRules

extension Database {
    /// The rule compiler's dialect for this database.
    public var ruleDialect: any RuleSQLDialect {
        switch kind {
        case .sqlite: RuleSQLiteDialect()
        case .postgres: RulePostgresDialect()
        }
    }
}

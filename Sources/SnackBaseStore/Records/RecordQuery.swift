import SQLKit
import SnackBaseRules

/// What a list asks of one collection, as the application layer decided it: the rule every returned
/// record must satisfy (the caller's read rules and `filter`, already folded for the caller), equality
/// conditions (`{field}=value`), the order and the page. ``RecordRepository/list(_:dialect:in:remembered:on:)``
/// turns it into SQL: only here do rule residuals and values become SQL text, with bound values and
/// identifiers from the schema.
public struct RecordQuery: Sendable {
    public var rule: RuleResidual
    public var equals: [(field: String, value: RuleValue)]
    public var sort: [RecordRepository.Sort]
    public var skip: Int
    public var limit: Int
    /// Keyset paging (exports): only records whose `id` sorts after this one.
    public var afterID: String?

    public init(rule: RuleResidual, equals: [(field: String, value: RuleValue)] = [], sort: [RecordRepository.Sort], skip: Int, limit: Int, afterID: String? = nil) {
        self.afterID = afterID
        self.rule = rule
        self.equals = equals
        self.sort = sort
        self.skip = skip
        self.limit = limit
    }

    /// The SQL conditions of the query, or nil when no record can match (the rule folds to false).
    public func conditions(dialect: some RuleSQLDialect) -> [SQLFragment]? {
        var conditions: [SQLFragment] = []
        switch SQLCompiler.compile(rule, dialect: dialect) {
        case .noRows: return nil
        case .noFilter: break
        case .fragment(let fragment): conditions.append(fragment)
        }
        for (field, value) in equals {
            conditions.append(SQLFragment(pieces: [.sql("("), .identifier(field), .sql(" = "), .bind(dialect.bindable(value)), .sql(")")]))
        }
        if let afterID {
            conditions.append(SQLFragment(pieces: [.sql("("), .identifier("id"), .sql(" > "), .bind(dialect.bindable(.text(afterID))), .sql(")")]))
        }
        return conditions
    }
}

extension RecordRepository {
    /// One page of the records `query` selects, and how many it selects in all; an empty page without
    /// a query when its rule admits no record.
    public static func list(
        _ query: RecordQuery, dialect: any RuleSQLDialect, in scope: RecordScope, remembered: RememberedReads? = nil, on db: any SQLDatabase
    ) async throws -> (page: RecordPage, total: Int) {
        guard let conditions = query.conditions(dialect: dialect) else { return (RecordPage(records: []), 0) }
        return try await list(in: scope, conditions: conditions, sort: query.sort, skip: query.skip, limit: query.limit, remembered: remembered, on: db)
    }
}

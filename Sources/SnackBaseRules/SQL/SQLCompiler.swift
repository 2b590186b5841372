/// Turns a residual into a `WHERE` condition for one dialect. Values only ever become binds; column
/// names come from the checked rule (so from the schema). Every condition it emits is TRUE or FALSE,
/// never NULL: nullable operands are guarded (`x IS NOT NULL AND x < ?`), equality is null-safe, and
/// a comparison with a null constant is folded — so `NOT` never meets SQL's unknown.
public enum SQLCompiler {
    /// `.always` → `.noFilter`, `.never` → `.noRows`, a filter → `.fragment`.
    public static func compile(_ residual: RuleResidual, dialect: some RuleSQLDialect) -> SQLWhere {
        switch residual {
        case .always: .noFilter
        case .never: .noRows
        case .filter(let filter): .fragment(compile(filter, dialect: dialect))
        }
    }

    /// The parenthesized condition for a filter.
    public static func compile(_ filter: RuleFilter, dialect: some RuleSQLDialect) -> SQLFragment {
        var builder = SQLBuilder(dialect: dialect)
        builder.condition(filter.condition)
        return SQLFragment(pieces: builder.pieces)
    }
}

struct SQLBuilder<Dialect: RuleSQLDialect> {
    let dialect: Dialect
    private(set) var pieces: [SQLFragment.Piece] = []

    init(dialect: Dialect) {
        self.dialect = dialect
    }

    private mutating func sql(_ text: String) {
        if case .sql(let previous)? = pieces.last {
            pieces[pieces.count - 1] = .sql(previous + text)
        } else {
            pieces.append(.sql(text))
        }
    }

    private mutating func append(_ more: [SQLFragment.Piece]) {
        for piece in more {
            if case .sql(let text) = piece { sql(text) } else { pieces.append(piece) }
        }
    }

    /// A constant that is not a bindable scalar (null, list): every comparison with it folds.
    private static func isNullLike(_ operand: Operand) -> Bool {
        switch operand {
        case .value(.null), .value(.list): true
        case .value, .field, .condition: false
        }
    }

    /// A bound constant (never NULL once ``isNullLike(_:)`` is false).
    private static func isConstant(_ operand: Operand) -> Bool {
        if case .value = operand { true } else { false }
    }

    /// A column may hold NULL; constants and conditions never are NULL.
    private static func mayBeNull(_ operand: Operand) -> Bool {
        if case .field = operand { true } else { false }
    }

    mutating func condition(_ filter: Filter) {
        switch filter {
        case .not(let operand):
            sql("(NOT ")
            condition(operand)
            sql(")")
        case .and(let operands):
            junction(operands, keyword: " AND ", empty: "TRUE")
        case .or(let operands):
            junction(operands, keyword: " OR ", empty: "FALSE")
        case .isNull(let operand):
            if Self.isNullLike(operand) { sql("TRUE"); return }
            sql("(")
            self.operand(operand)
            sql(" IS NULL)")
        case .equal(let left, let right):
            switch (Self.isNullLike(left), Self.isNullLike(right)) {
            case (true, true): sql("TRUE")
            case (true, false): condition(.isNull(right))
            case (false, true): condition(.isNull(left))
            case (false, false) where dialect.guardsEqualityWithAConstant && (Self.isConstant(left) || Self.isConstant(right)):
                sql("(")
                guards([left, right])
                operand(left)
                sql(" = ")
                operand(right)
                sql(")")
            case (false, false):
                sql("(")
                operand(left)
                sql(" \(dialect.nullSafeEqual) ")
                operand(right)
                sql(")")
            }
        case .order(let op, let left, let right, let collated):
            if Self.isNullLike(left) || Self.isNullLike(right) { sql("FALSE"); return }
            sql("(")
            guards([left, right])
            operand(left)
            if collated { sql(dialect.codePointCollation) }
            sql(" \(op.rawValue) ")
            operand(right)
            sql(")")
        case .member(let element, let members):
            let bindable = members.filter { !Self.isNullLike(.value($0)) }
            if bindable.isEmpty || Self.isNullLike(element) { sql("FALSE"); return }
            sql("(")
            guards([element])
            operand(element)
            sql(" IN (")
            for (index, member) in bindable.enumerated() {
                if index > 0 { sql(", ") }
                pieces.append(.bind(dialect.bindable(member)))
            }
            sql("))")
        case .text(let test, let text, let part):
            if Self.isNullLike(text) || Self.isNullLike(part) { sql("FALSE"); return }
            sql("(")
            guards([text, part])
            append(dialect.textTest(test, text: operandPieces(text), part: operandPieces(part)))
            sql(")")
        }
    }

    private mutating func junction(_ operands: [Filter], keyword: String, empty: String) {
        guard !operands.isEmpty else { sql(empty); return }
        sql("(")
        for (index, operand) in operands.enumerated() {
            if index > 0 { sql(keyword) }
            condition(operand)
        }
        sql(")")
    }

    /// `x IS NOT NULL AND ` for each nullable operand, so the comparison after it is never NULL.
    private mutating func guards(_ operands: [Operand]) {
        for operand in operands where Self.mayBeNull(operand) {
            self.operand(operand)
            sql(" IS NOT NULL AND ")
        }
    }

    private mutating func operand(_ operand: Operand) {
        append(operandPieces(operand))
    }

    private func operandPieces(_ operand: Operand) -> [SQLFragment.Piece] {
        switch operand {
        case .field(let name):
            return [.identifier(name)]
        case .value(let value):
            return [.bind(dialect.bindable(value))]
        case .condition(let filter):
            var nested = SQLBuilder(dialect: dialect)
            nested.condition(filter)
            return nested.pieces
        }
    }
}

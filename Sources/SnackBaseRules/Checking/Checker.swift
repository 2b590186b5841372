/// Resolves names against a schema, checks function calls and types, and desugars the syntax tree
/// into an ``Expr``. Every error is found here, when the rule is saved; later stages trust the result.
struct Checker<Schema: RuleSchema> {
    let schema: Schema
    let allowsData: Bool
    private(set) var referencesData = false

    init(schema: Schema, allowsData: Bool) {
        self.schema = schema
        self.allowsData = allowsData
    }

    /// A whole rule: must be a boolean.
    mutating func checkRule(_ syntax: Syntax) throws(RuleError) -> Expr {
        try condition(syntax)
    }

    /// An expression in a boolean position (`and`, `or`, `not`, the whole rule).
    private mutating func condition(_ syntax: Syntax) throws(RuleError) -> Expr {
        let (expr, type) = try value(syntax)
        guard type == .boolean else {
            throw RuleError(message: "expected a condition (a boolean), found \(type)", position: syntax.position)
        }
        switch expr {
        case .field, .data, .user, .context:
            return .equal(expr, .constant(.bool(true)))
        case .constant, .superadmin, .not, .and, .or, .equal, .order, .member, .anyRole, .text:
            return expr
        }
    }

    private mutating func value(_ syntax: Syntax) throws(RuleError) -> (Expr, RuleType) {
        switch syntax.kind {
        case .string(let text): return (.constant(.text(text)), .text)
        case .number(let number): return (.constant(.number(number)), .number)
        case .boolean(let flag): return (.constant(.bool(flag)), .boolean)
        case .null: return (.constant(.null), .null)
        case .list(let members): return try list(members)
        case .path(let segments): return try path(segments, at: syntax.position)
        case .call(let name, let arguments): return try call(name, arguments, at: syntax.position)
        case .not(let operand): return (.not(try condition(operand)), .boolean)
        case .and(let operands):
            var checked: [Expr] = []
            for operand in operands { checked.append(try condition(operand)) }
            return (.and(checked), .boolean)
        case .or(let operands):
            var checked: [Expr] = []
            for operand in operands { checked.append(try condition(operand)) }
            return (.or(checked), .boolean)
        case .compare(let op, let left, let right):
            return (try compare(op, left, right, at: syntax.position), .boolean)
        case .member(let left, let right, let negated):
            let member = try member(left, right, at: syntax.position)
            return (negated ? .not(member) : member, .boolean)
        }
    }

    // MARK: Literals and names

    private func literalValue(_ syntax: Syntax) -> (RuleValue, RuleType)? {
        switch syntax.kind {
        case .string(let text): (.text(text), .text)
        case .number(let number): (.number(number), .number)
        case .boolean(let flag): (.bool(flag), .boolean)
        case .null: (.null, .null)
        case .list, .path, .call, .not, .and, .or, .compare, .member: nil
        }
    }

    private func list(_ members: [Syntax]) throws(RuleError) -> (Expr, RuleType) {
        var values: [RuleValue] = []
        var element: RuleType?
        for member in members {
            guard let (value, type) = literalValue(member) else {
                throw RuleError(message: "list members must be literals", position: member.position)
            }
            if type != .null {
                if let element, element != type {
                    throw RuleError(message: "list members must all have one type: this \(type) follows a \(element)", position: member.position)
                }
                element = type
            }
            values.append(value)
        }
        return (.constant(.list(values)), .list(element))
    }

    private mutating func path(_ segments: [String], at position: Int) throws(RuleError) -> (Expr, RuleType) {
        let dotted = segments.joined(separator: ".")
        if segments.count == 1 {
            return try field(segments[0], at: position, display: dotted)
        }
        guard segments.count == 2 else {
            throw RuleError(message: "unknown name '\(dotted)' (names have at most one dot)", position: position)
        }
        let name = segments[1]
        switch segments[0] {
        case "record":
            return try field(name, at: position, display: dotted)
        case "user":
            guard let attribute = UserAttribute(rawValue: name) else {
                throw RuleError(message: "unknown name '\(dotted)' (user has id, email, account_id, roles)", position: position)
            }
            return (.user(attribute), attribute == .roles ? .list(.text) : .text)
        case "context":
            guard let attribute = ContextAttribute(rawValue: name) else {
                throw RuleError(message: "unknown name '\(dotted)' (context has account_id, operation, now)", position: position)
            }
            return (.context(attribute), attribute == .now ? .datetime : .text)
        case "data":
            guard allowsData else {
                throw RuleError(message: "'\(dotted)': data.* is only available in create and update rules", position: position)
            }
            guard let type = schema.fieldType(name) else {
                throw RuleError(message: "unknown field '\(name)' in '\(dotted)'", position: position)
            }
            referencesData = true
            return (.data(name), RuleType(type))
        default:
            throw RuleError(message: "unknown name '\(dotted)' (use a field, or record., user., context. or data.)", position: position)
        }
    }

    private func field(_ name: String, at position: Int, display: String) throws(RuleError) -> (Expr, RuleType) {
        guard let type = schema.fieldType(name) else {
            throw RuleError(message: "unknown field '\(display)'", position: position)
        }
        return (.field(name), RuleType(type))
    }

    // MARK: Comparisons

    /// A text literal met by a datetime becomes a datetime (it must be RFC 3339).
    private func coerce(_ expr: Expr, _ type: RuleType, from syntax: Syntax, toMatch other: RuleType) throws(RuleError) -> (Expr, RuleType) {
        guard other == .datetime, type == .text, case .string(let text) = syntax.kind else { return (expr, type) }
        guard let canonical = RuleDateTime.canonical(text) else {
            throw RuleError(message: "expected an RFC 3339 date-time such as \"2024-01-31T12:00:00Z\"", position: syntax.position)
        }
        return (.constant(.datetime(canonical)), .datetime)
    }

    private mutating func compare(_ op: CompareOperator, _ leftSyntax: Syntax, _ rightSyntax: Syntax, at position: Int) throws(RuleError) -> Expr {
        var (left, leftType) = try value(leftSyntax)
        var (right, rightType) = try value(rightSyntax)
        (left, leftType) = try coerce(left, leftType, from: leftSyntax, toMatch: rightType)
        (right, rightType) = try coerce(right, rightType, from: rightSyntax, toMatch: leftType)
        if leftType.isList || rightType.isList {
            let listSyntax = leftType.isList ? leftSyntax : rightSyntax
            throw RuleError(message: "a list can only be used on the right of 'in' or 'not in'", position: listSyntax.position)
        }
        if (leftType == .json && rightType != .null) || (rightType == .json && leftType != .null) {
            throw RuleError(message: "a json field can only be compared with null (== null or != null)", position: position)
        }
        switch op {
        case .equal, .notEqual:
            guard leftType == rightType || leftType == .null || rightType == .null else {
                throw RuleError(message: "cannot compare \(leftType) with \(rightType)", position: position)
            }
            let equal = Expr.equal(left, right)
            return op == .equal ? equal : .not(equal)
        case .less, .lessEqual, .greater, .greaterEqual:
            for type in [leftType, rightType] where type != .null && !type.isOrdered {
                throw RuleError(message: "'\(op.rawValue)' needs numbers, texts or datetimes, found \(type)", position: position)
            }
            guard leftType == rightType || leftType == .null || rightType == .null else {
                throw RuleError(message: "cannot compare \(leftType) with \(rightType)", position: position)
            }
            let collated = leftType == .text || leftType == .datetime || rightType == .text || rightType == .datetime
            return .order(try OrderOperator(op, at: position), left, right, collated: collated)
        }
    }

    private mutating func member(_ leftSyntax: Syntax, _ rightSyntax: Syntax, at position: Int) throws(RuleError) -> Expr {
        let (left, leftType) = try value(leftSyntax)
        var (right, rightType) = try value(rightSyntax)
        guard case .list(var element) = rightType else {
            throw RuleError(message: "'in' needs a list on its right, found \(rightType)", position: rightSyntax.position)
        }
        switch leftType {
        case .list:
            throw RuleError(message: "a list can only be used on the right of 'in' or 'not in'", position: leftSyntax.position)
        case .json:
            throw RuleError(message: "a json field can only be compared with null (== null or != null)", position: position)
        case .null, .boolean, .number, .text, .datetime:
            break
        }
        if leftType == .datetime, element == .text, case .constant(.list(let members)) = right, case .list = rightSyntax.kind {
            var converted: [RuleValue] = []
            for (index, member) in members.enumerated() {
                guard case .text(let text) = member else { converted.append(member); continue }
                guard let canonical = RuleDateTime.canonical(text) else {
                    let memberPosition = if case .list(let syntaxMembers) = rightSyntax.kind, index < syntaxMembers.count {
                        syntaxMembers[index].position
                    } else {
                        rightSyntax.position
                    }
                    throw RuleError(message: "expected an RFC 3339 date-time such as \"2024-01-31T12:00:00Z\"", position: memberPosition)
                }
                converted.append(.datetime(canonical))
            }
            right = .constant(.list(converted))
            element = .datetime
            rightType = .list(.datetime)
        }
        if let element, leftType != .null, element != leftType {
            throw RuleError(message: "cannot look for a \(leftType) in a list of \(element)", position: position)
        }
        return .member(left, try listSource(right, at: rightSyntax.position))
    }

    /// Only list literals and `user.roles` have a list type; anything else is refused, not guessed.
    private func listSource(_ expr: Expr, at position: Int) throws(RuleError) -> ListSource {
        switch expr {
        case .constant(.list(let members)): return .literal(members)
        case .user(.roles): return .userRoles
        case .constant, .field, .data, .user, .context, .superadmin, .not, .and, .or, .equal, .order, .member, .anyRole, .text:
            throw RuleError(message: "expected a list literal or user.roles", position: position)
        }
    }

    // MARK: Functions

    private mutating func call(_ name: String, _ arguments: [Syntax], at position: Int) throws(RuleError) -> (Expr, RuleType) {
        guard let function = BuiltinFunction(rawValue: name) else {
            throw RuleError(message: "unknown function '@\(name)' (known: \(BuiltinFunction.names))", position: position)
        }
        guard function.arity.contains(arguments.count) else {
            let expected = function.arity.lowerBound == function.arity.upperBound
                ? "\(function.arity.lowerBound) argument\(function.arity.lowerBound == 1 ? "" : "s")"
                : "\(function.arity.lowerBound) to \(function.arity.upperBound) arguments"
            throw RuleError(message: "@\(name) takes \(expected), got \(arguments.count): \(function.signature)", position: position)
        }
        switch function {
        case .hasRole:
            let role = try textArgument(arguments[0], of: function)
            return (.member(role, .userRoles), .boolean)
        case .hasAnyRole:
            let (roles, type) = try value(arguments[0])
            guard type == .list(.text) || type == .list(nil) else {
                throw RuleError(message: "@has_any_role needs a list of role names, found \(type)", position: arguments[0].position)
            }
            return (.anyRole(try listSource(roles, at: arguments[0].position)), .boolean)
        case .ownsRecord:
            var owner = "created_by"
            if let argument = arguments.first {
                guard case .string(let name) = argument.kind else {
                    throw RuleError(message: "@owns_record needs a field name as a string literal, e.g. @owns_record(\"owner_id\")", position: argument.position)
                }
                owner = name
            }
            guard let type = schema.fieldType(owner) else {
                throw RuleError(message: "unknown field '\(owner)' in @owns_record", position: arguments.first?.position ?? position)
            }
            guard type == .text else {
                throw RuleError(message: "@owns_record needs a text field holding a user id; '\(owner)' is \(type.rawValue)", position: arguments.first?.position ?? position)
            }
            let ownerIsCaller = Expr.equal(.field(owner), .user(.id))
            return (.and([.not(.equal(.user(.id), .constant(.null))), ownerIsCaller]), .boolean)
        case .isSuperadmin:
            return (.superadmin, .boolean)
        case .contains:
            return (try textTest(.contains, arguments, of: function), .boolean)
        case .startsWith:
            return (try textTest(.startsWith, arguments, of: function), .boolean)
        case .endsWith:
            return (try textTest(.endsWith, arguments, of: function), .boolean)
        }
    }

    private mutating func textTest(_ test: RuleTextTest, _ arguments: [Syntax], of function: BuiltinFunction) throws(RuleError) -> Expr {
        let text = try textArgument(arguments[0], of: function)
        let part = try textArgument(arguments[1], of: function)
        return .text(test, text, part)
    }

    private mutating func textArgument(_ syntax: Syntax, of function: BuiltinFunction) throws(RuleError) -> Expr {
        let (expr, type) = try value(syntax)
        guard type == .text || type == .null else {
            throw RuleError(message: "@\(function.rawValue) needs text arguments, found \(type): \(function.signature)", position: syntax.position)
        }
        return expr
    }
}

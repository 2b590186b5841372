/// Recursive-descent parser for the grammar of rules.md, enforcing ``RuleLimits`` as it goes.
///
/// ```
/// rule       := or
/// or         := and ( ("or" | "||") and )*
/// and        := not ( ("and" | "&&") not )*
/// not        := ("not" | "!") not | comparison
/// comparison := operand ( compop operand | ("in" | "not in") operand )?
/// operand    := literal | path | call | list | "(" rule ")"
/// ```
struct Parser {
    private let tokens: [Token]
    private let source: String
    private var index = 0
    private var depth = 0
    private var nodes = 0

    private init(tokens: [Token], source: String) {
        self.tokens = tokens
        self.source = source
    }

    /// Parses a whole rule. Errors carry UTF-8 offsets.
    static func parse(_ source: String) throws(RuleError) -> Syntax {
        let length = source.utf8.count
        if length > RuleLimits.maxSourceBytes {
            throw RuleError(message: "rule is too long (at most \(RuleLimits.maxSourceBytes) bytes)", position: RuleLimits.maxSourceBytes)
        }
        var parser = Parser(tokens: try Lexer.tokenize(source), source: source)
        if parser.current.kind == .end {
            throw RuleError(message: "empty rule (write true or false for a constant rule)", position: parser.current.start)
        }
        let rule = try parser.parseOr()
        if parser.current.kind != .end {
            throw parser.unexpected("expected 'and', 'or' or the end of the rule")
        }
        return rule
    }

    private var current: Token { tokens[index] }

    private mutating func advance() { if index < tokens.count - 1 { index += 1 } }

    private func text(of token: Token) -> String {
        let utf8 = source.utf8
        let start = utf8.index(utf8.startIndex, offsetBy: token.start)
        let end = utf8.index(utf8.startIndex, offsetBy: token.end)
        return String(source[start..<end])
    }

    private func unexpected(_ expectation: String) -> RuleError {
        let token = current
        if token.kind == .end {
            return RuleError(message: "\(expectation), found the end of the rule", position: token.start)
        }
        var found = text(of: token)
        if found.count > 24 { found = String(found.prefix(24)) + "…" }
        var message = "\(expectation), found '\(found)'"
        if case .identifier(let name) = token.kind, Keyword(rawValue: name.lowercased()) != nil {
            message += " (keywords are lower case: '\(name.lowercased())')"
        }
        return RuleError(message: message, position: token.start)
    }

    private mutating func node(at position: Int) throws(RuleError) {
        nodes += 1
        if nodes > RuleLimits.maxNodes {
            throw RuleError(message: "rule is too large (at most \(RuleLimits.maxNodes) nodes)", position: position)
        }
    }

    private mutating func enter(at position: Int) throws(RuleError) {
        depth += 1
        if depth > RuleLimits.maxDepth {
            throw RuleError(message: "rule is nested too deeply (at most \(RuleLimits.maxDepth) levels)", position: position)
        }
    }

    private mutating func leave() { depth -= 1 }

    private mutating func parseOr() throws(RuleError) -> Syntax {
        let first = try parseAnd()
        guard current.kind == .keyword(.or) else { return first }
        let position = current.start
        var operands = [first]
        while current.kind == .keyword(.or) {
            advance()
            operands.append(try parseAnd())
        }
        try node(at: position)
        return Syntax(kind: .or(operands), position: position)
    }

    private mutating func parseAnd() throws(RuleError) -> Syntax {
        let first = try parseNot()
        guard current.kind == .keyword(.and) else { return first }
        let position = current.start
        var operands = [first]
        while current.kind == .keyword(.and) {
            advance()
            operands.append(try parseNot())
        }
        try node(at: position)
        return Syntax(kind: .and(operands), position: position)
    }

    private mutating func parseNot() throws(RuleError) -> Syntax {
        guard current.kind == .keyword(.not) else { return try parseComparison() }
        let position = current.start
        try enter(at: position)
        advance()
        let operand = try parseNot()
        leave()
        try node(at: position)
        return Syntax(kind: .not(operand), position: position)
    }

    private mutating func parseComparison() throws(RuleError) -> Syntax {
        let left = try parseOperand()
        let position = current.start
        let result: Syntax
        if let op = compareOperator(current.kind) {
            advance()
            let right = try parseOperand()
            try node(at: position)
            result = Syntax(kind: .compare(op, left, right), position: position)
        } else if current.kind == .keyword(.in) {
            advance()
            let right = try parseOperand()
            try node(at: position)
            result = Syntax(kind: .member(left, right, negated: false), position: position)
        } else if current.kind == .keyword(.not), tokens[index + 1].kind == .keyword(.in) {
            advance()
            advance()
            let right = try parseOperand()
            try node(at: position)
            result = Syntax(kind: .member(left, right, negated: true), position: position)
        } else {
            return left
        }
        if compareOperator(current.kind) != nil || current.kind == .keyword(.in)
            || (current.kind == .keyword(.not) && tokens[index + 1].kind == .keyword(.in)) {
            throw RuleError(message: "comparisons cannot be chained; add parentheses", position: current.start)
        }
        return result
    }

    private func compareOperator(_ kind: TokenKind) -> CompareOperator? {
        switch kind {
        case .equal: .equal
        case .notEqual: .notEqual
        case .less: .less
        case .lessEqual: .lessEqual
        case .greater: .greater
        case .greaterEqual: .greaterEqual
        default: nil
        }
    }

    private mutating func parseOperand() throws(RuleError) -> Syntax {
        let token = current
        switch token.kind {
        case .string(let value):
            advance()
            try node(at: token.start)
            return Syntax(kind: .string(value), position: token.start)
        case .number(let value):
            advance()
            try node(at: token.start)
            return Syntax(kind: .number(value), position: token.start)
        case .keyword(.true), .keyword(.false), .keyword(.null):
            return try parseLiteral()
        case .identifier:
            return try parsePath()
        case .at:
            return try parseCall()
        case .leftBracket:
            return try parseList()
        case .leftParen:
            try enter(at: token.start)
            advance()
            let inner = try parseOr()
            guard current.kind == .rightParen else { throw unexpected("expected ')' to close the '(' at \(characterOffset(token.start))") }
            advance()
            leave()
            return inner
        case .keyword(.not):
            // Only reachable as `a == not b`: `not` binds looser than comparisons.
            throw RuleError(message: "'not' applies to a whole comparison here; add parentheses: (not …)", position: token.start)
        default:
            throw unexpected("expected a value")
        }
    }

    private func characterOffset(_ utf8Offset: Int) -> Int {
        RuleError.characterOffset(ofUTF8Offset: utf8Offset, in: source)
    }

    private mutating func parseLiteral() throws(RuleError) -> Syntax {
        let token = current
        let kind: Syntax.Kind
        switch token.kind {
        case .string(let value): kind = .string(value)
        case .number(let value): kind = .number(value)
        case .keyword(.true): kind = .boolean(true)
        case .keyword(.false): kind = .boolean(false)
        case .keyword(.null): kind = .null
        default: throw unexpected("expected a literal (a string, number, true, false or null)")
        }
        advance()
        try node(at: token.start)
        return Syntax(kind: kind, position: token.start)
    }

    private mutating func parsePath() throws(RuleError) -> Syntax {
        let start = current.start
        var segments: [String] = []
        guard case .identifier(let first) = current.kind else { throw unexpected("expected a name") }
        segments.append(first)
        advance()
        while current.kind == .dot {
            advance()
            switch current.kind {
            case .identifier(let name): segments.append(name)
            // A field may be named like a keyword (`record.in`); after a dot it is a name.
            case .keyword(let keyword): segments.append(keyword.rawValue)
            default: throw unexpected("expected a name after '.'")
            }
            advance()
        }
        if current.kind == .leftParen {
            throw RuleError(message: "function calls start with '@': @\(segments.joined(separator: "."))(…)", position: start)
        }
        try node(at: start)
        return Syntax(kind: .path(segments), position: start)
    }

    private mutating func parseCall() throws(RuleError) -> Syntax {
        let start = current.start
        advance()
        guard case .identifier(let name) = current.kind else { throw unexpected("expected a function name after '@'") }
        advance()
        guard current.kind == .leftParen else { throw unexpected("expected '(' after @\(name)") }
        try enter(at: current.start)
        advance()
        var arguments: [Syntax] = []
        if current.kind != .rightParen {
            while true {
                arguments.append(try parseOr())
                if current.kind == .comma { advance(); continue }
                break
            }
        }
        guard current.kind == .rightParen else { throw unexpected("expected ',' or ')' in the arguments of @\(name)") }
        advance()
        leave()
        try node(at: start)
        return Syntax(kind: .call(name, arguments), position: start)
    }

    private mutating func parseList() throws(RuleError) -> Syntax {
        let start = current.start
        try enter(at: start)
        advance()
        var members: [Syntax] = []
        if current.kind != .rightBracket {
            while true {
                if members.count == RuleLimits.maxListLength {
                    throw RuleError(message: "list is too long (at most \(RuleLimits.maxListLength) members)", position: current.start)
                }
                members.append(try parseLiteral())
                if current.kind == .comma { advance(); continue }
                break
            }
        }
        guard current.kind == .rightBracket else { throw unexpected("expected ',' or ']' in a list") }
        advance()
        leave()
        try node(at: start)
        return Syntax(kind: .list(members), position: start)
    }
}

/// Turns a rule's source into tokens. Works on UTF-8 bytes; non-ASCII text can only appear inside strings.
struct Lexer {
    private let source: String
    private let bytes: [UInt8]
    private var offset = 0

    init(_ source: String) {
        self.source = source
        self.bytes = Array(source.utf8)
    }

    /// All tokens, ending with `.end`.
    static func tokenize(_ source: String) throws(RuleError) -> [Token] {
        var lexer = Lexer(source)
        var tokens: [Token] = []
        tokens.reserveCapacity(lexer.bytes.count / 3 + 2)
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    private func peek(_ ahead: Int = 0) -> UInt8? {
        let index = offset + ahead
        return index < bytes.count ? bytes[index] : nil
    }

    private mutating func next() throws(RuleError) -> Token {
        while let byte = peek(), byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
            offset += 1
        }
        let start = offset
        guard let byte = peek() else { return Token(kind: .end, start: start, end: start) }

        func single(_ kind: TokenKind, length: Int = 1) -> Token {
            Token(kind: kind, start: start, end: start + length)
        }
        switch byte {
        case UInt8(ascii: "("): offset += 1; return single(.leftParen)
        case UInt8(ascii: ")"): offset += 1; return single(.rightParen)
        case UInt8(ascii: "["): offset += 1; return single(.leftBracket)
        case UInt8(ascii: "]"): offset += 1; return single(.rightBracket)
        case UInt8(ascii: ","): offset += 1; return single(.comma)
        case UInt8(ascii: "."): offset += 1; return single(.dot)
        case UInt8(ascii: "@"): offset += 1; return single(.at)
        case UInt8(ascii: "="):
            let length = peek(1) == UInt8(ascii: "=") ? 2 : 1
            offset += length
            return single(.equal, length: length)
        case UInt8(ascii: "!"):
            if peek(1) == UInt8(ascii: "=") { offset += 2; return single(.notEqual, length: 2) }
            offset += 1
            return single(.keyword(.not))
        case UInt8(ascii: "<"):
            if peek(1) == UInt8(ascii: "=") { offset += 2; return single(.lessEqual, length: 2) }
            offset += 1
            return single(.less)
        case UInt8(ascii: ">"):
            if peek(1) == UInt8(ascii: "=") { offset += 2; return single(.greaterEqual, length: 2) }
            offset += 1
            return single(.greater)
        case UInt8(ascii: "&"):
            guard peek(1) == UInt8(ascii: "&") else { throw RuleError(message: "unexpected '&' (did you mean '&&' or 'and'?)", position: start) }
            offset += 2
            return single(.keyword(.and), length: 2)
        case UInt8(ascii: "|"):
            guard peek(1) == UInt8(ascii: "|") else { throw RuleError(message: "unexpected '|' (did you mean '||' or 'or'?)", position: start) }
            offset += 2
            return single(.keyword(.or), length: 2)
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            return try string(quote: byte)
        case UInt8(ascii: "-"):
            guard let following = peek(1), Self.isDigit(following) else {
                throw RuleError(message: "unexpected '-' (a minus sign must be followed by digits)", position: start)
            }
            return try number()
        default:
            if Self.isDigit(byte) { return try number() }
            if Self.isIdentifierStart(byte) { return identifier() }
            throw RuleError(message: "unexpected character '\(scalar(at: start))'", position: start)
        }
    }

    private func scalar(at utf8Offset: Int) -> String {
        let index = source.utf8.index(source.utf8.startIndex, offsetBy: utf8Offset)
        let scalar = source.unicodeScalars[index]
        if scalar.value < 0x20 || scalar.value == 0x7F {
            return "\\u{" + String(scalar.value, radix: 16) + "}"
        }
        return String(scalar)
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    static func isIdentifierStart(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || byte == 0x5F
    }

    static func isIdentifierContinue(_ byte: UInt8) -> Bool { isIdentifierStart(byte) || isDigit(byte) }

    private mutating func identifier() -> Token {
        let start = offset
        while let byte = peek(), Self.isIdentifierContinue(byte) { offset += 1 }
        let text = String(decoding: bytes[start..<offset], as: UTF8.self)
        if let keyword = Keyword(rawValue: text) {
            return Token(kind: .keyword(keyword), start: start, end: offset)
        }
        return Token(kind: .identifier(text), start: start, end: offset)
    }

    private mutating func number() throws(RuleError) -> Token {
        let start = offset
        if peek() == UInt8(ascii: "-") { offset += 1 }
        while let byte = peek(), Self.isDigit(byte) { offset += 1 }
        if peek() == UInt8(ascii: ".") {
            guard let following = peek(1), Self.isDigit(following) else {
                throw RuleError(message: "expected digits after the decimal point", position: offset)
            }
            offset += 1
            while let byte = peek(), Self.isDigit(byte) { offset += 1 }
        }
        if let byte = peek(), Self.isIdentifierContinue(byte) || byte == UInt8(ascii: ".") {
            throw RuleError(message: "malformed number (numbers are digits with an optional decimal part)", position: start)
        }
        let text = String(decoding: bytes[start..<offset], as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            throw RuleError(message: "number out of range", position: start)
        }
        return Token(kind: .number(value), start: start, end: offset)
    }

    private mutating func string(quote: UInt8) throws(RuleError) -> Token {
        let start = offset
        offset += 1
        var content: [UInt8] = []
        while true {
            guard let byte = peek() else {
                throw RuleError(message: "unterminated string", position: start)
            }
            if byte == quote {
                offset += 1
                return Token(kind: .string(String(decoding: content, as: UTF8.self)), start: start, end: offset)
            }
            if byte == UInt8(ascii: "\\") {
                let escape: UInt8
                switch peek(1) {
                case UInt8(ascii: "\\"): escape = UInt8(ascii: "\\")
                case UInt8(ascii: "'"): escape = UInt8(ascii: "'")
                case UInt8(ascii: "\""): escape = UInt8(ascii: "\"")
                case UInt8(ascii: "n"): escape = 0x0A
                case UInt8(ascii: "t"): escape = 0x09
                default:
                    throw RuleError(message: "unknown escape (use \\\\, \\', \\\", \\n or \\t)", position: offset)
                }
                content.append(escape)
                offset += 2
                continue
            }
            if byte == 0 {
                // PostgreSQL cannot hold U+0000 in text, and SQLite's text functions stop at it.
                throw RuleError(message: "a string cannot contain the NUL character", position: offset)
            }
            content.append(byte)
            offset += 1
        }
    }
}

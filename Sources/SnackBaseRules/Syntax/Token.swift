/// Lower-case keywords of the rule language.
enum Keyword: String, Sendable, CaseIterable {
    case and, or, not, `in`, `true`, `false`, null
}

enum TokenKind: Equatable, Sendable {
    case identifier(String)
    case string(String)
    case number(Double)
    /// `&&`, `||` and `!` are lexed as the keywords they stand for.
    case keyword(Keyword)
    case at, leftParen, rightParen, leftBracket, rightBracket, comma, dot
    case equal, notEqual, less, lessEqual, greater, greaterEqual
    case end
}

/// One token; `start` and `end` are UTF-8 offsets into the source.
struct Token: Sendable {
    var kind: TokenKind
    var start: Int
    var end: Int
}

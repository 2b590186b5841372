/// A rule that cannot be saved: what is wrong, and where.
///
/// `position` is a 0-based offset in characters (Swift `Character`s) into the rule's source, so
/// a client can point at it; ``caretDescription(source:)`` does that for a terminal:
///
/// ```
/// status == 'draft' and
///                      ^ expected a value, found the end of the rule
/// ```
public struct RuleError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public let position: Int

    public init(message: String, position: Int) {
        self.message = message
        self.position = position
    }

    public var description: String { "\(message) (at \(position))" }

    /// The line of `source` that holds the error, a caret under the position, and the message.
    public func caretDescription(source: String) -> String {
        var lineStart = 0
        var offset = 0
        var line: [Character] = []
        var column = 0
        var found = false
        for character in source {
            if offset == position { column = offset - lineStart; found = true }
            if character == "\n" || character == "\r\n" {
                if found { break }
                lineStart = offset + 1
                line.removeAll(keepingCapacity: true)
            } else {
                line.append(character)
            }
            offset += 1
        }
        if !found { column = max(0, offset - lineStart) }
        var caretLine = ""
        for (index, character) in line.prefix(column).enumerated() where index < column {
            caretLine.append(character == "\t" ? "\t" : " ")
        }
        return String(line) + "\n" + caretLine + "^ " + message
    }
}

extension RuleError {
    /// Errors are raised with UTF-8 offsets inside the engine; the façade turns them into character offsets.
    func inCharacters(of source: String) -> RuleError {
        RuleError(message: message, position: Self.characterOffset(ofUTF8Offset: position, in: source))
    }

    static func characterOffset(ofUTF8Offset offset: Int, in source: String) -> Int {
        let utf8 = source.utf8
        guard offset > 0 else { return 0 }
        guard offset < utf8.count else { return source.count + (offset - utf8.count) }
        var index = utf8.index(utf8.startIndex, offsetBy: offset)
        // Step back to the start of the scalar, then count the characters before it.
        while index > utf8.startIndex, UTF8.isContinuation(utf8[index]) {
            index = utf8.index(before: index)
        }
        return source[..<index].count
    }
}

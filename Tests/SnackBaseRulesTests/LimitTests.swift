import SnackBaseRules
import Testing

/// Rules are bounded: length, depth, node count, list length.
struct LimitTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let rule: String
        /// nil: the rule is accepted.
        let message: String?
        var position = 0
        var testDescription: String { name }
    }

    static let padded = "status == '" + String(repeating: "x", count: 4096 - 12) + "'"

    static let cases: [Case] = [
        Case(name: "4096 bytes is accepted", rule: padded, message: nil),
        Case(name: "4097 bytes is too long", rule: padded + " ", message: "rule is too long", position: 4096),
        Case(name: "4097 bytes counted in UTF-8", rule: "status == '" + String(repeating: "é", count: 2043) + "'", message: "rule is too long", position: 2053),
        Case(name: "64 parentheses", rule: String(repeating: "(", count: 64) + "true" + String(repeating: ")", count: 64), message: nil),
        Case(name: "65 parentheses", rule: String(repeating: "(", count: 65) + "true" + String(repeating: ")", count: 65), message: "nested too deeply", position: 64),
        Case(name: "64 nots", rule: String(repeating: "not ", count: 64) + "true", message: nil),
        Case(name: "65 nots", rule: String(repeating: "not ", count: 65) + "true", message: "nested too deeply", position: 256),
        Case(name: "65 bangs", rule: String(repeating: "!", count: 65) + "true", message: "nested too deeply", position: 64),
        Case(name: "nested calls count", rule: String(repeating: "@contains(", count: 65) + "", message: "nested too deeply", position: 649),
        Case(name: "1024 nodes", rule: Array(repeating: "1==1", count: 341).joined(separator: "||"), message: nil),
        Case(name: "1025 nodes", rule: Array(repeating: "1==1", count: 342).joined(separator: "||"), message: "rule is too large", position: 2049),
        Case(name: "256 list members", rule: "priority in [" + Array(repeating: "0", count: 256).joined(separator: ",") + "]", message: nil),
        Case(name: "257 list members", rule: "priority in [" + Array(repeating: "0", count: 257).joined(separator: ",") + "]", message: "list is too long", position: 525),
    ]

    @Test("limit", arguments: cases)
    func limit(_ c: Case) {
        do {
            _ = try RuleEngine.check(c.rule, schema: Fixtures.posts, allowsData: false)
            #expect(c.message == nil, "accepted")
        } catch {
            #expect(c.message.map { error.message.contains($0) } == true, "\(error.message)")
            #expect(error.position == c.position, "\(error.message)")
        }
    }

    @Test func limitsAreTheDocumentedOnes() {
        #expect(RuleLimits.maxSourceBytes == 4096)
        #expect(RuleLimits.maxDepth == 64)
        #expect(RuleLimits.maxNodes == 1024)
        #expect(RuleLimits.maxListLength == 256)
    }
}

import SnackBaseRules
import Testing

/// Every error names what is wrong and where (0-based character offset).
struct RuleErrorTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let rule: String
        let message: String
        let position: Int
        var allowsData = false
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        // Lexer
        Case(name: "empty rule", rule: "", message: "empty rule", position: 0),
        Case(name: "blank rule", rule: "  ", message: "empty rule", position: 2),
        Case(name: "unterminated string", rule: #"status == "draft"#, message: "unterminated string", position: 10),
        Case(name: "unknown escape", rule: #"status == 'a\q'"#, message: "unknown escape", position: 12),
        Case(name: "single ampersand", rule: "status & x", message: "unexpected '&'", position: 7),
        Case(name: "single bar", rule: "true | false", message: "unexpected '|'", position: 5),
        Case(name: "unexpected character", rule: "priority == $1", message: "unexpected character '$'", position: 12),
        Case(name: "lone minus", rule: "priority == - 1", message: "unexpected '-'", position: 12),
        Case(name: "decimal point without digits", rule: "priority == 1.", message: "expected digits after the decimal point", position: 13),
        Case(name: "number glued to a name", rule: "priority == 12abc", message: "malformed number", position: 12),
        Case(name: "exponent is not supported", rule: "priority == 1e5", message: "malformed number", position: 12),
        Case(name: "position counts characters, not bytes", rule: "'日本' == nope", message: "unknown field 'nope'", position: 8),
        Case(name: "NUL inside a string", rule: "status == 'a\u{0}'", message: "cannot contain the NUL character", position: 12),
        Case(name: "non-ASCII outside a string", rule: "status == é", message: "unexpected character 'é'", position: 10),
        // Parser
        Case(name: "missing right operand", rule: "status ==", message: "expected a value, found the end of the rule", position: 9),
        Case(name: "dangling and", rule: "status == 'a' and", message: "expected a value", position: 17),
        Case(name: "unclosed parenthesis", rule: "(status == 'a'", message: "expected ')'", position: 14),
        Case(name: "stray closing parenthesis", rule: "status == 'a' )", message: "expected 'and', 'or' or the end of the rule, found ')'", position: 14),
        Case(name: "chained comparison", rule: "priority == 1 == true", message: "comparisons cannot be chained", position: 14),
        Case(name: "upper-case keyword", rule: "status == 'a' AND priority > 1", message: "keywords are lower case: 'and'", position: 14),
        Case(name: "call without @", rule: "has_role('admin')", message: "function calls start with '@'", position: 0),
        Case(name: "@ without a name", rule: "@('admin')", message: "expected a function name after '@'", position: 1),
        Case(name: "call without parentheses", rule: "@is_superadmin", message: "expected '(' after @is_superadmin", position: 14),
        Case(name: "unclosed call", rule: "@has_role('a' 'b')", message: "expected ',' or ')'", position: 14),
        Case(name: "list member not a literal", rule: "status in [priority]", message: "expected a literal", position: 11),
        Case(name: "unclosed list", rule: "status in ['a'", message: "expected ',' or ']'", position: 14),
        Case(name: "not inside a comparison", rule: "published == not published", message: "'not' applies to a whole comparison", position: 13),
        Case(name: "not without in", rule: "status not 'a'", message: "expected 'and', 'or' or the end of the rule, found 'not'", position: 7),
        Case(name: "bare not", rule: "not", message: "expected a value", position: 3),
        Case(name: "dot without name", rule: "user. == 'a'", message: "expected a name after '.'", position: 6),
        Case(name: "error on a later line", rule: "status == 'x'\n  and priorty > 1", message: "unknown field 'priorty'", position: 20),
        // Names
        Case(name: "unknown field", rule: "unknown_field == 1", message: "unknown field 'unknown_field'", position: 0),
        Case(name: "unknown record field", rule: "record.nope == 1", message: "unknown field 'record.nope'", position: 0),
        Case(name: "unknown user attribute", rule: "user.name == 'x'", message: "unknown name 'user.name'", position: 0),
        Case(name: "unknown context attribute", rule: "true and context.foo == 'x'", message: "unknown name 'context.foo'", position: 9),
        Case(name: "unknown namespace", rule: "request.ip == 'x'", message: "unknown name 'request.ip'", position: 0),
        Case(name: "too many dots", rule: "user.id.x == 'x'", message: "at most one dot", position: 0),
        Case(name: "data outside create/update", rule: "data.status == 'x'", message: "data.* is only available in create and update rules", position: 0),
        Case(name: "unknown data field", rule: "data.nope == 'x'", message: "unknown field 'nope'", position: 0, allowsData: true),
        // Functions
        Case(name: "unknown function", rule: "true or @nope()", message: "unknown function '@nope'", position: 8),
        Case(name: "missing argument", rule: "@has_role()", message: "@has_role takes 1 argument, got 0", position: 0),
        Case(name: "extra argument", rule: "@is_superadmin(1)", message: "@is_superadmin takes 0 arguments, got 1", position: 0),
        Case(name: "has_role needs text", rule: "@has_role(1)", message: "@has_role needs text arguments, found number", position: 10),
        Case(name: "has_any_role needs a list", rule: #"@has_any_role("admin")"#, message: "@has_any_role needs a list of role names, found text", position: 14),
        Case(name: "owns_record needs a string literal", rule: "@owns_record(owner_id)", message: "@owns_record needs a field name as a string literal", position: 13),
        Case(name: "owns_record unknown field", rule: "@owns_record('nope')", message: "unknown field 'nope' in @owns_record", position: 13),
        Case(name: "owns_record non-text field", rule: "@owns_record('priority')", message: "'priority' is number", position: 13),
        Case(name: "contains needs text", rule: "@contains(priority, '1')", message: "@contains needs text arguments, found number", position: 10),
        // Types
        Case(name: "rule is not a condition", rule: "status", message: "expected a condition (a boolean), found text", position: 0),
        Case(name: "and operand is not a condition", rule: "true and priority", message: "found number", position: 9),
        Case(name: "null is not a condition", rule: "null", message: "found null", position: 0),
        Case(name: "number vs text", rule: "priority == '3'", message: "cannot compare number with text", position: 9),
        Case(name: "text vs boolean", rule: "status != true", message: "cannot compare text with boolean", position: 7),
        Case(name: "ordering booleans", rule: "published < true", message: "'<' needs numbers, texts or datetimes, found boolean", position: 10),
        Case(name: "ordering mixed", rule: "priority > status", message: "cannot compare number with text", position: 9),
        Case(name: "in needs a list", rule: "title in 'abc'", message: "'in' needs a list on its right, found text", position: 9),
        Case(name: "list on the left", rule: "['a'] in ['a']", message: "a list can only be used on the right of 'in'", position: 0),
        Case(name: "list in ==", rule: "status == ['a']", message: "a list can only be used on the right of 'in'", position: 10),
        Case(name: "wrong list type", rule: "priority in ['a']", message: "cannot look for a number in a list of text", position: 9),
        Case(name: "mixed list", rule: "status in [1, 'a']", message: "list members must all have one type", position: 14),
        Case(name: "json vs text", rule: "tags == 'x'", message: "a json field can only be compared with null", position: 5),
        Case(name: "json in list", rule: "tags in ['x']", message: "a json field can only be compared with null", position: 5),
        Case(name: "bad datetime literal", rule: "created_at > 'yesterday'", message: "expected an RFC 3339 date-time", position: 13),
        Case(name: "bad datetime list member", rule: #"created_at in ["2024-01-01T00:00:00Z", "nope"]"#, message: "expected an RFC 3339 date-time", position: 39),
        Case(name: "datetime vs text field", rule: "created_at == status", message: "cannot compare datetime with text", position: 11),
        Case(name: "datetime vs number", rule: "context.now > 5", message: "cannot compare datetime with number", position: 12),
    ]

    @Test("error message and position", arguments: cases)
    func error(_ c: Case) {
        do {
            _ = try RuleEngine.check(c.rule, schema: Fixtures.posts, allowsData: c.allowsData)
            Issue.record("\(c.rule) was accepted")
        } catch {
            #expect(error.message.contains(c.message), "\(error.message)")
            #expect(error.position == c.position, "\(error.message)")
        }
    }

    @Test func caretDescription() {
        let error = RuleError(message: "unknown field 'priorty'", position: 20)
        let text = error.caretDescription(source: "status == 'x'\n  and priorty > 1")
        #expect(text == "  and priorty > 1\n      ^ unknown field 'priorty'")
        let atEnd = RuleError(message: "expected a value", position: 9).caretDescription(source: "status ==")
        #expect(atEnd == "status ==\n         ^ expected a value")
    }
}

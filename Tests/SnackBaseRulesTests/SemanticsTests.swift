import SnackBaseRules
import Testing

/// The semantics rules.md fixes: syntax variants, precedence, null, types, texts, datetimes, data.*.
struct SemanticsTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let rule: String
        var caller: RuleCaller = Fixtures.alice
        var record: [String: RuleValue] = [:]
        var data: [String: RuleValue]? = nil
        var operation = "read"
        let expected: Bool
        var testDescription: String { name }
    }

    static let record: [String: RuleValue] = [
        "id": .text("rec_1"), "created_by": .text("usr_alice"), "status": .text("draft"), "title": .text("Hello World"),
        "priority": .number(5), "published": .bool(true),
        "published_at": .datetime("2025-01-15T10:00:00.000Z"), "created_at": .datetime("2025-01-01T00:00:00.000Z"),
    ]

    static let cases: [Case] = [
        // Synonyms and precedence
        Case(name: "= is ==", rule: "status = 'draft'", record: record, expected: true),
        Case(name: "&& is and", rule: "status == 'draft' && priority > 1", record: record, expected: true),
        Case(name: "|| is or", rule: "status == 'x' || priority > 1", record: record, expected: true),
        Case(name: "! is not", rule: "!(status == 'draft')", record: record, expected: false),
        Case(name: "!= is not ==", rule: "status != 'draft'", record: record, expected: false),
        Case(name: "not binds looser than comparison", rule: "not status == 'archived'", record: record, expected: true),
        Case(name: "and binds tighter than or", rule: "true or false and false", expected: true),
        Case(name: "parentheses override", rule: "(true or false) and false", expected: false),
        Case(name: "not not", rule: "not not true", expected: true),
        Case(name: "record. prefix", rule: "record.status == 'draft'", record: record, expected: true),
        Case(name: "single-quoted escapes", rule: #"'it\'s' == "it's""#, expected: true),
        Case(name: "escape sequences", rule: #""a\tb\nc\\" == 'a"# + "\t" + "b\n" + #"c\\'"#, expected: true),
        Case(name: "negative number", rule: "-1.5 < 0", expected: true),
        Case(name: "whitespace is free", rule: " \n\tstatus\n==\t'draft' ", record: record, expected: true),
        // Null
        Case(name: "null == null", rule: "null == null", expected: true),
        Case(name: "missing field is null", rule: "content == null", record: record, expected: true),
        Case(name: "null != text is true", rule: "content != 'a'", record: record, expected: true),
        Case(name: "ordering with null is false", rule: "content < 'a'", record: record, expected: false),
        Case(name: "not of ordering with null is true", rule: "not (priority < 5)", record: [:], expected: true),
        Case(name: "null in list is false", rule: "content in ['a', 'b']", record: record, expected: false),
        Case(name: "null not in list is true", rule: "content not in ['a', 'b']", record: record, expected: true),
        Case(name: "null literal in list matches nothing", rule: "content in [null]", record: record, expected: false),
        Case(name: "bare boolean field true", rule: "published", record: record, expected: true),
        Case(name: "bare boolean field null is false", rule: "published", record: [:], expected: false),
        Case(name: "not of null boolean field is true", rule: "not published", record: [:], expected: true),
        Case(name: "boolean field compared with false", rule: "published == false", record: ["published": .bool(false)], expected: true),
        Case(name: "json field == null", rule: "tags == null", record: [:], expected: true),
        Case(name: "json field != null", rule: "tags != null", record: ["tags": .text("[1]")], expected: true),
        // Numbers
        Case(name: "integer equals decimal", rule: "priority == 5.0", record: record, expected: true),
        Case(name: "2^53 is exact", rule: "9007199254740992 == priority", record: ["priority": .number(9_007_199_254_740_992)], expected: true),
        Case(name: "number in list", rule: "priority in [1, 5, 9]", record: record, expected: true),
        Case(name: "number not in list", rule: "priority not in [1, 9]", record: record, expected: true),
        // Texts: binary, code-point order, case-sensitive
        Case(name: "upper case sorts before lower case", rule: "'Z' < 'a'", expected: true),
        Case(name: "code-point order beyond ASCII", rule: "'z' < 'é'", expected: true),
        Case(name: "no canonical equivalence", rule: "'\u{E9}' == 'e\u{301}'", expected: false),
        Case(name: "contains", rule: "@contains(title, 'World')", record: record, expected: true),
        Case(name: "contains is case-sensitive", rule: "@contains(title, 'world')", record: record, expected: false),
        Case(name: "contains empty", rule: "@contains(title, '')", record: record, expected: true),
        Case(name: "starts_with", rule: "@starts_with(title, 'Hello')", record: record, expected: true),
        Case(name: "starts_with longer prefix", rule: "@starts_with('He', 'Hello')", expected: false),
        Case(name: "ends_with", rule: "@ends_with(title, 'World')", record: record, expected: true),
        Case(name: "ends_with empty", rule: "@ends_with(title, '')", record: record, expected: true),
        Case(name: "text function with null is false", rule: "@contains(content, 'a')", record: record, expected: false),
        Case(name: "not of text function with null is true", rule: "not @starts_with(content, 'a')", record: record, expected: true),
        // Datetimes
        Case(name: "datetime vs RFC 3339 literal", rule: "published_at > '2025-01-15T09:59:59Z'", record: record, expected: true),
        Case(name: "datetime literal with offset", rule: "published_at == '2025-01-15T12:00:00+02:00'", record: record, expected: true),
        Case(name: "datetime literal with fraction", rule: "published_at < '2025-01-15T10:00:00.0001Z'", record: record, expected: false),
        Case(name: "datetime in list of literals", rule: "published_at in ['2025-01-15T11:00:00+01:00']", record: record, expected: true),
        Case(name: "context.now", rule: "published_at < context.now", record: record, expected: true),
        Case(name: "a datetime handed over as canonical text", rule: "published_at == '2025-01-15T10:00:00Z'", record: ["published_at": .text("2025-01-15T10:00:00.000Z")], expected: true),
        Case(name: "two datetime fields", rule: "created_at < published_at", record: record, expected: true),
        // user.* and context.*
        Case(name: "role in user.roles", rule: "'author' in user.roles", expected: true),
        Case(name: "has_role with a field", rule: "@has_role(status)", record: ["status": .text("author")], expected: true),
        Case(name: "user.account_id == context.account_id", rule: "user.account_id == context.account_id", expected: true),
        Case(name: "context.operation", rule: "context.operation == 'update'", operation: "update", expected: true),
        Case(name: "anonymous email is null", rule: "user.email == null", caller: Fixtures.anonymous, expected: true),
        Case(name: "anonymous has no roles", rule: "@has_any_role(['anonymous'])", caller: Fixtures.anonymous, expected: false),
        Case(name: "owns_record compares with user.id", rule: "created_by == user.id", record: record, expected: true),
        // data.*
        Case(name: "data field as sent", rule: "data.status == 'draft'", data: ["status": .text("draft")], expected: true),
        Case(name: "absent data field is null", rule: "data.status == null", data: [:], expected: true),
        Case(name: "data compared with the stored record", rule: "data.priority >= priority", record: record, data: ["priority": .number(6)], expected: true),
        Case(name: "data.* without a body is null", rule: "data.title != null", data: nil, expected: false),
    ]

    @Test("rule semantics", arguments: cases)
    func semantics(_ c: Case) throws {
        let rule = try RuleEngine.check(c.rule, schema: Fixtures.posts, allowsData: true)
        let context = Fixtures.context(c.caller, operation: c.operation)
        #expect(rule.evaluate(context: context, record: c.record, data: c.data) == c.expected)
        if c.data == nil {
            let fromResidual: Bool = switch rule.residual(context: context) {
            case .always: true
            case .never: false
            case .filter(let filter): filter.matches(record: c.record)
            }
            #expect(fromResidual == c.expected)
        }
    }

    @Test func referencesData() throws {
        #expect(try RuleEngine.check("data.status == 'x'", schema: Fixtures.posts, allowsData: true).referencesData)
        #expect(try !RuleEngine.check("status == 'x'", schema: Fixtures.posts, allowsData: true).referencesData)
    }

    @Test func readsNow() throws {
        for rule in ["published_at < context.now", "not (context.now >= '2030-01-01T00:00:00Z')", "@owns_record() or (status == 'x' and context.now > published_at)"] {
            #expect(try RuleEngine.check(rule, schema: Fixtures.posts, allowsData: false).readsNow, "\(rule)")
        }
        for rule in ["@owns_record()", "status == 'x' and context.account_id == 'a'", "@has_role('admin') or user.email == 'a@b.c'"] {
            #expect(try !RuleEngine.check(rule, schema: Fixtures.posts, allowsData: false).readsNow, "\(rule)")
        }
    }

    struct DateCase: CustomTestStringConvertible, Sendable {
        let input: String
        let canonical: String?
        var testDescription: String { input }
    }

    @Test("RFC 3339 to canonical UTC", arguments: [
        DateCase(input: "2024-01-31T12:00:00Z", canonical: "2024-01-31T12:00:00.000Z"),
        DateCase(input: "2024-01-31t12:00:00.5z", canonical: "2024-01-31T12:00:00.500Z"),
        DateCase(input: "2024-01-31 12:00:00.123456789Z", canonical: "2024-01-31T12:00:00.123Z"),
        DateCase(input: "2024-03-01T01:30:00+02:00", canonical: "2024-02-29T23:30:00.000Z"),
        DateCase(input: "2023-12-31T23:30:00-01:00", canonical: "2024-01-01T00:30:00.000Z"),
        DateCase(input: "0000-01-01T00:00:00Z", canonical: "0000-01-01T00:00:00.000Z"),
        DateCase(input: "9999-12-31T23:59:59.999Z", canonical: "9999-12-31T23:59:59.999Z"),
        DateCase(input: "0000-01-01T00:00:00+00:01", canonical: nil),
        DateCase(input: "2023-02-29T00:00:00Z", canonical: nil),
        DateCase(input: "2024-01-31T24:00:00Z", canonical: nil),
        DateCase(input: "2024-01-31T23:59:60Z", canonical: nil),
        DateCase(input: "2024-01-31T12:00:00", canonical: nil),
        DateCase(input: "2024-01-31", canonical: nil),
        DateCase(input: "2024-01-31T12:00:00.Z", canonical: nil),
        DateCase(input: "2024-01-31T12:00:00.1234567890Z", canonical: nil),
        DateCase(input: "2024-01-31T12:00:00+24:00", canonical: nil),
        DateCase(input: "2024-1-31T12:00:00Z", canonical: nil),
        DateCase(input: "2024-01-31T12:00:00Z ", canonical: nil),
    ])
    func dateTime(_ c: DateCase) {
        #expect(RuleDateTime.canonical(c.input) == c.canonical)
    }

    @Test func unixMilliseconds() {
        #expect(RuleDateTime.canonical(unixMilliseconds: 0) == "1970-01-01T00:00:00.000Z")
        #expect(RuleDateTime.canonical(unixMilliseconds: 1_717_243_200_123) == "2024-06-01T12:00:00.123Z")
        #expect(RuleDateTime.canonical(unixMilliseconds: -1) == "1969-12-31T23:59:59.999Z")
    }
}

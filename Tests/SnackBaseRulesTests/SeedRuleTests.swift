import SnackBaseRules
import Testing

/// Every rule of the seed's "Rule Engine", "Permission Rules Example", "Field-Level Rules" and
/// "Common Security Scenarios" sections parses, checks, and means what the seed says it means —
/// in the evaluator and in the residual that the SQL compiler consumes.
struct SeedRuleTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let rule: String
        var schema: StaticRuleSchema = Fixtures.posts
        let caller: RuleCaller
        let record: [String: RuleValue]
        let expected: Bool
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        // Simple comparisons
        Case(name: "user.id matches the seed's user", rule: #"user.id == "user_abc123""#, caller: Fixtures.seedUser, record: [:], expected: true),
        Case(name: "user.id differs for another user", rule: #"user.id == "user_abc123""#, caller: Fixtures.alice, record: [:], expected: false),
        Case(name: "user.id is null for an anonymous caller", rule: #"user.id == "user_abc123""#, caller: Fixtures.anonymous, record: [:], expected: false),
        Case(name: "user.email matches", rule: #"user.email == "[email protected]""#, caller: Fixtures.seedUser, record: [:], expected: true),
        Case(name: "user.email differs", rule: #"user.email == "[email protected]""#, caller: Fixtures.alice, record: [:], expected: false),
        // Role checks
        Case(name: "has_role admin: admin", rule: #"@has_role("admin")"#, caller: Fixtures.admin, record: [:], expected: true),
        Case(name: "has_role admin: author", rule: #"@has_role("admin")"#, caller: Fixtures.alice, record: [:], expected: false),
        Case(name: "has_role admin: anonymous", rule: #"@has_role("admin")"#, caller: Fixtures.anonymous, record: [:], expected: false),
        Case(name: "has_role is case-sensitive", rule: #"@has_role("Admin")"#, caller: Fixtures.admin, record: [:], expected: false),
        Case(name: "has_any_role: moderator", rule: #"@has_any_role(["admin", "moderator"])"#, caller: Fixtures.moderator, record: [:], expected: true),
        Case(name: "has_any_role: admin", rule: #"@has_any_role(["admin", "moderator"])"#, caller: Fixtures.admin, record: [:], expected: true),
        Case(name: "has_any_role: viewer", rule: #"@has_any_role(["admin", "moderator"])"#, caller: Fixtures.bob, record: [:], expected: false),
        // Record ownership
        Case(name: "owns_record: creator", rule: "@owns_record()", caller: Fixtures.alice, record: Fixtures.post(by: "usr_alice"), expected: true),
        Case(name: "owns_record: someone else's", rule: "@owns_record()", caller: Fixtures.bob, record: Fixtures.post(by: "usr_alice"), expected: false),
        Case(name: "owns_record: anonymous never owns, even a record without creator", rule: "@owns_record()", caller: Fixtures.anonymous, record: Fixtures.post(by: nil), expected: false),
        Case(name: "owns_record(field): named owner field", rule: #"@owns_record("owner_id")"#, caller: Fixtures.bob, record: ["created_by": .text("usr_alice"), "owner_id": .text("usr_bob")], expected: true),
        // Field comparisons
        Case(name: "status in list: draft", rule: #"status in ["draft", "published"]"#, caller: Fixtures.bob, record: Fixtures.post(by: "x", status: "draft"), expected: true),
        Case(name: "status in list: archived", rule: #"status in ["draft", "published"]"#, caller: Fixtures.bob, record: Fixtures.post(by: "x", status: "archived"), expected: false),
        Case(name: "status in list: null status", rule: #"status in ["draft", "published"]"#, caller: Fixtures.bob, record: Fixtures.post(by: "x", status: nil), expected: false),
        Case(name: "priority >= 3: 3", rule: "priority >= 3", caller: Fixtures.bob, record: Fixtures.post(by: "x", priority: 3), expected: true),
        Case(name: "priority >= 3: 2.5", rule: "priority >= 3", caller: Fixtures.bob, record: Fixtures.post(by: "x", priority: 2.5), expected: false),
        Case(name: "priority >= 3: null", rule: "priority >= 3", caller: Fixtures.bob, record: Fixtures.post(by: "x", priority: nil), expected: false),
        // Logical operators
        Case(name: "admin or owner: admin on another's post", rule: #"@has_role("admin") or @owns_record()"#, caller: Fixtures.admin, record: Fixtures.post(by: "usr_alice"), expected: true),
        Case(name: "admin or owner: owner", rule: #"@has_role("admin") or @owns_record()"#, caller: Fixtures.alice, record: Fixtures.post(by: "usr_alice"), expected: true),
        Case(name: "admin or owner: neither", rule: #"@has_role("admin") or @owns_record()"#, caller: Fixtures.bob, record: Fixtures.post(by: "usr_alice"), expected: false),
        Case(name: "editor and draft: both", rule: #"@has_role("editor") and status == "draft""#, caller: Fixtures.editor, record: Fixtures.post(by: "x", status: "draft"), expected: true),
        Case(name: "editor and draft: published", rule: #"@has_role("editor") and status == "draft""#, caller: Fixtures.editor, record: Fixtures.post(by: "x", status: "published"), expected: false),
        Case(name: "editor and draft: not an editor", rule: #"@has_role("editor") and status == "draft""#, caller: Fixtures.alice, record: Fixtures.post(by: "x", status: "draft"), expected: false),
        Case(name: "not archived: draft", rule: #"not status == "archived""#, caller: Fixtures.bob, record: Fixtures.post(by: "x", status: "draft"), expected: true),
        Case(name: "not archived: archived", rule: #"not status == "archived""#, caller: Fixtures.bob, record: Fixtures.post(by: "x", status: "archived"), expected: false),
        Case(name: "not archived: null status is not archived", rule: #"not status == "archived""#, caller: Fixtures.bob, record: Fixtures.post(by: "x", status: nil), expected: true),
        // Complex expressions
        Case(name: "complex: owner, unlocked", rule: #"(@has_role("admin") or @owns_record()) and not status == "locked""#, caller: Fixtures.alice, record: Fixtures.post(by: "usr_alice", status: "draft"), expected: true),
        Case(name: "complex: owner, locked", rule: #"(@has_role("admin") or @owns_record()) and not status == "locked""#, caller: Fixtures.alice, record: Fixtures.post(by: "usr_alice", status: "locked"), expected: false),
        Case(name: "complex: admin, locked", rule: #"(@has_role("admin") or @owns_record()) and not status == "locked""#, caller: Fixtures.admin, record: Fixtures.post(by: "usr_alice", status: "locked"), expected: false),
        Case(name: "complex: admin, unlocked", rule: #"(@has_role("admin") or @owns_record()) and not status == "locked""#, caller: Fixtures.admin, record: Fixtures.post(by: "usr_alice", status: "published"), expected: true),
        Case(name: "complex: stranger", rule: #"(@has_role("admin") or @owns_record()) and not status == "locked""#, caller: Fixtures.bob, record: Fixtures.post(by: "usr_alice", status: "draft"), expected: false),
        // Built-in function table
        Case(name: "is_superadmin: superadmin", rule: "@is_superadmin()", caller: Fixtures.superadmin, record: [:], expected: true),
        Case(name: "is_superadmin: account admin is not", rule: "@is_superadmin()", caller: Fixtures.admin, record: [:], expected: false),
        // Permission Rules Example (update)
        Case(name: "update example: owner of a draft", rule: "(@owns_record() and status in ['draft', 'pending']) or @has_role('admin')", caller: Fixtures.alice, record: Fixtures.post(by: "usr_alice", status: "draft"), expected: true),
        Case(name: "update example: owner of a pending post", rule: "(@owns_record() and status in ['draft', 'pending']) or @has_role('admin')", caller: Fixtures.alice, record: Fixtures.post(by: "usr_alice", status: "pending"), expected: true),
        Case(name: "update example: owner of a published post", rule: "(@owns_record() and status in ['draft', 'pending']) or @has_role('admin')", caller: Fixtures.alice, record: Fixtures.post(by: "usr_alice", status: "published"), expected: false),
        Case(name: "update example: admin of a published post", rule: "(@owns_record() and status in ['draft', 'pending']) or @has_role('admin')", caller: Fixtures.admin, record: Fixtures.post(by: "usr_alice", status: "published"), expected: true),
        Case(name: "update example: stranger's draft", rule: "(@owns_record() and status in ['draft', 'pending']) or @has_role('admin')", caller: Fixtures.bob, record: Fixtures.post(by: "usr_alice", status: "draft"), expected: false),
        // Field-Level Rules (users collection)
        Case(name: "salary read: admin", rule: "@has_role('admin') or @owns_record()", schema: Fixtures.users, caller: Fixtures.admin, record: ["created_by": .text("usr_alice")], expected: true),
        Case(name: "salary read: the user themself", rule: "@has_role('admin') or @owns_record()", schema: Fixtures.users, caller: Fixtures.alice, record: ["created_by": .text("usr_alice")], expected: true),
        Case(name: "salary read: another user", rule: "@has_role('admin') or @owns_record()", schema: Fixtures.users, caller: Fixtures.bob, record: ["created_by": .text("usr_alice")], expected: false),
        Case(name: "salary write: hr", rule: "@has_role('hr') or @is_superadmin()", schema: Fixtures.users, caller: Fixtures.hr, record: [:], expected: true),
        Case(name: "salary write: superadmin", rule: "@has_role('hr') or @is_superadmin()", schema: Fixtures.users, caller: Fixtures.superadmin, record: [:], expected: true),
        Case(name: "salary write: admin is neither", rule: "@has_role('hr') or @is_superadmin()", schema: Fixtures.users, caller: Fixtures.admin, record: [:], expected: false),
        Case(name: "email read: true for everyone", rule: "true", schema: Fixtures.users, caller: Fixtures.anonymous, record: [:], expected: true),
        Case(name: "email write: admin", rule: "@has_role('admin')", schema: Fixtures.users, caller: Fixtures.admin, record: [:], expected: true),
        Case(name: "email write: not admin", rule: "@has_role('admin')", schema: Fixtures.users, caller: Fixtures.bob, record: [:], expected: false),
        // Scenario 1: authors edit only their own posts; delete only unpublished ones
        Case(name: "scenario 1 update: own post", rule: "@owns_record()", caller: Fixtures.alice, record: Fixtures.post(by: "usr_alice"), expected: true),
        Case(name: "scenario 1 update: another author's post", rule: "@owns_record()", caller: Fixtures.alice, record: Fixtures.post(by: "usr_bob"), expected: false),
        Case(name: "scenario 1 delete: own draft", rule: "@owns_record() and not status == 'published'", caller: Fixtures.alice, record: Fixtures.post(by: "usr_alice", status: "draft"), expected: true),
        Case(name: "scenario 1 delete: own published post", rule: "@owns_record() and not status == 'published'", caller: Fixtures.alice, record: Fixtures.post(by: "usr_alice", status: "published"), expected: false),
        Case(name: "scenario 1 delete: another's draft", rule: "@owns_record() and not status == 'published'", caller: Fixtures.alice, record: Fixtures.post(by: "usr_bob", status: "draft"), expected: false),
        // Scenario 2: author_ip readable by admins only
        Case(name: "scenario 2 author_ip: moderator", rule: "@has_role('admin')", caller: Fixtures.moderator, record: [:], expected: false),
        Case(name: "scenario 2 author_ip: admin", rule: "@has_role('admin')", caller: Fixtures.admin, record: [:], expected: true),
        // api.md's permission example
        Case(name: "api example create: editor", rule: "@has_role('editor')", caller: Fixtures.editor, record: [:], expected: true),
        Case(name: "api example update: owner", rule: "@owns_record() or @has_role('admin')", caller: Fixtures.alice, record: Fixtures.post(by: "usr_alice"), expected: true),
        Case(name: "api example update: stranger", rule: "@owns_record() or @has_role('admin')", caller: Fixtures.bob, record: Fixtures.post(by: "usr_alice"), expected: false),
    ]

    @Test("seed rule means what the seed says", arguments: cases)
    func seedRule(_ c: Case) throws {
        let rule = try RuleEngine.check(c.rule, schema: c.schema, allowsData: false)
        let context = Fixtures.context(c.caller)
        #expect(rule.evaluate(context: context, record: c.record, data: nil) == c.expected)
        // The residual (what lists filter by) agrees with the evaluator.
        let fromResidual: Bool = switch rule.residual(context: context) {
        case .always: true
        case .never: false
        case .filter(let filter): filter.matches(record: c.record)
        }
        #expect(fromResidual == c.expected)
    }

    /// rules.md: `@has_role('admin') or @owns_record()` for a non-admin becomes `created_by == 'usr_…'`.
    @Test func nonAdminResidualIsOwnership() throws {
        let rule = try RuleEngine.check("@has_role('admin') or @owns_record()", schema: Fixtures.posts, allowsData: false)
        guard case .filter(let filter) = rule.residual(context: Fixtures.context(Fixtures.alice)) else {
            Issue.record("expected a filter")
            return
        }
        #expect(filter.description == #"created_by == "usr_alice""#)
        guard case .always = rule.residual(context: Fixtures.context(Fixtures.admin)) else {
            Issue.record("an admin needs no filter")
            return
        }
        guard case .never = rule.residual(context: Fixtures.context(Fixtures.anonymous)) else {
            Issue.record("an anonymous caller owns nothing")
            return
        }
    }
}

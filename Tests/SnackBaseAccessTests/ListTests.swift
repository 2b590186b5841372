import SnackBaseAccess
import SnackBaseCore
import SnackBaseRules
import Testing

/// security-model.md §3 step 4 and §4's last point: what a list may return, by which fields it may be
/// filtered or sorted, and which fields each listed record shows.
@Suite("Access: lists")
struct ListTests {
    static let alice = F.alice
    static let bob = F.bob
    static let ownDraft = F.record(alice, ["title": .text("a"), "status": .text("draft")])
    static let othersPublished = F.record(bob, ["title": .text("b"), "status": .text("published")])
    static let othersDraft = F.record(bob, ["title": .text("c"), "status": .text("draft")])
    static let orphan = F.record(nil, ["title": .text("d"), "status": .text("draft")])

    enum Expected: Sendable {
        case denied(Int, String)
        case everything
        /// Filtered: these records are returned, these are not, through these roles' permissions.
        case filtered(returns: [[String: RuleValue]], omits: [[String: RuleValue]], readers: [String])
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let id: String
        let title: String
        let policy: AccessPolicy
        let who: Principal
        let collection: CollectionSchema
        let expected: Expected
        var testDescription: String { "\(id) \(title)" }
        init(_ id: String, _ title: String, _ policy: AccessPolicy, _ who: Principal, on collection: CollectionSchema = F.posts, _ expected: Expected) {
            self.id = id
            self.title = title
            self.policy = policy
            self.who = who
            self.collection = collection
            self.expected = expected
        }
    }

    static let policy = F.policy([
        F.grant("mine", "posts", "r", rules: ["read": "@owns_record()"]),
        F.grant("public", "posts", "r", rules: ["read": "status == 'published'"]),
        F.grant("all", "posts", "r"),
        F.grant("boss", "posts", "r", rules: ["read": "@has_role('admin') or @owns_record()"]),
        F.grant("writer", "posts", "cu"),
        F.grant("editor", "*", "r"),
        F.grant("editor", "comments", "u"),
        F.grant("broken", "posts", "r", rules: ["read": "no_such_field == 1"]),
        F.grant("anonymous", "posts", "r", rules: ["read": "@owns_record()"]),
    ])
    static let every = [ownDraft, othersPublished, othersDraft, orphan]

    static let cases: [Case] = [
        Case("ACC-LIST-001", "no read flag: 403", policy, F.user(alice, "writer"), .denied(403, "You cannot read posts")),
        Case("ACC-LIST-002", "no role: 403", policy, F.user(alice), .denied(403, "You cannot read posts")),
        Case("ACC-LIST-003", "anonymous without the flag: 401", F.policy([]), F.anonymous, .denied(401, "You cannot read posts")),
        Case("ACC-LIST-004", "the superadmin: everything", policy, F.root, .everything),
        Case("ACC-LIST-005", "an open read: every record", policy, F.user(alice, "all"), .filtered(returns: every, omits: [], readers: ["all"])),
        Case("ACC-LIST-006", "@owns_record(): only the caller's records", policy, F.user(alice, "mine"),
             .filtered(returns: [ownDraft], omits: [othersPublished, othersDraft, orphan], readers: ["mine"])),
        Case("ACC-LIST-007", "two roles: the OR of their read rules", policy, F.user(alice, "mine", "public"),
             .filtered(returns: [ownDraft, othersPublished], omits: [othersDraft, orphan], readers: ["mine", "public"])),
        Case("ACC-LIST-008", "a role without the flag adds nothing and removes nothing", policy, F.user(alice, "mine", "writer"),
             .filtered(returns: [ownDraft], omits: [othersPublished, othersDraft], readers: ["mine"])),
        Case("ACC-LIST-009", "an open read among rules: every record", policy, F.user(alice, "mine", "all"),
             .filtered(returns: every, omits: [], readers: ["all", "mine"])),
        Case("ACC-LIST-010", "folded for an admin: every record", policy, F.user(alice, "boss", "admin"),
             .filtered(returns: every, omits: [], readers: ["boss"])),
        Case("ACC-LIST-011", "folded for a non-admin: own records only", policy, F.user(alice, "boss"),
             .filtered(returns: [ownDraft], omits: [othersPublished, othersDraft, orphan], readers: ["boss"])),
        Case("ACC-LIST-012", "the wildcard's read flag covers a later collection", policy, F.user(alice, "editor"), on: F.notes,
             .filtered(returns: [F.record(bob)], omits: [], readers: ["editor"])),
        Case("ACC-LIST-013", "a specific permission without read replaces the wildcard's", policy, F.user(alice, "editor"), on: F.comments,
             .denied(403, "You cannot read comments")),
        Case("ACC-LIST-014", "a locked read rule returns nothing", policy, F.user(alice, "broken"),
             .filtered(returns: [], omits: every, readers: ["broken"])),
        Case("ACC-LIST-015", "anonymous owns nothing, not even records with a null created_by", policy, F.anonymous,
             .filtered(returns: [], omits: every, readers: ["anonymous"])),
    ]

    @Test("ACC-LIST-001..015: listAccess denied, everything, or the OR of the read rules", arguments: cases)
    func listAccess(_ scenario: Case) {
        let access = scenario.policy.listAccess(by: scenario.who, on: scenario.collection, now: F.now)
        switch (scenario.expected, access) {
        case (.denied(let status, let reason), .denied(let gotStatus, let gotReason)):
            #expect(gotStatus == status, "\(scenario.id)")
            #expect(gotReason == reason, "\(scenario.id)")
        case (.everything, .everything):
            break
        case (.filtered(let returns, let omits, let readers), .filtered(let residual, let granting)):
            #expect(granting.map(\.roleName).sorted() == readers.sorted(), "\(scenario.id)")
            for record in returns { #expect(F.matches(residual, record), "\(scenario.id): \(residual) should return \(record["title"] ?? .null)") }
            for record in omits { #expect(!F.matches(residual, record), "\(scenario.id): \(residual) should omit \(record["title"] ?? .null)") }
            // Every returned record is one the single-record decision lets the caller read, and conversely.
            for record in returns + omits {
                let single = scenario.policy.decide(.read, by: scenario.who, on: scenario.collection, record: record, now: F.now)
                #expect(single.allowed == F.matches(residual, record), "\(scenario.id): list and read disagree")
            }
        default:
            Issue.record("\(scenario.id): expected \(scenario.expected), got \(access)")
        }
    }

    // queryableFields: only fields the caller sees on every record the list could return.
    struct Queryable: Sendable, CustomTestStringConvertible {
        let id: String
        let title: String
        let grants: [F.Grant]
        let who: Principal
        /// nil: every field.
        let expected: Set<String>?
        var testDescription: String { "\(id) \(title)" }
        init(_ id: String, _ title: String, _ grants: [F.Grant], _ who: Principal, _ expected: Set<String>?) {
            self.id = id
            self.title = title
            self.grants = grants
            self.who = who
            self.expected = expected
        }
    }

    static let all = F.allFields(F.users)
    static func reader(_ role: String, rule: String? = nil, fields: [String]? = nil, excluded: [String] = [], fieldRules: [String: FieldRule] = [:]) -> F.Grant {
        F.grant(role, "users", "r", fields: fields, excluded: excluded, rules: rule.map { ["read": $0] } ?? [:], fieldRules: fieldRules)
    }

    static let queryable: [Queryable] = [
        Queryable("ACC-FLS-060", "readers that hide nothing: every field", [reader("a"), reader("b", rule: "@owns_record()")], F.user(alice, "a", "b"), nil),
        Queryable("ACC-FLS-061", "an excluded field is not queryable", [reader("a", excluded: ["ssn"])], F.user(alice, "a"), all.subtracting(["ssn"])),
        Queryable("ACC-FLS-062", "a field hidden by a field rule that depends on the record is not queryable",
                  [reader("a", fieldRules: ["salary": FieldRule(read: "@owns_record()")])], F.user(alice, "a"), all.subtracting(["salary"])),
        Queryable("ACC-FLS-063", "a field rule that folds to true for the caller keeps the field queryable",
                  [reader("a", fieldRules: ["salary": FieldRule(read: "@has_role('hr')")])], F.user(alice, "a", "hr"), nil),
        Queryable("ACC-FLS-064", "… and to false for another caller removes it",
                  [reader("a", fieldRules: ["salary": FieldRule(read: "@has_role('hr')")])], F.user(alice, "a"), all.subtracting(["salary"])),
        Queryable("ACC-FLS-065", "visible through a permission whose read rule always holds: queryable",
                  [reader("a", fieldRules: ["salary": FieldRule(read: "@owns_record()")]), reader("b", fieldRules: ["salary": FieldRule(read: "true")])],
                  F.user(alice, "a", "b"), nil),
        Queryable("ACC-FLS-066", "a field shown only by a reader of some records is not queryable",
                  [reader("a", rule: "@owns_record()"), reader("b", fields: ["name"])], F.user(alice, "a", "b"), ["id", "name"]),
        Queryable("ACC-FLS-067", "two record-dependent readers: only what both show",
                  [reader("a", rule: "name == 'public'", fields: ["name", "phone"]), reader("b", rule: "@owns_record()", fields: ["name", "email"])],
                  F.user(alice, "a", "b"), ["id", "name"]),
        Queryable("ACC-FLS-068", "a reader whose rule never holds for the caller restricts nothing",
                  [reader("a", rule: "@has_role('nobody')", fields: ["name"]), reader("b", rule: "@owns_record()")], F.user(alice, "a", "b"), nil),
        Queryable("ACC-FLS-069", "two always-readers: the union of what each shows everywhere",
                  [reader("a", fields: ["name"]), reader("b", fieldRules: ["salary": FieldRule(read: "@owns_record()")])], F.user(alice, "a", "b"),
                  all.subtracting(["salary"])),
        Queryable("ACC-FLS-070", "id is always queryable", [reader("a", fields: [])], F.user(alice, "a"), ["id"]),
        Queryable("ACC-FLS-071", "a system field is queryable only where readable", [reader("a", fields: ["name", "created_at"])], F.user(alice, "a"),
                  ["id", "name", "created_at"]),
        Queryable("ACC-FLS-072", "a locked field read rule makes the field not queryable",
                  [reader("a", fieldRules: ["salary": FieldRule(read: "no_such_field == 1")])], F.user(alice, "a"), all.subtracting(["salary"])),
    ]

    @Test("ACC-FLS-060..072: queryableFields are the fields visible on every record the list could return", arguments: queryable)
    func queryableFields(_ scenario: Queryable) {
        let policy = F.policy(scenario.grants)
        guard case .filtered(_, let readers) = policy.listAccess(by: scenario.who, on: F.users, now: F.now) else {
            Issue.record("\(scenario.id): list not filtered")
            return
        }
        let context = AccessPolicy.ruleContext(scenario.who, operation: .read, now: F.now)
        let got = policy.queryableFields(readers: readers, context: context, collection: F.users) ?? Self.all
        #expect(got == (scenario.expected ?? Self.all), "\(scenario.id): \(got.sorted())")
        #expect(got.contains("id"), "\(scenario.id)")
    }

    /// §4: "filter, sort and {field}= shortcuts may name only fields the caller can read on every record
    /// the list could return (else 403 naming the field)". Here every record the list can return shows
    /// the field, so naming it must be allowed; a refusal is a disagreement with the spec (it fails safe:
    /// no leak, but a 403 the spec does not allow).
    static let precision: [Queryable] = [
        // §4 allows only fields readable on every record the list could return; the policy proves that
        // per permission and does not reason about one rule implying another, so with record-dependent
        // rules it refuses more than strictly needed (fails closed). These two pin that choice.
        Queryable("ACC-FLS-073", "a field rule equal to the read rule: salary is not queryable (conservative, never a leak)",
                  [reader("a", rule: "@owns_record()", fieldRules: ["salary": FieldRule(read: "@owns_record()")])], F.user(alice, "a"),
                  all.subtracting(["salary"])),
        Queryable("ACC-FLS-074", "two readers with the same rule, each showing one field: neither field is queryable (conservative)",
                  [reader("a", rule: "@owns_record()", fields: ["name"]), reader("b", rule: "@owns_record()", fields: ["email"])], F.user(alice, "a", "b"),
                  ["id"]),
    ]

    @Test("ACC-FLS-073..074: record-dependent rules make queryable fields conservative (fails closed)", arguments: precision)
    func queryablePrecision(_ scenario: Queryable) { queryableFields(scenario) }

    // visibleFields: per listed record, the union over the readers whose read rule holds for it.
    static let visibility = F.policy([
        F.grant("mine", "users", "r", rules: ["read": "@owns_record()"]),
        F.grant("names", "users", "r", fields: ["name"]),
        F.grant("staff", "users", "r", fieldRules: ["salary": FieldRule(read: "@owns_record()")]),
    ])

    static let visible: [(id: String, roles: [String], record: [String: RuleValue], expected: Set<String>?)] = [
        ("ACC-FLS-080", ["mine", "names"], F.record(alice), nil),
        ("ACC-FLS-081", ["mine", "names"], F.record(bob), ["id", "name"]),
        ("ACC-FLS-082", ["staff"], F.record(alice), nil),
        ("ACC-FLS-083", ["staff"], F.record(bob), all.subtracting(["salary"])),
        ("ACC-FLS-084", ["names", "staff"], F.record(bob), all.subtracting(["salary"])),
    ]

    @Test("ACC-FLS-080..084: visibleFields per record (a reader whose rule fails for the record adds nothing; field rules per record)",
          arguments: visible.indices)
    func visibleFields(_ index: Int) {
        let scenario = Self.visible[index]
        let who = F.user(F.alice, scenario.roles)
        guard case .filtered(_, let readers) = Self.visibility.listAccess(by: who, on: F.users, now: F.now) else {
            Issue.record("\(scenario.id): list not filtered")
            return
        }
        let got = Self.visibility.visibleFields(of: scenario.record, readers: readers, principal: who, collection: F.users, now: F.now) ?? Self.all
        #expect(got == (scenario.expected ?? Self.all), "\(scenario.id): \(got.sorted())")
    }
}

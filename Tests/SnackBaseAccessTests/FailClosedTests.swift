import SnackBaseAccess
import SnackBaseCore
import SnackBaseRules
import Testing

/// Fails closed: a rule that does not check against the collection's schema is `locked` and grants
/// nothing; an operation whose flag is false has no rule state at all.
@Suite("Access: fails closed")
struct FailClosedTests {
    struct Slot: Sendable, CustomTestStringConvertible {
        let id: String
        let title: String
        let operation: SnackBaseCore.Operation
        let rule: String
        /// Whether the rule checks (an expression) or not (locked).
        let checks: Bool
        var testDescription: String { "\(id) \(title): \(rule)" }
    }

    static let slots: [Slot] = [
        Slot(id: "ACC-FC-001", title: "an unknown field", operation: .update, rule: "priority > 3", checks: false),
        Slot(id: "ACC-FC-002", title: "a type error (text compared with a number)", operation: .update, rule: "status > 5", checks: false),
        Slot(id: "ACC-FC-003", title: "a syntax error", operation: .delete, rule: "@owns_record(", checks: false),
        Slot(id: "ACC-FC-004", title: "an unknown function", operation: .read, rule: "@is_admin()", checks: false),
        Slot(id: "ACC-FC-005", title: "data.* in a read rule", operation: .read, rule: "data.status == 'draft'", checks: false),
        Slot(id: "ACC-FC-006", title: "data.* in a delete rule", operation: .delete, rule: "data.status == 'draft'", checks: false),
        Slot(id: "ACC-FC-007", title: "an unknown user attribute", operation: .read, rule: "user.salary == 1", checks: false),
        Slot(id: "ACC-FC-008", title: "a non-boolean rule", operation: .read, rule: "status", checks: false),
        Slot(id: "ACC-FC-009", title: "a well-typed rule checks (control)", operation: .update, rule: "status == 'draft' and data.title != null", checks: true),
        Slot(id: "ACC-FC-010", title: "a system field checks (control)", operation: .read, rule: "created_by == user.id", checks: true),
    ]

    @Test("ACC-FC-001..010: a rule that does not check is locked, grants nothing, and is reported", arguments: slots)
    func lockedRule(_ slot: Slot) {
        let grant = F.grant("r", "posts", "crud", rules: [slot.operation.rawValue: slot.rule])
        let compiled = F.compile(grant)
        let policy = F.policy([grant])
        // A record on which any checked version of these rules would hold.
        let who = F.user(F.alice, "r")
        let record = F.record(F.alice, ["status": .text("draft"), "title": .text("t")])
        let data: [String: RuleValue] = ["status": .text("draft"), "title": .text("t")]
        let decision = policy.decide(slot.operation, by: who, on: F.posts, record: record, data: data, sentFields: ["title"], now: F.now)
        switch compiled.rules[slot.operation] {
        case .locked?:
            #expect(!slot.checks, "\(slot.id): a good rule was locked")
            #expect(compiled.lockedRules.contains { $0.hasPrefix("rules.\(slot.operation.rawValue): ") }, "\(slot.id): \(compiled.lockedRules)")
            #expect(!decision.allowed, "\(slot.id)")
            #expect(decision.status == 403, "\(slot.id)")
            #expect(decision.reason == "You cannot \(slot.operation.rawValue) this record", "\(slot.id): \(decision.reason)")
            if slot.operation == .read, case .filtered(let residual, _) = policy.listAccess(by: who, on: F.posts, now: F.now) {
                #expect(!F.matches(residual, record), "\(slot.id): a locked read rule lists records")
            }
        case .expression?:
            #expect(slot.checks, "\(slot.id): a bad rule checked")
            #expect(compiled.lockedRules.isEmpty, "\(slot.id)")
            #expect(decision.allowed, "\(slot.id): \(decision.reason)")
        case .open?, nil:
            Issue.record("\(slot.id): a rule with its flag set must be an expression or locked")
        }
    }

    @Test("ACC-FC-011: a flag false has no rule state; a flag true without a rule is open")
    func ruleStates() {
        let compiled = F.compile(F.grant("r", "posts", "ru", rules: ["update": "@owns_record()", "delete": "true", "create": "true"]))
        #expect(compiled.rules[.create] == nil)
        #expect(compiled.rules[.delete] == nil)
        guard case .open? = compiled.rules[.read] else { Issue.record("read should be open"); return }
        guard case .expression? = compiled.rules[.update] else { Issue.record("update should be an expression"); return }
        #expect(compiled.readRule != nil)
    }

    @Test("ACC-FC-012: a rule that checked against the old schema is locked against the new one (a field was removed)")
    func schemaChange() {
        let before = F.collection("posts", [("title", .text), ("priority", .number)])
        let after = F.collection("posts", [("title", .text)])
        let grant = F.grant("r", "posts", "ru", rules: ["update": "priority > 3"], fieldRules: ["title": FieldRule(read: "priority > 3")])
        guard case .expression? = F.compile(grant, collections: [before]).rules[.update] else { Issue.record("should check before"); return }
        let compiled = F.compile(grant, collections: [after])
        guard case .locked? = compiled.rules[.update] else { Issue.record("should be locked after"); return }
        #expect(compiled.lockedRules.count == 2, "\(compiled.lockedRules)")
        let policy = F.policy([grant], collections: [after])
        let decision = policy.decide(.update, by: F.user(F.alice, "r"), on: after, record: F.record(F.alice, ["title": .text("t")]), now: F.now)
        #expect(!decision.allowed)
    }

    @Test("ACC-FC-013: a locked field read rule hides the field; a locked field write rule forbids writing it")
    func lockedFieldRules() {
        let grant = F.grant("r", "users", "ru", fieldRules: [
            "salary": FieldRule(read: "no_such_field == 1"), "ssn": FieldRule(write: "data.no_such_field == 1"),
        ])
        let compiled = F.compile(grant)
        #expect(compiled.lockedRules.contains { $0.hasPrefix("field_rules.salary.read: ") }, "\(compiled.lockedRules)")
        #expect(compiled.lockedRules.contains { $0.hasPrefix("field_rules.ssn.write: ") }, "\(compiled.lockedRules)")
        let policy = F.policy([grant])
        let who = F.user(F.alice, "r")
        let read = policy.decide(.read, by: who, on: F.users, record: F.record(F.alice), now: F.now)
        #expect(read.allowed)
        #expect(!(read.readableFields ?? F.allFields(F.users)).contains("salary"))
        #expect((read.readableFields ?? F.allFields(F.users)).contains("ssn"))
        let write = policy.decide(.update, by: who, on: F.users, record: F.record(F.alice), data: ["ssn": .text("x")], sentFields: ["ssn"], now: F.now)
        #expect(!write.allowed)
        #expect(write.status == 403)
        #expect(write.reason.contains("ssn"), "\(write.reason)")
        let other = policy.decide(.update, by: who, on: F.users, record: F.record(F.alice), data: ["name": .text("x")], sentFields: ["name"], now: F.now)
        #expect(other.allowed, "\(other.reason)")
    }

    @Test("ACC-FC-014: a locked rule in one role does not stop another role from granting (roles add up)")
    func lockedAmongOthers() {
        let policy = F.policy([F.grant("broken", "posts", "u", rules: ["update": "nope == 1"]), F.grant("owner", "posts", "u", rules: ["update": "@owns_record()"])])
        let mine = policy.decide(.update, by: F.user(F.alice, "broken", "owner"), on: F.posts, record: F.record(F.alice), now: F.now)
        #expect(mine.allowed)
        #expect(mine.granting.map(\.roleName) == ["owner"])
        let theirs = policy.decide(.update, by: F.user(F.alice, "broken", "owner"), on: F.posts, record: F.record(F.bob), now: F.now)
        #expect(!theirs.allowed)
        #expect(theirs.reason == "You cannot update this record")
    }

    @Test("ACC-FC-015: a wildcard is checked against the system fields only: @owns_record() checks, a user field is locked")
    func wildcardSchema() {
        let compiled = F.compile(F.grant("r", "*", "ru", rules: ["read": "@owns_record()", "update": "status == 'draft'"]))
        guard case .expression? = compiled.rules[.read] else { Issue.record("read should check"); return }
        guard case .locked? = compiled.rules[.update] else { Issue.record("update should be locked"); return }
    }

    @Test("ACC-FC-016: every operation × a caller whose roles have no permission for the collection: nothing granted, nothing listed",
          arguments: SnackBaseCore.Operation.allCases)
    func unknownCombos(_ operation: SnackBaseCore.Operation) {
        let policy = F.policy([F.grant("commenter", "comments", "crud"), F.grant("nothing", "posts", "")])
        for who in [F.user(F.alice, "commenter"), F.user(F.alice, "nothing"), F.user(F.alice, "ghost"), F.user(F.alice), F.anonymous] {
            let status = who.isAnonymous ? 401 : 403
            let decision = policy.decide(operation, by: who, on: F.posts, record: F.record(F.alice), data: [:], sentFields: [], now: F.now)
            #expect(!decision.allowed && decision.status == status && decision.reason == "You cannot \(operation.rawValue) posts", "\(who.roles)")
            #expect(decision.granting.isEmpty)
            #expect(policy.refusalOfEveryRecord(operation, by: who, on: F.posts)?.status == status)
            if case .denied(let got, _) = policy.listAccess(by: who, on: F.posts, now: F.now) {
                #expect(got == status)
            } else {
                Issue.record("\(who.roles): list not denied")
            }
        }
    }
}

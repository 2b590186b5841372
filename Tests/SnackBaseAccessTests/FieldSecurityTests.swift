import SnackBaseAccess
import SnackBaseCore
import SnackBaseRules
import Testing

/// security-model.md §4: readable(P, R), writable(P, R), the union over granting permissions, and the
/// rule that one granting permission must be able to write every field sent.
@Suite("Access §4: field-level security")
struct FieldSecurityTests {
    static let alice = F.alice
    static let bob = F.bob
    static let every = F.allFields(F.users)

    struct Readable: Sendable, CustomTestStringConvertible {
        let id: String
        let title: String
        let policy: AccessPolicy
        let who: Principal
        let collection: CollectionSchema
        let record: [String: RuleValue]
        /// nil: every field (system fields included).
        let expected: Set<String>?
        var testDescription: String { "\(id) \(title)" }
        init(_ id: String, _ title: String, _ policy: AccessPolicy, _ who: Principal, on collection: CollectionSchema = F.users,
             record: [String: RuleValue] = F.record(F.alice), _ expected: Set<String>?) {
            self.id = id
            self.collection = collection
            self.title = title
            self.policy = policy
            self.who = who
            self.record = record
            self.expected = expected
        }
    }

    static func one(_ grant: F.Grant) -> AccessPolicy { F.policy([grant]) }
    static let salaryRule = ["salary": FieldRule(read: "@has_role('admin') or @owns_record()", write: "@has_role('hr') or @is_superadmin()")]

    static let readable: [Readable] = [
        Readable("ACC-FLS-001", "fields absent: every field, system fields too", one(F.grant("viewer", "users", "r")), F.user(bob, "viewer"), nil),
        Readable("ACC-FLS-002", "fields [name, email] → {id, name, email}", one(F.grant("viewer", "users", "r", fields: ["name", "email"])),
                 F.user(bob, "viewer"), ["id", "name", "email"]),
        Readable("ACC-FLS-003", "the seed's viewer: fields [name, email], excluded [phone, ssn, salary] → {id, name, email}",
                 one(F.grant("viewer", "users", "r", fields: ["name", "email"], excluded: ["phone", "ssn", "salary"])), F.user(bob, "viewer"), ["id", "name", "email"]),
        Readable("ACC-FLS-004", "excluded_fields alone: every other field, system fields kept",
                 one(F.grant("viewer", "users", "r", excluded: ["ssn", "salary"])), F.user(bob, "viewer"), every.subtracting(["ssn", "salary"])),
        Readable("ACC-FLS-005", "a system field other than id only when listed", one(F.grant("viewer", "users", "r", fields: ["name", "created_at"])),
                 F.user(bob, "viewer"), ["id", "name", "created_at"]),
        Readable("ACC-FLS-006", "fields [] → {id}", one(F.grant("viewer", "users", "r", fields: [])), F.user(bob, "viewer"), ["id"]),
        Readable("ACC-FLS-007", "id is readable even when excluded", one(F.grant("viewer", "users", "r", fields: ["name"], excluded: ["id"])),
                 F.user(bob, "viewer"), ["id", "name"]),
        Readable("ACC-FLS-008", "excluded wins over fields", one(F.grant("viewer", "users", "r", fields: ["name", "ssn"], excluded: ["ssn"])),
                 F.user(bob, "viewer"), ["id", "name"]),
        Readable("ACC-FLS-009", "field rule read false for this record removes the field (not the owner)",
                 one(F.grant("staff", "users", "r", fieldRules: salaryRule)), F.user(bob, "staff"), record: F.record(alice), every.subtracting(["salary"])),
        Readable("ACC-FLS-010", "the same field rule holds for the owner's record", one(F.grant("staff", "users", "r", fieldRules: salaryRule)),
                 F.user(alice, "staff"), record: F.record(alice), nil),
        Readable("ACC-FLS-011", "the same field rule holds for a holder of the admin role", one(F.grant("staff", "users", "r", fieldRules: salaryRule)),
                 F.user(bob, "staff", "admin"), record: F.record(alice), nil),
        Readable("ACC-FLS-012", "field rule read 'true' keeps the field", one(F.grant("staff", "users", "r", fieldRules: ["email": FieldRule(read: "true")])),
                 F.user(bob, "staff"), nil),
        Readable("ACC-FLS-013", "field rule read 'false' removes the field", one(F.grant("staff", "users", "r", fieldRules: ["ssn": FieldRule(read: "false")])),
                 F.user(bob, "staff"), every.subtracting(["ssn"])),
        Readable("ACC-FLS-014", "a field rule depending on the record's own value",
                 one(F.grant("staff", "users", "r", fieldRules: ["phone": FieldRule(read: "name == 'public'")])),
                 F.user(bob, "staff"), record: F.record(alice, ["name": .text("private")]), every.subtracting(["phone"])),
        Readable("ACC-FLS-015", "a write-only field rule does not hide the field", one(F.grant("staff", "users", "r", fieldRules: ["ssn": FieldRule(write: "false")])),
                 F.user(bob, "staff"), nil),
        Readable("ACC-FLS-016", "union over granting permissions: {id, name} ∪ {id, email}",
                 F.policy([F.grant("a", "users", "r", fields: ["name"]), F.grant("b", "users", "r", fields: ["email"])]), F.user(bob, "a", "b"), ["id", "name", "email"]),
        Readable("ACC-FLS-017", "union: a granting permission that limits nothing shows every field",
                 F.policy([F.grant("a", "users", "r", fields: ["name"]), F.grant("b", "users", "r")]), F.user(bob, "a", "b"), nil),
        Readable("ACC-FLS-018", "union: one role's field rule hides salary, the other's fields show it",
                 F.policy([F.grant("a", "users", "r", fieldRules: ["salary": FieldRule(read: "false")]), F.grant("b", "users", "r", fields: ["salary"])]),
                 F.user(bob, "a", "b"), nil),
        Readable("ACC-FLS-019", "a permission whose flag grants but whose rule fails contributes nothing",
                 F.policy([F.grant("a", "users", "r", rules: ["read": "@owns_record()"]), F.grant("b", "users", "r", fields: ["name"])]),
                 F.user(bob, "a", "b"), record: F.record(alice), ["id", "name"]),
        Readable("ACC-FLS-020", "… and contributes when its rule holds", F.policy([F.grant("a", "users", "r", rules: ["read": "@owns_record()"]), F.grant("b", "users", "r", fields: ["name"])]),
                 F.user(alice, "a", "b"), record: F.record(alice), nil),
        Readable("ACC-FLS-021", "the seed's public read: anonymous without draft_notes and internal_status",
                 F.policy([F.grant("anonymous", "posts", "r", excluded: ["draft_notes", "internal_status"])]), F.anonymous, on: F.posts, F.allFields(F.posts).subtracting(["draft_notes", "internal_status"])),
        Readable("ACC-FLS-022", "fields naming a field the collection lacks add nothing", one(F.grant("viewer", "users", "r", fields: ["name", "password_hash"])),
                 F.user(bob, "viewer"), ["id", "name"]),
        Readable("ACC-FLS-023", "excluded_fields can hide a system field other than id", one(F.grant("viewer", "users", "r", excluded: ["created_by", "id"])),
                 F.user(bob, "viewer"), every.subtracting(["created_by"])),
    ]

    @Test("ACC-FLS-001..023: readable(P, R) and the union over granting permissions", arguments: readable)
    func readableFields(_ scenario: Readable) {
        let collection = scenario.collection
        let decision = scenario.policy.decide(.read, by: scenario.who, on: collection, record: scenario.record, now: F.now)
        #expect(decision.allowed, "\(scenario.id): \(decision.reason)")
        let all = F.allFields(collection)
        let shown = decision.readableFields ?? all
        #expect(shown == (scenario.expected ?? all), "\(scenario.id): shown \(shown.sorted())")
        #expect(shown.contains("id"), "\(scenario.id)")
        // A list shows the same fields for that record.
        if case .filtered(_, let readers) = scenario.policy.listAccess(by: scenario.who, on: collection, now: F.now) {
            let listed = scenario.policy.visibleFields(of: scenario.record, readers: readers, principal: scenario.who, collection: collection, now: F.now) ?? all
            #expect(listed == shown, "\(scenario.id): list shows \(listed.sorted())")
        } else {
            Issue.record("\(scenario.id): list not filtered")
        }
    }

    // Writable fields and the write check.
    static let writePolicy = F.policy([
        F.grant("profile", "users", "cu", fields: ["name", "email", "created_by", "account_id"]),
        F.grant("contact", "users", "u", fields: ["phone"]),
        F.grant("mail", "users", "u", fields: ["email"]),
        F.grant("clerk", "users", "cu", excluded: ["ssn"], fieldRules: salaryRule),
        F.grant("hr", "users", "u", fieldRules: salaryRule),
        F.grant("capped", "users", "u", fields: ["salary"], fieldRules: ["salary": FieldRule(write: "data.salary <= 5000")]),
        F.grant("mine", "users", "u", rules: ["update": "@owns_record()"]),
        F.grant("anonymous", "users", "c", fields: ["name"]),
    ])

    static let writes: [Decision] = [
        Decision("ACC-FLS-030", "a permission listing the fields sent allows the write", writePolicy, F.user(bob, "profile"), .update, on: F.users,
                 data: ["name": .text("n")], sent: ["name", "email"], .allowed(by: ["profile"])),
        Decision("ACC-FLS-031", "a field outside the permission's fields: 403 naming it", writePolicy, F.user(bob, "profile"), .update, on: F.users,
                 data: ["phone": .text("1")], sent: ["name", "phone"], .deniedNaming(403, ["phone"])),
        Decision("ACC-FLS-032", "two roles each writing a different field do not together allow both", writePolicy, F.user(bob, "contact", "mail"), .update,
                 on: F.users, data: ["phone": .text("1"), "email": .text("e@x.test")], sent: ["phone", "email"], .deniedNaming(403, ["email", "phone"])),
        Decision("ACC-FLS-033", "… while each alone is allowed (phone)", writePolicy, F.user(bob, "contact", "mail"), .update, on: F.users,
                 data: ["phone": .text("1")], sent: ["phone"], .allowed(by: ["contact", "mail"])),
        Decision("ACC-FLS-034", "… while each alone is allowed (email)", writePolicy, F.user(bob, "contact", "mail"), .update, on: F.users,
                 data: ["email": .text("e@x.test")], sent: ["email"], .allowed(by: ["contact", "mail"])),
        Decision("ACC-FLS-035", "excluded_fields cannot be written", writePolicy, F.user(bob, "clerk"), .update, on: F.users,
                 data: ["ssn": .text("1")], sent: ["ssn"], .deniedNaming(403, ["ssn"])),
        Decision("ACC-FLS-036", "field rule write false for the caller: 403 naming the field", writePolicy, F.user(bob, "clerk"), .update, on: F.users,
                 data: ["salary": .number(1)], sent: ["salary", "name"], .deniedNaming(403, ["salary"])),
        Decision("ACC-FLS-037", "field rule write true for the hr role", writePolicy, F.user(bob, "hr"), .update, on: F.users,
                 data: ["salary": .number(1)], sent: ["salary"], .allowed(by: ["hr"])),
        Decision("ACC-FLS-038", "a role whose field rule refuses does not cover a field another role's rule allows (one permission covers all)",
                 writePolicy, F.user(bob, "clerk", "hr"), .update, on: F.users, data: ["salary": .number(1), "name": .text("n")], sent: ["salary", "name"],
                 .allowed(by: ["clerk", "hr"])),
        Decision("ACC-FLS-039", "a write rule reads data.*: within the cap", writePolicy, F.user(bob, "capped"), .update, on: F.users,
                 data: ["salary": .number(4000)], sent: ["salary"], .allowed(by: ["capped"])),
        Decision("ACC-FLS-040", "a write rule reads data.*: over the cap", writePolicy, F.user(bob, "capped"), .update, on: F.users,
                 data: ["salary": .number(9000)], sent: ["salary"], .deniedNaming(403, ["salary"])),
        Decision("ACC-FLS-041", "only granting permissions count: the all-fields role's rule refuses this record", writePolicy,
                 F.user(bob, "mine", "mail"), .update, on: F.users, record: F.record(alice), data: ["name": .text("n")], sent: ["name"], .deniedNaming(403, ["name"])),
        Decision("ACC-FLS-042", "… and covers the owner's record", writePolicy,
                 F.user(alice, "mine", "mail"), .update, on: F.users, record: F.record(alice), data: ["name": .text("n")], sent: ["name", "email"], .allowed(by: ["mail", "mine"])),
        Decision("ACC-FLS-043", "create: the same check (a field the create permission cannot write)", writePolicy, F.user(bob, "profile"), .create, on: F.users,
                 record: F.record(bob), data: ["ssn": .text("1")], sent: ["name", "ssn"], .deniedNaming(403, ["ssn"])),
        Decision("ACC-FLS-044", "anonymous create of a field it cannot write: 401 naming it", writePolicy, F.anonymous, .create, on: F.users,
                 record: F.record(nil), data: ["email": .text("e")], sent: ["name", "email"], .deniedNaming(401, ["email"])),
        Decision("ACC-FLS-045", "a body with no user field is allowed", writePolicy, F.user(bob, "contact"), .update, on: F.users, sent: [], .allowed(by: ["contact"])),
    ]

    @Test("ACC-FLS-030..045: one granting permission must be able to write every field sent", arguments: writes)
    func writeCheck(_ scenario: Decision) { scenario.verify() }

    struct Writable: Sendable, CustomTestStringConvertible {
        let id: String
        let title: String
        let who: Principal
        /// nil: every user field.
        let expected: Set<String>?
        var testDescription: String { "\(id) \(title)" }
    }

    static let writable: [Writable] = [
        Writable(id: "ACC-FLS-050", title: "fields absent: every user field", who: F.user(alice, "mine"), expected: nil),
        Writable(id: "ACC-FLS-051", title: "system fields are never writable, even when listed", who: F.user(bob, "profile"), expected: ["name", "email"]),
        Writable(id: "ACC-FLS-052", title: "excluded and write-refused fields are removed", who: F.user(bob, "clerk"), expected: ["name", "email", "phone"]),
        Writable(id: "ACC-FLS-053", title: "a write rule that holds keeps the field", who: F.user(bob, "hr"), expected: nil),
        Writable(id: "ACC-FLS-054", title: "the union over granting permissions", who: F.user(bob, "contact", "mail"), expected: ["phone", "email"]),
    ]

    @Test("ACC-FLS-050..054: writable(P, R) over user fields only", arguments: writable)
    func writableFields(_ scenario: Writable) {
        let decision = Self.writePolicy.decide(.update, by: scenario.who, on: F.users, record: F.record(F.alice), data: [:], now: F.now)
        #expect(decision.allowed, "\(scenario.id): \(decision.reason)")
        let writable = decision.writableFields ?? F.userFields(F.users)
        #expect(writable == (scenario.expected ?? F.userFields(F.users)), "\(scenario.id): \(writable.sorted())")
        #expect(writable.isDisjoint(with: F.system), "\(scenario.id)")
    }

    @Test("ACC-FLS-055: the superadmin's field rule path (@is_superadmin) is not needed: it writes every field")
    func superadminWritesSalary() {
        let decision = Self.writePolicy.decide(.update, by: F.root, on: F.users, record: F.record(F.alice),
                                               data: ["salary": .number(1), "ssn": .text("x")], sentFields: ["salary", "ssn"], now: F.now)
        #expect(decision.allowed)
        #expect((decision.writableFields ?? F.userFields(F.users)).isSuperset(of: ["salary", "ssn"]))
    }
}

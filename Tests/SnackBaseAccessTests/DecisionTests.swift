import SnackBaseAccess
import SnackBaseCore
import SnackBaseRules
import Testing

/// security-model.md §3, steps 1–3: which permission applies, when it grants, how roles add up,
/// and the two denial reasons (403, or 401 for an anonymous caller).
@Suite("Access §3: roles, permissions and the decision")
struct DecisionTests {
    static let alice = F.alice
    static let bob = F.bob

    // Step 1: a role's permission for the collection, or else its `*` permission.
    static let overrides = F.policy([
        F.grant("editor", "*", "cru"),
        F.grant("editor", "posts", "r"),          // replaces the wildcard for posts
        F.grant("locked", "*", "crud"),
        F.grant("locked", "posts", ""),            // every flag false: nothing on posts
        F.grant("commenter", "comments", "crud"),  // no `*`, nothing else
    ])

    static let step1: [Decision] = [
        Decision("ACC-RBAC-001", "a specific permission replaces the role's wildcard (update posts refused)", overrides,
                 F.user(alice, "editor"), .update, .denied(403, "You cannot update posts")),
        Decision("ACC-RBAC-002", "the specific permission's own flags still grant (read posts)", overrides,
                 F.user(alice, "editor"), .read, .allowed(by: ["editor"])),
        Decision("ACC-RBAC-003", "the wildcard still applies to a collection without a specific permission", overrides,
                 F.user(alice, "editor"), .update, on: F.comments, .allowed(by: ["editor"])),
        Decision("ACC-RBAC-004", "a specific permission with every flag false shadows a full wildcard", overrides,
                 F.user(alice, "locked"), .read, .denied(403, "You cannot read posts")),
        Decision("ACC-RBAC-005", "the wildcard covers a collection created after the policy was compiled", overrides,
                 F.user(alice, "editor"), .create, on: F.notes, .allowed(by: ["editor"])),
        Decision("ACC-RBAC-006", "a role with neither a specific nor a wildcard permission grants nothing", overrides,
                 F.user(alice, "commenter"), .read, .denied(403, "You cannot read posts")),
        Decision("ACC-RBAC-007", "a role the policy does not know grants nothing", overrides,
                 F.user(alice, "ghost"), .read, .denied(403, "You cannot read posts")),
        Decision("ACC-RBAC-008", "a user with no role grants nothing", overrides,
                 F.user(alice), .read, .denied(403, "You cannot read posts")),
        Decision("ACC-RBAC-009", "a wildcard does not grant an operation its flags lack (delete comments)", overrides,
                 F.user(alice, "editor"), .delete, on: F.comments, .denied(403, "You cannot delete comments")),
    ]

    @Test("ACC-RBAC-001..009: a specific permission replaces the wildcard; the wildcard covers later collections", arguments: step1)
    func permissionResolution(_ scenario: Decision) { scenario.verify() }

    // Steps 2–3: flag and rule; roles add up; denial reasons; anonymous callers.
    static let rules = F.policy([
        F.grant("owner", "posts", "crud", rules: ["read": "@owns_record()", "update": "@owns_record()", "delete": "@owns_record()"]),
        F.grant("publisher", "posts", "ru", rules: ["read": "status == 'published'", "update": "@has_role('chief')"]),
        F.grant("flagless", "posts", "", rules: ["read": "true", "delete": "true"]),  // a rule without its flag
        F.grant("reader", "posts", "r"),
        F.grant("anonymous", "posts", "r", rules: ["read": "status == 'published' or @owns_record()"]),
    ])
    static let draft = F.record(alice, ["status": .text("draft")])
    static let published = F.record(alice, ["status": .text("published")])

    static let steps2and3: [Decision] = [
        Decision("ACC-RBAC-010", "flag true and rule true grants", rules, F.user(alice, "owner"), .update, record: draft, .allowed(by: ["owner"])),
        Decision("ACC-RBAC-011", "flag true, rule false: You cannot <op> this record", rules,
                 F.user(bob, "owner"), .update, record: draft, .denied(403, "You cannot update this record")),
        Decision("ACC-RBAC-012", "flag true and no rule grants every record", rules, F.user(bob, "reader"), .read, record: draft, .allowed(by: ["reader"])),
        Decision("ACC-RBAC-013", "flag false: a rule that would hold grants nothing (You cannot <op> <collection>)", rules,
                 F.user(alice, "flagless"), .delete, record: draft, .denied(403, "You cannot delete posts")),
        Decision("ACC-RBAC-014", "flag false with rule `true` on read: no", rules,
                 F.user(alice, "flagless"), .read, record: draft, .denied(403, "You cannot read posts")),
        Decision("ACC-RBAC-015", "roles add up: one granting role is enough, though another's rule said no", rules,
                 F.user(bob, "owner", "publisher"), .read, record: published, .allowed(by: ["publisher"])),
        Decision("ACC-RBAC-016", "roles add up: both grant, both are reported", rules,
                 F.user(alice, "owner", "publisher"), .read, record: published, .allowed(by: ["owner", "publisher"])),
        Decision("ACC-RBAC-017", "roles add up: a role without the flag does not block one that grants", rules,
                 F.user(alice, "flagless", "owner"), .delete, record: draft, .allowed(by: ["owner"])),
        Decision("ACC-RBAC-018", "every role with the flag said no: this record", rules,
                 F.user(bob, "owner", "publisher"), .update, record: draft, .denied(403, "You cannot update this record")),
        Decision("ACC-RBAC-019", "one role lacks the flag, the other's rule says no: this record (a flag allowed it)", rules,
                 F.user(bob, "flagless", "owner"), .delete, record: draft, .denied(403, "You cannot delete this record")),
        Decision("ACC-RBAC-020", "a single record denied by its read rule is 403", rules,
                 F.user(bob, "publisher"), .read, record: draft, .denied(403, "You cannot read this record")),
        Decision("ACC-RBAC-021", "anonymous, no flag: 401 instead of 403", rules,
                 F.anonymous, .create, record: F.record(nil), .denied(401, "You cannot create posts")),
        Decision("ACC-RBAC-022", "anonymous, flag but the rule says no: 401 instead of 403", rules,
                 F.anonymous, .read, record: draft, .denied(401, "You cannot read this record")),
        Decision("ACC-RBAC-023", "anonymous, flag and the rule holds: allowed (public read)", rules,
                 F.anonymous, .read, record: published, .allowed(by: ["anonymous"])),
        Decision("ACC-RBAC-024", "anonymous never owns a record whose created_by is null", rules,
                 F.anonymous, .read, record: F.record(nil, ["status": .text("draft")]), .denied(401, "You cannot read this record")),
        Decision("ACC-RBAC-025", "an anonymous caller with no role at all: 401", rules,
                 Principal(userID: nil, email: nil, accountID: F.acme, roles: []), .read, record: published, .denied(401, "You cannot read posts")),
        Decision("ACC-RBAC-026", "a user of another account holding a role name is judged by this policy alone", F.policy([]),
                 F.user(bob, "admin", account: F.globex), .delete, record: draft, .denied(403, "You cannot delete posts")),
    ]

    @Test("ACC-RBAC-010..026: flag and rule grant; roles add up; the two denial reasons; 401 for anonymous", arguments: steps2and3)
    func decision(_ scenario: Decision) { scenario.verify() }

    // The superadmin: any user of SY0000, no role, no permission, every operation, every field.
    @Test("ACC-RBAC-027: the superadmin (a user of SY0000) is allowed every operation on every collection, every field",
          arguments: SnackBaseCore.Operation.allCases)
    func superadmin(_ operation: SnackBaseCore.Operation) {
        for collection in [F.posts, F.users, F.notes] {
            for policy in [F.policy([]), Self.rules, Self.overrides] {
                let decision = policy.decide(operation, by: F.root, on: collection, record: F.record(F.bob),
                                             data: [:], sentFields: F.userFields(collection), now: F.now)
                #expect(decision.allowed)
                #expect(decision.status == 200)
                #expect(decision.readableFields.map { F.allFields(collection).isSubset(of: $0) } ?? true)
                #expect(decision.writableFields.map { F.userFields(collection).isSubset(of: $0) } ?? true)
                #expect(policy.refusalOfEveryRecord(operation, by: F.root, on: collection) == nil)
            }
        }
    }

    @Test("ACC-RBAC-028: an anonymous caller naming SY0000 is not a superadmin")
    func anonymousInSystemAccount() {
        let caller = Principal(userID: nil, email: nil, accountID: .system, roles: [Role.anonymous])
        #expect(!caller.isSuperadmin)
        let decision = F.policy([]).decide(.read, by: caller, on: F.posts, record: F.record(F.alice), now: F.now)
        #expect(!decision.allowed)
        #expect(decision.status == 401)
        if case .everything = F.policy([]).listAccess(by: caller, on: F.posts, now: F.now) { Issue.record("anonymous in SY0000 listed everything") }
    }
}

/// The seed's scenarios (security-model.txt), with the default roles of §3.
@Suite("Access: the seed's scenarios")
struct SeedScenarioTests {
    static let alice = F.alice
    static let bob = F.bob
    static let defaults = F.policy(F.defaultRoles)
    static let author = F.policy([
        F.grant("author", "posts", "crud", rules: ["update": "@owns_record()", "delete": "@owns_record() and not status == 'published'"]),
    ])
    static let moderator = F.policy([
        F.grant("moderator", "comments", "rud", fieldRules: ["author_ip": FieldRule(read: "@has_role('admin')")]),
        F.grant("moderator", "users", "r"),
    ])
    static let writer = F.policy([
        F.grant("writer", "posts", "cru", rules: ["update": "(@owns_record() and status in ['draft', 'pending']) or @has_role('admin')"]),
    ])
    static func post(_ owner: String, _ status: String) -> [String: RuleValue] { F.record(owner, ["title": .text("t"), "status": .text(status)]) }

    static let scenarios: [Decision] = [
        // Default roles: editor create/read/update but not delete.
        Decision("ACC-SEED-001", "editor creates posts", defaults, F.user(alice, "editor"), .create, record: post(alice, "draft"), sent: ["title"], .allowed(by: ["editor"])),
        Decision("ACC-SEED-002", "editor reads posts", defaults, F.user(alice, "editor"), .read, record: post(bob, "draft"), .allowed(by: ["editor"])),
        Decision("ACC-SEED-003", "editor updates posts", defaults, F.user(alice, "editor"), .update, record: post(bob, "draft"),
                 data: ["status": .text("published")], sent: ["status"], .allowed(by: ["editor"])),
        Decision("ACC-SEED-004", "editor cannot delete posts: 403 You cannot delete posts", defaults,
                 F.user(alice, "editor"), .delete, record: post(alice, "draft"), .denied(403, "You cannot delete posts")),
        Decision("ACC-SEED-005", "viewer reads posts", defaults, F.user(alice, "viewer"), .read, .allowed(by: ["viewer"])),
        Decision("ACC-SEED-006", "viewer cannot create posts", defaults, F.user(alice, "viewer"), .create, sent: ["title"], .denied(403, "You cannot create posts")),
        Decision("ACC-SEED-007", "admin deletes posts", defaults, F.user(alice, "admin"), .delete, record: post(bob, "published"), .allowed(by: ["admin"])),
        Decision("ACC-SEED-008", "anonymous has nothing by default: 401", defaults, F.anonymous, .read, .denied(401, "You cannot read posts")),
        // Scenario 1: authors.
        Decision("ACC-SEED-010", "author creates a post (no create rule)", author, F.user(alice, "author"), .create, record: post(alice, "draft"),
                 sent: ["title"], .allowed(by: ["author"])),
        Decision("ACC-SEED-011", "author updates own post", author, F.user(alice, "author"), .update, record: post(alice, "published"),
                 data: ["body": .text("x")], sent: ["body"], .allowed(by: ["author"])),
        Decision("ACC-SEED-012", "author cannot update another's post", author, F.user(bob, "author"), .update, record: post(alice, "draft"),
                 data: ["body": .text("x")], sent: ["body"], .denied(403, "You cannot update this record")),
        Decision("ACC-SEED-013", "author deletes own draft", author, F.user(alice, "author"), .delete, record: post(alice, "draft"), .allowed(by: ["author"])),
        Decision("ACC-SEED-014", "author cannot delete own published post", author, F.user(alice, "author"), .delete, record: post(alice, "published"),
                 .denied(403, "You cannot delete this record")),
        Decision("ACC-SEED-015", "author cannot delete another's draft", author, F.user(bob, "author"), .delete, record: post(alice, "draft"),
                 .denied(403, "You cannot delete this record")),
        Decision("ACC-SEED-016", "author deletes own post with no status (null is not 'published')", author, F.user(alice, "author"), .delete,
                 record: F.record(alice), .allowed(by: ["author"])),
        // Scenario 2: moderators.
        Decision("ACC-SEED-020", "moderator reads comments", moderator, F.user(alice, "moderator"), .read, on: F.comments, record: F.record(bob), .allowed(by: ["moderator"])),
        Decision("ACC-SEED-021", "moderator edits anyone's comment", moderator, F.user(alice, "moderator"), .update, on: F.comments, record: F.record(bob),
                 data: ["body": .text("[removed]")], sent: ["body"], .allowed(by: ["moderator"])),
        Decision("ACC-SEED-022", "moderator deletes anyone's comment", moderator, F.user(alice, "moderator"), .delete, on: F.comments, record: F.record(bob), .allowed(by: ["moderator"])),
        Decision("ACC-SEED-023", "moderator cannot create comments", moderator, F.user(alice, "moderator"), .create, on: F.comments, sent: ["body"],
                 .denied(403, "You cannot create comments")),
        Decision("ACC-SEED-024", "moderator reads users", moderator, F.user(alice, "moderator"), .read, on: F.users, .allowed(by: ["moderator"])),
        Decision("ACC-SEED-025", "moderator cannot update users", moderator, F.user(alice, "moderator"), .update, on: F.users, sent: ["name"],
                 .denied(403, "You cannot update users")),
        Decision("ACC-SEED-026", "moderator has nothing on posts", moderator, F.user(alice, "moderator"), .read, .denied(403, "You cannot read posts")),
        // Permission Rules Example: (@owns_record() and status in ['draft','pending']) or @has_role('admin').
        Decision("ACC-SEED-030", "owner updates a draft", writer, F.user(alice, "writer"), .update, record: post(alice, "draft"), sent: ["body"], .allowed(by: ["writer"])),
        Decision("ACC-SEED-031", "owner updates a pending post", writer, F.user(alice, "writer"), .update, record: post(alice, "pending"), sent: ["body"], .allowed(by: ["writer"])),
        Decision("ACC-SEED-032", "owner cannot update a published post", writer, F.user(alice, "writer"), .update, record: post(alice, "published"),
                 sent: ["body"], .denied(403, "You cannot update this record")),
        Decision("ACC-SEED-033", "a non-owner cannot update a draft", writer, F.user(bob, "writer"), .update, record: post(alice, "draft"),
                 sent: ["body"], .denied(403, "You cannot update this record")),
        Decision("ACC-SEED-034", "a holder of the admin role updates any post, through the writer permission's rule", writer,
                 F.user(bob, "writer", "admin"), .update, record: post(alice, "published"), sent: ["body"], .allowed(by: ["writer"])),
        Decision("ACC-SEED-035", "the status list is exact: 'Draft' is not 'draft'", writer, F.user(alice, "writer"), .update,
                 record: post(alice, "Draft"), sent: ["body"], .denied(403, "You cannot update this record")),
    ]

    @Test("ACC-SEED-001..035: editor, viewer, admin, author, moderator and the rules example", arguments: scenarios)
    func seed(_ scenario: Decision) { scenario.verify() }

    @Test("ACC-SEED-027: a moderator sees author_ip only when holding the admin role")
    func moderatorAuthorIP() {
        let plain = Self.moderator.decide(.read, by: F.user(F.alice, "moderator"), on: F.comments, record: F.record(F.bob), now: F.now)
        let admin = Self.moderator.decide(.read, by: F.user(F.alice, "moderator", "admin"), on: F.comments, record: F.record(F.bob), now: F.now)
        #expect(plain.allowed && admin.allowed)
        #expect(plain.readableFields == F.allFields(F.comments).subtracting(["author_ip"]))
        #expect((admin.readableFields ?? F.allFields(F.comments)) == F.allFields(F.comments))
    }
}

/// security-model.md §3 step 5: what a rule sees for create, update and delete.
@Suite("Access §3 step 5: the record a rule sees")
struct RuleInputTests {
    static let alice = F.alice
    static let bob = F.bob
    static let policy = F.policy([
        F.grant("owner", "posts", "cu", rules: ["create": "@owns_record() and status == 'draft'", "update": "status == 'draft'"]),
        F.grant("reviewer", "posts", "cu", rules: ["create": "data.status == 'pending'", "update": "data.status != 'published'"]),
        F.grant("stamp", "posts", "c", rules: ["create": "created_by == user.id and account_id == context.account_id"]),
    ])
    /// The record as it would be stored: system fields set, created_by = the caller, defaults applied.
    static func stored(_ owner: String, _ status: String?) -> [String: RuleValue] {
        F.record(owner, status.map { ["status": .text($0)] } ?? [:])
    }

    static let scenarios: [Decision] = [
        Decision("ACC-CTX-001", "create: the rule sees the record as stored (created_by = caller, default status)", policy,
                 F.user(alice, "owner"), .create, record: stored(alice, "draft"), data: ["title": .text("t")], sent: ["title"], .allowed(by: ["owner"])),
        Decision("ACC-CTX-002", "create: a record not created by the caller is not owned", policy,
                 F.user(alice, "owner"), .create, record: stored(bob, "draft"), data: ["title": .text("t")], sent: ["title"],
                 .denied(403, "You cannot create this record")),
        Decision("ACC-CTX-003", "create: system fields as stored (created_by, account_id) are visible to the rule", policy,
                 F.user(alice, "stamp"), .create, record: stored(alice, nil), data: [:], .allowed(by: ["stamp"])),
        Decision("ACC-CTX-004", "create: data.* is the body as sent", policy,
                 F.user(alice, "reviewer"), .create, record: stored(alice, "pending"), data: ["status": .text("pending")], sent: ["status"], .allowed(by: ["reviewer"])),
        Decision("ACC-CTX-005", "create: data.* absent is null", policy,
                 F.user(alice, "reviewer"), .create, record: stored(alice, "pending"), data: [:], .denied(403, "You cannot create this record")),
        Decision("ACC-CTX-006", "update: the rule sees the stored record, not the incoming values", policy,
                 F.user(alice, "owner"), .update, record: stored(bob, "draft"), data: ["status": .text("published")], sent: ["status"], .allowed(by: ["owner"])),
        Decision("ACC-CTX-007", "update: a stored published record is refused though the body says draft", policy,
                 F.user(alice, "owner"), .update, record: stored(bob, "published"), data: ["status": .text("draft")], sent: ["status"],
                 .denied(403, "You cannot update this record")),
        Decision("ACC-CTX-008", "update: data.* is the incoming value", policy,
                 F.user(alice, "reviewer"), .update, record: stored(bob, "draft"), data: ["status": .text("published")], sent: ["status"],
                 .denied(403, "You cannot update this record")),
        Decision("ACC-CTX-009", "update: a field not sent is null in data.*", policy,
                 F.user(alice, "reviewer"), .update, record: stored(bob, "published"), data: ["title": .text("x")], sent: ["title"], .allowed(by: ["reviewer"])),
    ]

    @Test("ACC-CTX-001..009: create sees the record as stored; update sees the stored record and data.*", arguments: scenarios)
    func ruleInputs(_ scenario: Decision) { scenario.verify() }
}

/// `refusalOfEveryRecord`: the refusal asked before a body is validated or a record looked up.
@Suite("Access: refusal of every record")
struct RefusalTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let id: String
        let title: String
        let policy: AccessPolicy
        let who: Principal
        let operation: SnackBaseCore.Operation
        let collection: CollectionSchema
        /// nil: no refusal (some permission might grant).
        let refusal: (status: Int, reason: String)?
        var testDescription: String { "\(id) \(title)" }
    }

    static let policy = F.policy([
        F.grant("owner", "posts", "ud", rules: ["update": "@owns_record()", "delete": "false"]),
        F.grant("editor", "*", "cru"),
        F.grant("editor", "comments", "r"),
        F.grant("flagless", "posts", "", rules: ["read": "true"]),
        F.grant("anonymous", "posts", "r", rules: ["read": "status == 'published'"]),
    ])

    static let cases: [Case] = [
        Case(id: "ACC-REF-001", title: "a flag with a rule that may hold: nil", policy: policy, who: F.user(F.bob, "owner"), operation: .update, collection: F.posts, refusal: nil),
        Case(id: "ACC-REF-002", title: "a flag whose rule never holds still might (per record): nil", policy: policy, who: F.user(F.bob, "owner"), operation: .delete, collection: F.posts, refusal: nil),
        Case(id: "ACC-REF-003", title: "no role has the flag: refusal", policy: policy, who: F.user(F.bob, "owner"), operation: .read, collection: F.posts,
             refusal: (403, "You cannot read posts")),
        Case(id: "ACC-REF-004", title: "a rule without its flag: refusal", policy: policy, who: F.user(F.bob, "flagless"), operation: .read, collection: F.posts,
             refusal: (403, "You cannot read posts")),
        Case(id: "ACC-REF-005", title: "the wildcard's flag: nil", policy: policy, who: F.user(F.bob, "editor"), operation: .create, collection: F.posts, refusal: nil),
        Case(id: "ACC-REF-006", title: "the wildcard's flag on a later collection: nil", policy: policy, who: F.user(F.bob, "editor"), operation: .update, collection: F.notes, refusal: nil),
        Case(id: "ACC-REF-007", title: "a specific permission replaces the wildcard: refusal", policy: policy, who: F.user(F.bob, "editor"), operation: .update, collection: F.comments,
             refusal: (403, "You cannot update comments")),
        Case(id: "ACC-REF-008", title: "one of several roles has the flag: nil", policy: policy, who: F.user(F.bob, "flagless", "owner"), operation: .update, collection: F.posts, refusal: nil),
        Case(id: "ACC-REF-009", title: "no role at all: refusal", policy: policy, who: F.user(F.bob), operation: .read, collection: F.posts, refusal: (403, "You cannot read posts")),
        Case(id: "ACC-REF-010", title: "anonymous without the flag: 401", policy: policy, who: F.anonymous, operation: .delete, collection: F.posts, refusal: (401, "You cannot delete posts")),
        Case(id: "ACC-REF-011", title: "anonymous with the flag: nil", policy: policy, who: F.anonymous, operation: .read, collection: F.posts, refusal: nil),
        Case(id: "ACC-REF-012", title: "the superadmin: nil", policy: F.policy([]), who: F.root, operation: .delete, collection: F.posts, refusal: nil),
    ]

    @Test("ACC-REF-001..012: nil when some permission might grant, a refusal when none has the flag", arguments: cases)
    func refusal(_ scenario: Case) {
        let refusal = scenario.policy.refusalOfEveryRecord(scenario.operation, by: scenario.who, on: scenario.collection)
        if let expected = scenario.refusal {
            #expect(refusal != nil, "\(scenario.id)")
            #expect(refusal?.allowed == false, "\(scenario.id)")
            #expect(refusal?.status == expected.status, "\(scenario.id)")
            #expect(refusal?.reason == expected.reason, "\(scenario.id)")
            // The full decision agrees with the early refusal.
            let decision = scenario.policy.decide(scenario.operation, by: scenario.who, on: scenario.collection, record: F.record(F.bob), now: F.now)
            #expect(!decision.allowed && decision.status == expected.status && decision.reason == expected.reason, "\(scenario.id)")
        } else {
            #expect(refusal == nil, "\(scenario.id): \(refusal?.reason ?? "")")
        }
    }
}

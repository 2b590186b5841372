// The cost of an authorization decision with a warm permission cache (the compiled policy is in
// memory): run with `swift run -c release AccessBenchmark`. Prints ns per operation, median of runs.
import SnackBaseAccess
import SnackBaseCore
import SnackBaseRules

let now = "2026-11-27T00:00:00.000Z"
let account = AccountID("AB1001")!
let posts = CollectionSchema(id: "col_1", name: "posts", description: "", fields: [
    FieldSchema(name: "title", type: .text), FieldSchema(name: "body", type: .text),
    FieldSchema(name: "status", type: .text), FieldSchema(name: "views", type: .number),
], createdAt: now, updatedAt: now)

func permission(_ role: String, rules: [String: String], fieldRules: [String: FieldRule] = [:]) -> CompiledPermission {
    CompiledPermission(Permission(id: "perm_\(role)", accountID: account, roleID: "role_\(role)", collection: "posts",
                                  create: true, read: true, update: true, delete: true, rules: rules, fieldRules: fieldRules,
                                  createdAt: now, updatedAt: now), roleName: role, collection: posts)
}

let policy = AccessPolicy(permissionsByRole: [
    "author": ["posts": permission("author", rules: ["read": "@owns_record()", "delete": "@owns_record() and not status == 'published'"])],
    "editor": ["*": permission("editor", rules: [:])],
    "moderator": ["posts": permission("moderator", rules: ["update": "(@owns_record() and status in ['draft', 'pending']) or @has_role('admin')"],
                                      fieldRules: ["views": FieldRule(read: "@has_role('admin') or @owns_record()")])],
])
let author = Principal(userID: "usr_1", email: "a@x.test", accountID: account, roles: ["author"])
let moderator = Principal(userID: "usr_2", email: "m@x.test", accountID: account, roles: ["moderator", "author"])
let record: [String: RuleValue] = [
    "id": .text("rec_1"), "account_id": .text("AB1001"), "created_by": .text("usr_1"), "updated_by": .text("usr_1"),
    "created_at": .datetime(now), "updated_at": .datetime(now),
    "title": .text("Hello"), "body": .text("..."), "status": .text("draft"), "views": .number(3),
]

func measure(_ name: String, iterations: Int = 200_000, _ body: () -> Bool) {
    var samples: [Double] = []
    var sink = 0
    for _ in 0..<7 {
        let start = ContinuousClock.now
        for _ in 0..<iterations where body() { sink &+= 1 }
        let elapsed = ContinuousClock.now - start
        samples.append(Double(elapsed.components.attoseconds) / 1e9 / Double(iterations) + Double(elapsed.components.seconds) * 1e9 / Double(iterations))
    }
    samples.sort()
    print("\(name): \(Int(samples[3])) ns/op (min \(Int(samples[0])), max \(Int(samples[6])))  [\(sink % 2)]")
}

measure("decide read, owner rule (author)") {
    policy.decide(.read, by: author, on: posts, record: record, now: now).allowed
}
measure("decide update, seed rule + field rule (moderator+author)") {
    policy.decide(.update, by: moderator, on: posts, record: record, data: ["status": .text("pending")], sentFields: ["status"], now: now).allowed
}
measure("decide delete, denied by flag (no role)") {
    !policy.decide(.delete, by: Principal(userID: "usr_3", email: nil, accountID: account, roles: []), on: posts, record: record, now: now).allowed
}
measure("list plan + compile to SQL (author)") {
    if case .filtered(let read) = policy.listPlan(by: author, on: posts, now: now),
       case .fragment = SQLCompiler.compile(read.residual, dialect: RuleSQLiteDialect()) { return true }
    return false
}

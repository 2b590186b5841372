// Rule engine benchmarks (not tests). Run in release:
//   nice swift run -c release RulesBenchmark
import SnackBaseRules

struct PostsSchema: RuleSchema {
    func fieldType(_ name: String) -> RuleFieldType? {
        switch name {
        case "title", "status", "id", "account_id", "created_by", "updated_by": .text
        case "priority": .number
        case "created_at", "updated_at": .datetime
        default: nil
        }
    }
}

/// Runs `body` `iterations` times after a warm-up and prints nanoseconds per operation.
func measure(_ name: String, iterations: Int, _ body: () -> Int) {
    var sink = 0
    for _ in 0..<max(1, iterations / 10) { sink &+= body() }
    let clock = ContinuousClock()
    let elapsed = clock.measure {
        for _ in 0..<iterations { sink &+= body() }
    }
    let nanoseconds = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
    let perOp = nanoseconds / Double(iterations)
    print("\(name): \(Int(perOp)) ns/op  (\(iterations) iterations, checksum \(sink & 0xFF))")
}

let complexRule = #"(@has_role("admin") or @owns_record()) and not status == "locked""#
let schema = PostsSchema()
let author = RuleContext(caller: RuleCaller(userID: "usr_alice", email: "alice@example.com", accountID: "AB1001", roles: ["author", "viewer"]),
                         accountID: "AB1001", operation: "update", now: "2025-06-01T12:00:00.000Z")
let record: [String: RuleValue] = [
    "id": .text("rec_1"), "account_id": .text("AB1001"), "created_by": .text("usr_alice"), "status": .text("draft"),
    "title": .text("Hello"), "priority": .number(3), "created_at": .datetime("2025-01-01T00:00:00.000Z"),
]

do {
    let rule = try RuleEngine.check(complexRule, schema: schema, allowsData: false)
    print("rule: \(complexRule)")
    measure("parse+check", iterations: 200_000) {
        (try? RuleEngine.check(complexRule, schema: schema, allowsData: false)) == nil ? 0 : 1
    }
    measure("evaluate (one record)", iterations: 2_000_000) {
        rule.evaluate(context: author, record: record, data: nil) ? 1 : 0
    }
    measure("residual + compile (SQLite)", iterations: 500_000) {
        switch SQLCompiler.compile(rule.residual(context: author), dialect: RuleSQLiteDialect()) {
        case .noFilter: 1
        case .noRows: 2
        case .fragment(let fragment): fragment.pieces.count
        }
    }
    measure("residual + compile + render (PostgreSQL)", iterations: 500_000) {
        switch SQLCompiler.compile(rule.residual(context: author), dialect: RulePostgresDialect()) {
        case .noFilter: 1
        case .noRows: 2
        case .fragment(let fragment): fragment.render(dialect: RulePostgresDialect()).sql.utf8.count
        }
    }
} catch {
    print(error.caretDescription(source: complexRule))
}

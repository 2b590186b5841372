import SnackBaseRules
import Testing

/// Random and mutated inputs never crash the lexer, parser or checker; errors always point inside
/// the source; whatever checks can be evaluated, partially evaluated and compiled.
struct RobustnessTests {
    static let fragments = ["(", ")", "[", "]", ",", ".", "@", "==", "=", "!=", "<", "<=", ">", ">=", "&&", "||", "!", "&", "|",
                            " and ", " or ", " not ", " in ", "true", "false", "null", "'x'", "\"y\"", "'", "\"", "\\", "1", "-2.5", "-",
                            "status", "priority", "published", "tags", "created_at", "user.id", "user.roles", "context.now", "data.status",
                            "record.title", "@has_role", "@owns_record", "@contains", "@is_superadmin", "é", "日", "😀", "\n", "\t", " ", "\u{0}", "e\u{301}"]

    static let seeds = [
        #"(@has_role("admin") or @owns_record()) and not status == "locked""#,
        "(@owns_record() and status in ['draft', 'pending']) or @has_role('admin')",
        "@has_any_role(['admin', 'moderator']) || priority >= 3 && !(title < 'b')",
        "published_at > '2025-01-15T09:59:59+02:00' and @contains(title, 'x\\'y') and tags != null",
        "data.priority >= priority and context.operation == 'update' and 'a' in user.roles",
    ]

    func exercise(_ source: String) {
        do {
            let rule = try RuleEngine.check(source, schema: Fixtures.posts, allowsData: true)
            let context = Fixtures.context(Fixtures.alice)
            _ = rule.evaluate(context: context, record: Fixtures.post(by: "usr_alice"), data: ["status": .text("x")])
            _ = SQLCompiler.compile(rule.residual(context: context), dialect: RuleSQLiteDialect())
            _ = SQLCompiler.compile(rule.residual(context: context), dialect: RulePostgresDialect())
        } catch {
            #expect(error.position >= 0 && error.position <= source.count, "\(source.debugDescription): \(error)")
            _ = error.caretDescription(source: source)
        }
    }

    @Test func randomTokenSoup() {
        var rng = SeededGenerator(seed: 1)
        for _ in 0..<20_000 {
            let count = Int.random(in: 0..<24, using: &rng)
            let source = (0..<count).map { _ in Self.fragments.randomElement(using: &rng)! }.joined()
            exercise(source)
        }
    }

    @Test func mutatedSeedRules() {
        var rng = SeededGenerator(seed: 42)
        for _ in 0..<20_000 {
            var characters = Array(Self.seeds.randomElement(using: &rng)!)
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let index = Int.random(in: 0...characters.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0 where index < characters.count: characters.remove(at: index)
                case 1: characters.insert(contentsOf: Self.fragments.randomElement(using: &rng)!, at: index)
                default:
                    if characters.count > 1 { characters.swapAt(index % characters.count, Int.random(in: 0..<characters.count, using: &rng)) }
                }
            }
            exercise(String(characters))
        }
    }

    @Test func randomBytes() {
        var rng = SeededGenerator(seed: 7)
        for _ in 0..<5_000 {
            let bytes = (0..<Int.random(in: 0..<64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            exercise(String(decoding: bytes, as: UTF8.self))
        }
    }

    @Test func hostileShapesFailFast() {
        exercise(String(repeating: "(", count: 100_000))
        exercise(String(repeating: "not ", count: 1_000))
        exercise(String(repeating: "[", count: 1_000))
        exercise(String(repeating: "@contains(", count: 400))
        exercise(Array(repeating: "true", count: 1_000).joined(separator: "||"))
        exercise("status in [" + Array(repeating: "'a'", count: 1_000).joined(separator: ",") + "]")
        exercise(String(repeating: "9", count: 400) + " == priority")
        exercise("'" + String(repeating: "\\", count: 3_000))
    }
}

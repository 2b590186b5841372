import SnackBaseRules
import Testing

/// What the compiler emits, per dialect: binds only, quoted identifiers, guarded comparisons.
struct SQLCompilerTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let rule: String
        var caller: RuleCaller = Fixtures.alice
        let sqlite: String
        let postgres: String
        let bindings: [RuleValue]
        var postgresBindings: [RuleValue]? = nil
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "seed's complex rule for a non-admin", rule: #"(@has_role("admin") or @owns_record()) and not status == "locked""#,
             sqlite: #"(("created_by" IS ?) AND (NOT ("status" IS ?)))"#,
             postgres: #"(("created_by" IS NOT NULL AND "created_by" = $1) AND (NOT ("status" IS NOT NULL AND "status" = $2)))"#,
             bindings: [.text("usr_alice"), .text("locked")]),
        Case(name: "ordering is guarded against NULL", rule: "priority >= 3",
             sqlite: #"("priority" IS NOT NULL AND "priority" >= ?)"#,
             postgres: #"("priority" IS NOT NULL AND "priority" >= $1)"#,
             bindings: [.number(3)]),
        Case(name: "text ordering is by code point", rule: "title < 'b'",
             sqlite: #"("title" IS NOT NULL AND "title" COLLATE BINARY < ?)"#,
             postgres: #"("title" IS NOT NULL AND "title" COLLATE "C" < $1)"#,
             bindings: [.text("b")]),
        Case(name: "in expands to one bind per member, nulls dropped", rule: "status in ['draft', null, 'pending']",
             sqlite: #"("status" IS NOT NULL AND "status" IN (?, ?))"#,
             postgres: #"("status" IS NOT NULL AND "status" IN ($1, $2))"#,
             bindings: [.text("draft"), .text("pending")]),
        Case(name: "== null is IS NULL", rule: "content == null",
             sqlite: #"("content" IS NULL)"#, postgres: #"("content" IS NULL)"#, bindings: []),
        Case(name: "!= null is NOT IS NULL", rule: "tags != null",
             sqlite: #"(NOT ("tags" IS NULL))"#, postgres: #"(NOT ("tags" IS NULL))"#, bindings: []),
        Case(name: "bare boolean field", rule: "published",
             sqlite: #"("published" IS ?)"#, postgres: #"("published" IS NOT NULL AND "published" = $1)"#,
             bindings: [.number(1)], postgresBindings: [.bool(true)]),
        Case(name: "datetime literal is bound as canonical text", rule: "published_at > '2025-01-01T01:00:00+01:00'",
             sqlite: #"("published_at" IS NOT NULL AND "published_at" COLLATE BINARY > ?)"#,
             postgres: #"("published_at" IS NOT NULL AND "published_at" COLLATE "C" > $1)"#,
             bindings: [.text("2025-01-01T00:00:00.000Z")]),
        Case(name: "contains", rule: "@contains(title, 'x')",
             sqlite: #"("title" IS NOT NULL AND instr("title", ?) > 0)"#,
             postgres: #"("title" IS NOT NULL AND strpos("title", $1) > 0)"#,
             bindings: [.text("x")]),
        Case(name: "starts_with", rule: "@starts_with(title, 'x')",
             sqlite: #"("title" IS NOT NULL AND substr("title", 1, length(?)) = ?)"#,
             postgres: #"("title" IS NOT NULL AND left("title", length($1)) = $2)"#,
             bindings: [.text("x"), .text("x")]),
        Case(name: "ends_with", rule: "@ends_with(title, 'x')",
             sqlite: #"("title" IS NOT NULL AND (length(?) <= length("title") AND substr("title", length("title") - length(?) + 1) = ?))"#,
             postgres: #"("title" IS NOT NULL AND right("title", length($1)) = $2)"#,
             bindings: [.text("x"), .text("x"), .text("x")], postgresBindings: [.text("x"), .text("x")]),
        Case(name: "field against field", rule: "owner_id == created_by or priority < 0",
             sqlite: #"(("owner_id" IS "created_by") OR ("priority" IS NOT NULL AND "priority" < ?))"#,
             postgres: #"(("owner_id" IS NOT DISTINCT FROM "created_by") OR ("priority" IS NOT NULL AND "priority" < $1))"#,
             bindings: [.number(0)]),
        Case(name: "a user value is a bind, never SQL text", rule: "title == user.email",
             caller: RuleCaller(userID: "u", email: "x' OR 1=1 --", roles: []),
             sqlite: #"("title" IS ?)"#, postgres: #"("title" IS NOT NULL AND "title" = $1)"#,
             bindings: [.text("x' OR 1=1 --")]),
        Case(name: "condition as a value", rule: "(priority > 1) == published",
             sqlite: #"(("priority" IS NOT NULL AND "priority" > ?) IS "published")"#,
             postgres: #"(("priority" IS NOT NULL AND "priority" > $1) IS NOT DISTINCT FROM "published")"#,
             bindings: [.number(1)]),
    ]

    @Test("compiled SQL", arguments: cases)
    func compiled(_ c: Case) throws {
        let rule = try RuleEngine.check(c.rule, schema: Fixtures.posts, allowsData: false)
        guard case .filter(let filter) = rule.residual(context: Fixtures.context(c.caller)) else {
            Issue.record("expected a filter")
            return
        }
        let sqlite = SQLCompiler.compile(filter, dialect: RuleSQLiteDialect()).render(dialect: RuleSQLiteDialect())
        #expect(sqlite.sql == c.sqlite)
        #expect(sqlite.bindings == c.bindings)
        let postgres = SQLCompiler.compile(filter, dialect: RulePostgresDialect()).render(dialect: RulePostgresDialect())
        #expect(postgres.sql == c.postgres)
        #expect(postgres.bindings == (c.postgresBindings ?? c.bindings))
    }

    struct ConstantCase: CustomTestStringConvertible, Sendable {
        let rule: String
        let caller: RuleCaller
        let expected: SQLWhere
        var testDescription: String { rule }
    }

    @Test("constant residuals need no SQL", arguments: [
        ConstantCase(rule: "@has_role('admin') or @owns_record()", caller: Fixtures.admin, expected: .noFilter),
        ConstantCase(rule: "@has_role('admin') or @owns_record()", caller: Fixtures.anonymous, expected: .noRows),
        ConstantCase(rule: "@is_superadmin() and status == 'x'", caller: Fixtures.alice, expected: .noRows),
        ConstantCase(rule: "true", caller: Fixtures.anonymous, expected: .noFilter),
        ConstantCase(rule: "status in []", caller: Fixtures.alice, expected: .noRows),
        ConstantCase(rule: "status in [null]", caller: Fixtures.alice, expected: .noRows),
        ConstantCase(rule: "priority < null", caller: Fixtures.alice, expected: .noRows),
        ConstantCase(rule: "not (priority < null)", caller: Fixtures.alice, expected: .noFilter),
        ConstantCase(rule: "@contains(null, title)", caller: Fixtures.alice, expected: .noRows),
        ConstantCase(rule: "(status == 'a') == null", caller: Fixtures.alice, expected: .noRows),
    ])
    func constant(_ c: ConstantCase) throws {
        let rule = try RuleEngine.check(c.rule, schema: Fixtures.posts, allowsData: false)
        #expect(SQLCompiler.compile(rule.residual(context: Fixtures.context(c.caller)), dialect: RuleSQLiteDialect()) == c.expected)
    }

    @Test func combiningResiduals() throws {
        let own = try RuleEngine.check("@owns_record()", schema: Fixtures.posts, allowsData: false).residual(context: Fixtures.context(Fixtures.alice))
        let published = try RuleEngine.check("status == 'published'", schema: Fixtures.posts, allowsData: false).residual(context: Fixtures.context(Fixtures.alice))
        #expect(RuleResidual.anyOf([own, .never, published]).description == #"created_by == "usr_alice" or status == "published""#)
        #expect(RuleResidual.anyOf([own, .always]).description == "always")
        #expect(RuleResidual.anyOf([]).description == "never")
        #expect(RuleResidual.allOf([own, .always, published]).description == #"created_by == "usr_alice" and status == "published""#)
        #expect(RuleResidual.allOf([own, .never]).description == "never")
        #expect(RuleResidual.allOf([]).description == "always")
    }

    @Test func placeholdersCanStartLater() throws {
        let rule = try RuleEngine.check("status == 'a' or priority > 2", schema: Fixtures.posts, allowsData: false)
        guard case .filter(let filter) = rule.residual(context: Fixtures.context(Fixtures.alice)) else { return }
        let rendered = SQLCompiler.compile(filter, dialect: RulePostgresDialect()).render(dialect: RulePostgresDialect(), firstPlaceholder: 2)
        #expect(rendered.sql == #"(("status" IS NOT NULL AND "status" = $2) OR ("priority" IS NOT NULL AND "priority" > $3))"#)
    }

    /// Field names may be keywords or namespace names (`^[a-z][a-z0-9_]*$` allows `in`, `user`):
    /// `record.` reaches them, and residuals print them so that they read back.
    @Test func keywordLikeFieldNames() throws {
        let schema = StaticRuleSchema(["user": .text, "in": .number])
        let rule = try RuleEngine.check("record.user == 'x' and record.in > 1 and user == 'y'", schema: schema, allowsData: false)
        let residual = rule.residual(context: Fixtures.context(Fixtures.alice))
        #expect(residual.description == #"record.user == "x" and record.in > 1 and record.user == "y""#)
        guard case .filter(let filter) = residual else { return }
        #expect(SQLCompiler.compile(filter, dialect: RuleSQLiteDialect()).render(dialect: RuleSQLiteDialect()).sql
            == #"(("user" IS ?) AND ("in" IS NOT NULL AND "in" > ?) AND ("user" IS ?))"#)
    }

    @Test func identifiersAreQuoted() {
        #expect(RuleSQLiteDialect().quoted(identifier: #"we"ird"#) == #""we""ird""#)
        #expect(RulePostgresDialect().quoted(identifier: "status") == #""status""#)
    }
}

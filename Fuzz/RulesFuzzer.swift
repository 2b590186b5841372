// libFuzzer entry point for the rule engine: lexer, parser, checker, evaluator, partial evaluator,
// SQL compiler and RFC 3339 parsing must never crash, and errors must point inside the source.
// Compiled into one module with the engine's sources by Fuzz/fuzz-rules.sh (see there).

struct FuzzSchema: RuleSchema {
    func fieldType(_ name: String) -> RuleFieldType? {
        ["status": .text, "priority": .number, "published": .boolean, "tags": .json, "published_at": .datetime][name]
            ?? StaticRuleSchema.systemFields.fieldType(name)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let source = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
    let context = RuleContext(caller: RuleCaller(userID: "u", roles: ["admin"]), accountID: "A", operation: "read",
                              now: "2025-01-01T00:00:00.000Z")
    do {
        let rule = try RuleEngine.check(source, schema: FuzzSchema(), allowsData: true)
        _ = rule.evaluate(context: context, record: ["status": .text("x"), "priority": .number(1)], data: nil)
        _ = SQLCompiler.compile(rule.residual(context: context), dialect: RuleSQLiteDialect())
        _ = SQLCompiler.compile(rule.residual(context: context), dialect: RulePostgresDialect())
    } catch {
        precondition(error.position >= 0 && error.position <= source.count, "error outside the source: \(error)")
        _ = error.caretDescription(source: source)
    }
    _ = RuleDateTime.canonical(source)
    return 0
}

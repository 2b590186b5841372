import SnackBaseRules

/// SplitMix64: small, fast, and the same sequence on every platform for a given seed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The seed of a randomized test: `RULES_SEED` when set (to replay a failure), else random.
enum TestSeed {
    static func resolve(_ environment: [String: String]) -> UInt64 {
        if let text = environment["RULES_SEED"], let seed = UInt64(text) { return seed }
        return UInt64.random(in: 0...UInt64.max)
    }
}

/// Generates well-typed rules (as source text, so the parser is exercised too), records and callers
/// over one schema with a field of every type. Value pools overlap so that comparisons often hit.
struct RandomRules {
    var rng: SeededGenerator

    static let schema = StaticRuleSchema([
        "t1": .text, "t2": .text, "n1": .number, "n2": .number, "b1": .boolean, "b2": .boolean,
        "d1": .datetime, "d2": .datetime, "j1": .json, "owner_id": .text,
    ])

    /// Columns as the store creates them (the system fields included).
    static let columns: [(name: String, type: RuleFieldType)] = [
        ("t1", .text), ("t2", .text), ("n1", .number), ("n2", .number), ("b1", .boolean), ("b2", .boolean),
        ("d1", .datetime), ("d2", .datetime), ("j1", .json), ("owner_id", .text),
        ("account_id", .text), ("created_by", .text), ("updated_by", .text), ("created_at", .datetime), ("updated_at", .datetime),
    ]

    static let texts = ["", "a", "A", "ab", "abc", "b", "ba", "Z", "za", "é", "e\u{301}", "éa", "😀", "a😀b", "usr_1", "usr_2",
                        "admin", "author", "it's", "x\"y", "back\\slash", "%", "_a", "a b", "line\nbreak", "ß", "日本"]
    static let numbers: [Double] = [-2, -1.5, -0.0, 0, 0.5, 1, 2, 3, 0.1, 0.30000000000000004, 1e15, 9_007_199_254_740_992, -1e300]
    static let instants = ["2024-01-01T00:00:00.000Z", "2024-01-01T00:00:00.001Z", "2024-02-29T23:30:00.000Z",
                           "2025-06-01T12:00:00.000Z", "1999-12-31T23:59:59.999Z", "2030-01-01T00:00:00.500Z"]
    static let roles = ["admin", "author", "a", "é", "viewer"]
    static let userIDs: [String?] = [nil, "usr_1", "usr_2", "a"]
    static let textFields = ["t1", "t2", "owner_id", "created_by"]
    static let numberFields = ["n1", "n2"]
    static let booleanFields = ["b1", "b2"]
    static let datetimeFields = ["d1", "d2", "created_at"]

    init(seed: UInt64) { rng = SeededGenerator(seed: seed) }

    mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &rng) < percent }

    mutating func pick<T>(_ values: [T]) -> T { values.randomElement(using: &rng)! }

    // MARK: Records and callers

    mutating func records(count: Int) -> [[String: RuleValue]] {
        (0..<count).map { index in
            var record: [String: RuleValue] = ["id": .text("r\(index)"), "account_id": .text("AB1001")]
            for (name, type) in Self.columns where name != "account_id" {
                if chance(25) {
                    if chance(50) { record[name] = .null }  // else: missing key, also null
                    continue
                }
                switch type {
                case .text: record[name] = .text(name == "created_by" || name == "owner_id" ? pick(["usr_1", "usr_2", "a", "admin"]) : pick(Self.texts))
                case .number: record[name] = .number(pick(Self.numbers))
                case .boolean: record[name] = .bool(chance(50))
                case .datetime: record[name] = .datetime(pick(Self.instants))
                case .json: record[name] = .text(pick(["{\"a\":1}", "[]", "null", "\"x\""]))
                }
            }
            return record
        }
    }

    mutating func context() -> RuleContext {
        let caller = RuleCaller(
            userID: pick(Self.userIDs),
            email: pick([nil, "a", "usr_1@example.com"]),
            accountID: pick([nil, "AB1001"]),
            roles: Self.roles.filter { _ in chance(30) },
            isSuperadmin: chance(10)
        )
        return RuleContext(caller: caller, accountID: "AB1001", operation: pick(["read", "list", "a"]), now: pick(Self.instants))
    }

    // MARK: Rules

    static func quote(_ text: String) -> String {
        var quoted = "'"
        for character in text {
            switch character {
            case "'": quoted += "\\'"
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            default: quoted.append(character)
            }
        }
        return quoted + "'"
    }

    mutating func numberLiteral() -> String {
        let value = pick(Self.numbers)
        if value == 0, value.sign == .minus { return "-0" }
        if value == value.rounded(), abs(value) < 1e16 { return String(Int64(value)) }
        if value == -1e300 { return "-1" + String(repeating: "0", count: 300) }
        return "\(value)"
    }

    /// An instant written as some RFC 3339 variant of one of the pool's instants.
    mutating func datetimeLiteral() -> String {
        let instant = pick(Self.instants)
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: return "'\(instant)'"
        case 1: return "'" + instant.dropLast(5) + "Z'"  // seconds only: drops the milliseconds
        case 2:
            // The same instant one hour later in +01:00.
            guard let shifted = Self.shiftedPlusOneHour(instant) else { return "'\(instant)'" }
            return "'\(shifted)'"
        default: return "'\(instant.dropLast(1))000000z'"
        }
    }

    static func shiftedPlusOneHour(_ canonical: String) -> String? {
        // Only for instants whose hour is < 23: rewrite HH+1 and add +01:00.
        let characters = Array(canonical)
        guard let hour = Int(String(characters[11...12])), hour < 23 else { return nil }
        let next = hour + 1
        let hourText = next < 10 ? "0\(next)" : "\(next)"
        return String(characters[0...10]) + hourText + String(characters[13...22]) + "+01:00"
    }

    enum ValueType: CaseIterable { case text, number, boolean, datetime }

    mutating func value(_ type: ValueType, depth: Int) -> String {
        if chance(8) { return "null" }
        switch type {
        case .text:
            switch Int.random(in: 0..<10, using: &rng) {
            case 0...3: return pick(Self.textFields)
            case 4: return "record." + pick(Self.textFields)
            case 5: return pick(["user.id", "user.email", "user.account_id", "context.account_id", "context.operation"])
            case 6: return "data.t1"
            default: return Self.quote(pick(Self.texts + ["usr_1", "usr_2"]))
            }
        case .number:
            switch Int.random(in: 0..<6, using: &rng) {
            case 0...2: return pick(Self.numberFields)
            case 3: return "data.n1"
            default: return numberLiteral()
            }
        case .boolean:
            switch Int.random(in: 0..<7, using: &rng) {
            case 0...2: return pick(Self.booleanFields)
            case 3: return "data.b1"
            case 4 where depth > 0: return "(" + condition(depth: depth - 1) + ")"
            default: return pick(["true", "false"])
            }
        case .datetime:
            switch Int.random(in: 0..<6, using: &rng) {
            case 0...2: return pick(Self.datetimeFields)
            case 3: return "context.now"
            case 4: return "data.d1"
            default: return datetimeLiteral()
            }
        }
    }

    mutating func list(_ type: ValueType) -> String {
        let count = Int.random(in: 0...4, using: &rng)
        let members: [String] = (0..<count).map { _ in
            if chance(15) { return "null" }
            switch type {
            case .text: return Self.quote(pick(Self.texts + ["usr_1", "usr_2"]))
            case .number: return numberLiteral()
            case .boolean: return pick(["true", "false"])
            case .datetime: return datetimeLiteral()
            }
        }
        return "[" + members.joined(separator: ", ") + "]"
    }

    mutating func condition(depth: Int) -> String {
        let compound = depth > 0 && chance(45)
        if compound {
            switch Int.random(in: 0..<9, using: &rng) {
            case 0: return "not " + condition(depth: depth - 1)
            case 1: return "!(" + condition(depth: depth - 1) + ")"
            case 2: return "(" + condition(depth: depth - 1) + " and " + condition(depth: depth - 1) + ")"
            case 3: return "(" + condition(depth: depth - 1) + " && " + condition(depth: depth - 1) + " and " + condition(depth: depth - 1) + ")"
            case 4: return condition(depth: depth - 1) + " or " + condition(depth: depth - 1)
            case 5: return "(" + condition(depth: depth - 1) + " || " + condition(depth: depth - 1) + ")"
            case 6: return "(" + condition(depth: depth - 1) + ") " + pick(["==", "!=", "="]) + " " + value(.boolean, depth: depth - 1)
            case 7: return "(" + condition(depth: depth - 1) + ") " + pick(["in", "not in"]) + " " + list(.boolean)
            default: return "not (" + condition(depth: depth - 1) + " or " + condition(depth: depth - 1) + ")"
            }
        }
        switch Int.random(in: 0..<16, using: &rng) {
        case 0, 1:
            let type = pick(ValueType.allCases)
            return value(type, depth: depth) + " " + pick(["==", "!=", "="]) + " " + value(type, depth: depth)
        case 2, 3, 4:
            let type = pick([ValueType.text, .number, .datetime])
            return value(type, depth: depth) + " " + pick(["<", "<=", ">", ">="]) + " " + value(type, depth: depth)
        case 5, 6:
            let type = pick(ValueType.allCases)
            return value(type, depth: depth) + " " + pick(["in", "not in"]) + " " + list(type)
        case 7:
            return pick(["j1 == null", "j1 != null", "null == j1", "record.j1 = null"])
        case 8:
            return pick(Self.booleanFields + ["record.b1", "data.b1", "true", "false"])
        case 9:
            return "@" + pick(["contains", "starts_with", "ends_with"]) + "(" + value(.text, depth: depth) + ", " + value(.text, depth: depth) + ")"
        case 10:
            return pick(["@owns_record()", "@owns_record('owner_id')", "@is_superadmin()"])
        case 11:
            return "@has_role(" + (chance(60) ? Self.quote(pick(Self.roles + ["zzz"])) : value(.text, depth: depth)) + ")"
        case 12:
            return "@has_any_role([" + Self.roles.filter { _ in chance(30) }.map(Self.quote).joined(separator: ", ") + "])"
        case 13:
            return value(.text, depth: depth) + " " + pick(["in", "not in"]) + " user.roles"
        case 14:
            return "'a' " + pick(["<", ">="]) + " " + value(.text, depth: depth)
        default:
            return "not " + value(.number, depth: depth) + " < " + value(.number, depth: depth)
        }
    }
}

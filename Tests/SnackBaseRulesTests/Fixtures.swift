import SnackBaseRules

/// Shared schemas, callers and records for the rule tests.
enum Fixtures {
    /// The seed's `posts` collection, with one field of every type.
    static let posts = StaticRuleSchema([
        "title": .text, "content": .text, "status": .text, "priority": .number, "published": .boolean,
        "owner_id": .text, "tags": .json, "published_at": .datetime,
    ])

    /// The seed's `users` collection (field-level rules).
    static let users = StaticRuleSchema([
        "name": .text, "email": .text, "phone": .text, "ssn": .text, "salary": .number,
    ])

    static let now = "2025-06-01T12:00:00.000Z"

    static func context(_ caller: RuleCaller, operation: String = "read") -> RuleContext {
        RuleContext(caller: caller, accountID: "AB1001", operation: operation, now: now)
    }

    static let alice = RuleCaller(userID: "usr_alice", email: "alice@example.com", accountID: "AB1001", roles: ["author"])
    static let bob = RuleCaller(userID: "usr_bob", email: "bob@example.com", accountID: "AB1001", roles: ["viewer"])
    static let admin = RuleCaller(userID: "usr_admin", email: "admin@example.com", accountID: "AB1001", roles: ["admin"])
    static let editor = RuleCaller(userID: "usr_ed", email: "ed@example.com", accountID: "AB1001", roles: ["editor"])
    static let moderator = RuleCaller(userID: "usr_mod", email: "mod@example.com", accountID: "AB1001", roles: ["moderator", "viewer"])
    static let hr = RuleCaller(userID: "usr_hr", email: "hr@example.com", accountID: "AB1001", roles: ["hr"])
    static let superadmin = RuleCaller(userID: "usr_root", email: "root@example.com", accountID: "SY0000", roles: [], isSuperadmin: true)
    static let anonymous = RuleCaller.anonymous
    /// The seed's example user id and (as the scraped seed spells it) email.
    static let seedUser = RuleCaller(userID: "user_abc123", email: "[email protected]", accountID: "AB1001", roles: [])

    static func post(by owner: String?, status: String? = "draft", priority: Double? = 1) -> [String: RuleValue] {
        var record: [String: RuleValue] = ["id": .text("rec_1"), "account_id": .text("AB1001"), "title": .text("Hello")]
        record["created_by"] = owner.map(RuleValue.text) ?? .null
        record["status"] = status.map(RuleValue.text) ?? .null
        record["priority"] = priority.map(RuleValue.number) ?? .null
        return record
    }
}

import SnackBaseAccess
import SnackBaseCore
import SnackBaseRules
import Testing

/// Inputs for the access core: collections, callers, records, and policies compiled the way
/// `PolicyCache.load` compiles them (each permission checked against the collection it names;
/// the wildcard and a permission for a collection that does not exist yet against the system fields).
enum F {
    static let acme = AccountID("AB1001")!
    static let globex = AccountID("XY2048")!
    static let now = "2026-03-01T12:00:00.000Z"

    static func collection(_ name: String, _ fields: [(String, FieldType)]) -> CollectionSchema {
        CollectionSchema(id: "col_" + name, name: name, description: "",
                         fields: fields.map { FieldSchema(name: $0.0, type: $0.1) }, createdAt: now, updatedAt: now)
    }

    static let posts = collection("posts", [("title", .text), ("status", .text), ("body", .text), ("draft_notes", .text), ("internal_status", .text)])
    static let comments = collection("comments", [("body", .text), ("author_ip", .text)])
    static let users = collection("users", [("name", .text), ("email", .email), ("phone", .text), ("ssn", .text), ("salary", .number)])
    /// Created after the policy was compiled: only a wildcard can cover it.
    static let notes = collection("notes", [("text", .text)])
    static let known = [posts, comments, users]

    static let system: Set<String> = Set(CollectionSchema.systemFields)
    static func userFields(_ collection: CollectionSchema) -> Set<String> { Set(collection.fields.map(\.name)) }
    static func allFields(_ collection: CollectionSchema) -> Set<String> { system.union(userFields(collection)) }

    /// One stored permission of a role, `ops` a subset of "crud".
    struct Grant: Sendable {
        let role: String
        let permission: Permission
    }

    static func grant(
        _ role: String, _ collection: String, _ ops: String, fields: [String]? = nil, excluded: [String] = [],
        rules: [String: String] = [:], fieldRules: [String: FieldRule] = [:]
    ) -> Grant {
        Grant(role: role, permission: Permission(
            id: "perm_\(role)_\(collection)", accountID: acme, roleID: "role_" + role, collection: collection,
            create: ops.contains("c"), read: ops.contains("r"), update: ops.contains("u"), delete: ops.contains("d"),
            fields: fields, excludedFields: excluded, rules: rules, fieldRules: fieldRules, createdAt: now, updatedAt: now
        ))
    }

    static func compile(_ grant: Grant, collections: [CollectionSchema] = known) -> CompiledPermission {
        CompiledPermission(grant.permission, roleName: grant.role, collection: collections.first { $0.name == grant.permission.collection })
    }

    static func policy(_ grants: [Grant], collections: [CollectionSchema] = known) -> AccessPolicy {
        var byRole: [String: [String: CompiledPermission]] = [:]
        for grant in grants {
            byRole[grant.role, default: [:]][grant.permission.collection] = compile(grant, collections: collections)
        }
        return AccessPolicy(permissionsByRole: byRole)
    }

    /// The roles of a new account (security-model.md §3); `anonymous` has nothing.
    static let defaultRoles = [grant("admin", "*", "crud"), grant("editor", "*", "cru"), grant("viewer", "*", "r")]

    static func user(_ id: String, _ roles: String..., account: AccountID = acme) -> Principal {
        user(id, roles, account: account)
    }

    static func user(_ id: String, _ roles: [String], account: AccountID = acme) -> Principal {
        Principal(userID: id, email: id + "@acme.test", accountID: account, roles: roles)
    }

    static let alice = "usr_alice"
    static let bob = "usr_bob"
    static let anonymous = Principal(userID: nil, email: nil, accountID: acme, roles: [Role.anonymous])
    /// A user of the system account SY0000, with no role at all.
    static let root = Principal(userID: "usr_root", email: "root@system.test", accountID: .system, roles: [])

    /// A stored record of `owner` (system fields set), with the given user fields.
    static func record(_ owner: String?, _ fields: [String: RuleValue] = [:]) -> [String: RuleValue] {
        var record: [String: RuleValue] = [
            "id": .text("rec_1"), "account_id": .text(acme.rawValue),
            "created_by": owner.map(RuleValue.text) ?? .null, "updated_by": owner.map(RuleValue.text) ?? .null,
            "created_at": .datetime(now), "updated_at": .datetime(now),
        ]
        record.merge(fields) { _, new in new }
        return record
    }

    static func matches(_ residual: RuleResidual, _ record: [String: RuleValue]) -> Bool {
        switch residual {
        case .always: true
        case .never: false
        case .filter(let filter): filter.matches(record: record)
        }
    }
}

/// The outcome of one decision, as the spec states it.
enum Outcome: Sendable, CustomStringConvertible {
    /// Allowed, granted by exactly these roles (none for the superadmin).
    case allowed(by: [String])
    /// Denied with this status and message.
    case denied(Int, String)
    /// A write denied (403 unless anonymous) with a message naming every one of these fields.
    case deniedNaming(Int, [String])

    var description: String {
        switch self {
        case .allowed(let roles): "allowed by \(roles)"
        case .denied(let status, let reason): "\(status) \(reason)"
        case .deniedNaming(let status, let fields): "\(status) naming \(fields)"
        }
    }
}

/// One named scenario: who does what to which record, and what the spec says happens.
struct Decision: Sendable, CustomTestStringConvertible {
    let id: String
    let title: String
    let policy: AccessPolicy
    let who: Principal
    let operation: SnackBaseCore.Operation
    let collection: CollectionSchema
    let record: [String: RuleValue]
    let data: [String: RuleValue]?
    let sent: Set<String>
    let expected: Outcome

    init(
        _ id: String, _ title: String, _ policy: AccessPolicy, _ who: Principal, _ operation: SnackBaseCore.Operation,
        on collection: CollectionSchema = F.posts, record: [String: RuleValue] = F.record(F.alice),
        data: [String: RuleValue]? = nil, sent: Set<String> = [], _ expected: Outcome
    ) {
        self.id = id
        self.title = title
        self.policy = policy
        self.who = who
        self.operation = operation
        self.collection = collection
        self.record = record
        self.data = data
        self.sent = sent
        self.expected = expected
    }

    var testDescription: String { "\(id) \(title)" }

    func decide() -> AccessDecision {
        policy.decide(operation, by: who, on: collection, record: record, data: data, sentFields: sent, now: F.now)
    }

    /// Checks the decision against the expected outcome; every branch can fail.
    func verify() {
        let decision = decide()
        switch expected {
        case .allowed(let roles):
            #expect(decision.allowed, "\(id): \(decision.status) \(decision.reason)")
            #expect(decision.status == 200, "\(id)")
            #expect(decision.granting.map(\.roleName).sorted() == roles.sorted(), "\(id)")
        case .denied(let status, let reason):
            #expect(!decision.allowed, "\(id)")
            #expect(decision.status == status, "\(id): \(decision.reason)")
            #expect(decision.reason == reason, "\(id)")
            #expect(decision.granting.isEmpty, "\(id)")
        case .deniedNaming(let status, let fields):
            #expect(!decision.allowed, "\(id)")
            #expect(decision.status == status, "\(id): \(decision.reason)")
            for field in fields { #expect(decision.reason.contains(field), "\(id): \(decision.reason) should name \(field)") }
        }
    }
}

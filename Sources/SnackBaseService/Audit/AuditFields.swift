import Foundation
import SnackBaseCore
import SnackBaseStore

/// The fields of each administered resource as the audit log shows them, for
/// ``AuditChange/diff(_:_:)``: what an administrator set, never a password hash or a token.
package protocol AuditedResource {
    var auditFields: [String: JSONValue] { get }
}

extension AuditedResource {
    /// Every field as new (a creation).
    package var createdChanges: [String: AuditChange] { AuditChange.diff([:], auditFields) }
    /// Every field as old (a deletion).
    package var deletedChanges: [String: AuditChange] { AuditChange.diff(auditFields, [:]) }
}

extension User: AuditedResource {
    package var auditFields: [String: JSONValue] {
        ["email": .string(email), "roles": .array(roles.sorted().map(JSONValue.string)), "is_active": .bool(isActive)]
    }
}

extension Account: AuditedResource {
    package var auditFields: [String: JSONValue] { ["name": .string(name), "slug": .string(slug)] }
}

extension Role: AuditedResource {
    package var auditFields: [String: JSONValue] {
        ["name": .string(name), "description": .string(description), "require_mfa": .bool(requireMFA)]
    }
}

extension Permission: AuditedResource {
    package var auditFields: [String: JSONValue] {
        var result: [String: JSONValue] = [
            "role_id": .string(roleID), "collection": .string(collection),
            "create": .bool(create), "read": .bool(read), "update": .bool(update), "delete": .bool(delete),
            "fields": fields.map { .array($0.map(JSONValue.string)) } ?? .null,
            "excluded_fields": .array(excludedFields.map(JSONValue.string)),
            "rules": .object(rules.mapValues(JSONValue.string)),
        ]
        result["field_rules"] = .object(fieldRules.mapValues { rule in
            .object(["read": rule.read.map(JSONValue.string) ?? .null, "write": rule.write.map(JSONValue.string) ?? .null])
        })
        return result
    }
}

extension CollectionSchema: AuditedResource {
    package var auditFields: [String: JSONValue] {
        let schema = (try? JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(fields))) ?? .null
        return ["name": .string(name), "description": .string(description), "fields": schema]
    }
}

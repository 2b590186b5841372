import SnackBaseCore

/// The old and new value of one user field. Never a secret: callers put a password change as
/// ``AuditChange/redacted`` and never a hash or a token.
public struct AuditChange: Sendable, Equatable, Codable {
    public var old: JSONValue?
    public var new: JSONValue?

    public init(old: JSONValue?, new: JSONValue?) {
        self.old = old
        self.new = new
    }

    /// A secret changed (a password): the entry says so without either value.
    public static let redacted = AuditChange(old: .string("[redacted]"), new: .string("[redacted]"))

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(old ?? .null, forKey: .old)
        try container.encode(new ?? .null, forKey: .new)
    }

    /// The fields whose value differs between `old` and `new` (a field missing on one side is null there).
    public static func diff(_ old: [String: JSONValue], _ new: [String: JSONValue]) -> [String: AuditChange] {
        var changes: [String: AuditChange] = [:]
        for key in Set(old.keys).union(new.keys) {
            let before = old[key] ?? .null
            let after = new[key] ?? .null
            if before != after { changes[key] = AuditChange(old: before, new: after) }
        }
        return changes
    }
}

/// The answer of ``AuditLog/verify(account:on:)``.
public struct AuditVerification: Sendable, Equatable {
    /// Entries whose sequence, link and hash were checked (up to and including a broken one).
    public let checked: Int
    public let broken: AuditBreak?
    public var valid: Bool { broken == nil }
}

/// The first entry where a chain stops being what was written.
public struct AuditBreak: Sendable, Equatable {
    public let id: String
    public let accountID: String
    public let sequence: Int
    public let problem: String
}

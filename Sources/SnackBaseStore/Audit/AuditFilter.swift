import SnackBaseCore

/// Which entries a list or an export wants. `account` nil means every account: only the
/// superadmin's path builds such a filter.
public struct AuditFilter: Sendable {
    public var account: AccountScope?
    public var actorID: String?
    /// An exact action (`record.create`) or a family (`record.*`).
    public var action: String?
    public var collection: String?
    public var recordID: String?
    public var outcome: AuditOutcome?
    /// Inclusive bounds on `created_at`, canonical RFC 3339 text.
    public var since: String?
    public var until: String?

    public init(account: AccountScope?, actorID: String? = nil, action: String? = nil, collection: String? = nil, recordID: String? = nil,
                outcome: AuditOutcome? = nil, since: String? = nil, until: String? = nil) {
        self.account = account
        self.actorID = actorID
        self.action = action
        self.collection = collection
        self.recordID = recordID
        self.outcome = outcome
        self.since = since
        self.until = until
    }
}

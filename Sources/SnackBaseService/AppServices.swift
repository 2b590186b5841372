import Argon2
import Logging
import SnackBaseAccess
import SnackBaseAuth
import SnackBaseCore
import SnackBaseStore

/// Everything a request handler needs, built once at start.
public struct AppServices: Sendable {
    public let database: any Database
    public let tokens: TokenService
    public let passwords: PasswordService
    public let loginLimiter: LoginRateLimiter
    public let identities: IdentityResolver
    public let policies: PolicyCache
    public let collections: CollectionCatalog
    public let hooks: RecordHooks
    public let logger: Logger
    /// The Prometheus metrics served at `/metrics`.
    public let metrics: AppMetrics
    /// When set, `/metrics` requires `Authorization: Bearer <token>` (`SNACKBASE_METRICS_TOKEN`).
    public let metricsToken: String?
    /// Reaches the other server processes on the same database (PostgreSQL); nil on SQLite.
    public let changeFeed: (any ChangeFeed)?
    /// Which denials get an audit entry of their own and which are summarized.
    public let denials = DenialLedger()
    /// The limits of the unauthenticated routes other than login (identity.md).
    public let rateLimits: RateLimits
    /// Counts the requests of the limited unauthenticated routes (`register`, …).
    public let requestLimiter: RequestRateLimiter
    /// Outgoing mail: verification, password reset, invitations (identity.md "Email"); none by default.
    public var mail: MailSettings = .disabled
    /// The backups `/api/v1/backups` takes and lists; nil: none are taken here (the routes answer 404).
    public var backups: BackupCatalog?
    /// Seals TOTP seeds with a key derived from `SNACKBASE_SECRET_KEY`; nil: two-factor enrolment
    /// and sign-in are refused (fail closed).
    public let secretSealer: SecretSealer?
    /// The open realtime streams of this process and the committed changes they receive (realtime.md).
    package let realtime: RealtimeHub
    /// Carries record changes to the realtime streams of every process on the same PostgreSQL
    /// database, received by ``listenForChanges(onListening:onApplied:)``; nil on SQLite (and
    /// without a secret to seal them with), where each write reaches this process's streams directly.
    package let realtimeRelay: RealtimeRelay?

    public init(database: any Database, tokens: TokenService, passwords: PasswordService,
                rateLimits: RateLimits = RateLimits(), loginLimiter: LoginRateLimiter? = nil, permissionCacheTTL: Duration = .seconds(300),
                hooks: RecordHooks = .audited, metricsToken: String? = nil, secretSealer: SecretSealer? = nil,
                realtime: RealtimeSettings = RealtimeSettings(), logger: Logger) {
        self.secretSealer = secretSealer
        self.policies = PolicyCache(ttl: permissionCacheTTL)
        self.collections = CollectionCatalog()
        self.hooks = hooks
        self.database = database
        self.tokens = tokens
        self.passwords = passwords
        self.rateLimits = rateLimits
        // On PostgreSQL the failures are counted in the database, by every process alike.
        let sharedFailures: (any LoginFailureCounter)? = database.kind == .postgres
            ? DatabaseLoginFailures(database: database, keepFor: 2 * max(rateLimits.loginIdentity.period, rateLimits.loginAddress.period))
            : nil
        self.loginLimiter = loginLimiter ?? LoginRateLimiter(perIdentity: rateLimits.loginIdentity.asLoginLimit, perAddress: rateLimits.loginAddress.asLoginLimit,
                                                             shared: sharedFailures)
        self.requestLimiter = RequestRateLimiter()
        self.logger = logger
        self.metrics = AppMetrics()
        self.identities = IdentityResolver(database: database, tokens: tokens, loginLimiter: self.loginLimiter, metrics: self.metrics)
        self.metricsToken = metricsToken
        self.changeFeed = database.changeFeed
        self.realtime = RealtimeHub(settings: realtime, database: database, policies: policies, collections: collections, metrics: metrics, logger: logger)
        if let changeFeed, let secretSealer {
            self.realtimeRelay = RealtimeRelay(feed: changeFeed, sealer: secretSealer)
        } else {
            self.realtimeRelay = nil
        }
    }
}

extension AppServices {
    /// The access policy `principal` is decided by: its account's (from the cache); the superadmin,
    /// who needs no permission, gets an empty one (``AccessPolicy`` lets it through first).
    package func policy(for principal: Principal) async throws -> AccessPolicy {
        if principal.isSuperadmin { return AccessPolicy(permissionsByRole: [:]) }
        return try await policies.policy(for: principal.accountID, database: database)
    }

    /// Records one denial (security-model.md §6): `entry` is written when ``DenialLedger`` lets it
    /// have an entry of its own, with any summaries now due, in one transaction of its own. A failed
    /// write never changes the answer: it is logged and counted.
    package func recordDenial(_ key: DenialLedger.Key, mayHaveOwnEntry: Bool, entry: AuditEvent) async {
        let (ownEntry, due) = await denials.admit(key, mayHaveOwnEntry: mayHaveOwnEntry)
        await appendDenials(due.map(\.event) + (ownEntry ? [entry] : []), action: entry.action)
    }

    /// Writes the `access.denied_summary` entries of the denial windows that have ended (every open
    /// window when `all`, at shutdown and in tests). The server calls it every few seconds.
    public func writeDenialSummaries(all: Bool = false) async {
        await appendDenials(await denials.takeSummaries(all: all).map(\.event), action: "access.denied_summary")
    }

    private func appendDenials(_ events: [AuditEvent], action: String) async {
        guard !events.isEmpty else { return }
        do {
            try await database.transaction { db in
                for event in events { try await AuditLog.append(event, on: db) }
            }
        } catch {
            metrics.auditWriteFailed()
            logger.error("audit.write_failed", metadata: ["audit.action": .string(action), "error.type": .string(String(describing: type(of: error)))])
        }
    }

    /// Roles or permissions of an account changed: its cached policy is dropped before the change's
    /// response is sent, so the very next request sees the change, and the other processes on the
    /// same database are told (call this after the change commits).
    public func accessChanged(in account: AccountID) async {
        await invalidateLocally(.access(account))
        await changeFeed?.publish(.access(account))
    }

    /// A collection was created, changed or deleted: every cached schema and policy is dropped,
    /// here and (after the change commits) in the other processes.
    public func schemaChanged() async {
        await invalidateLocally(.schema)
        await changeFeed?.publish(.schema)
    }

    /// Applies the other processes' invalidations and hands every process's record changes to
    /// this process's realtime streams until the task is cancelled; returns at once where there
    /// are no other processes (SQLite). `onListening` runs each time the subscription is
    /// (re)established, `onApplied` after each invalidation took effect (tests time them).
    public func listenForChanges(
        onListening: @escaping @Sendable () async -> Void = {}, onApplied: @escaping @Sendable (CacheInvalidation) async -> Void = { _ in }
    ) async {
        guard let changeFeed else { return }
        let realtime = self.realtime
        let relay = realtimeRelay
        await changeFeed.listen(onListening: onListening, apply: { invalidation in
            await self.invalidateLocally(invalidation)
            // Messages may have been lost: record changes among them.
            if invalidation == .everything { realtime.gap() }
            await onApplied(invalidation)
        }, receive: { message in
            if let change = relay?.open(message) {
                realtime.receive(change)
            } else {
                // Not sealed by this server's secret: a forgery, or a process with another secret.
                self.logger.warning("realtime.relay.unreadable")
                realtime.gap()
            }
        })
    }

    package func invalidateLocally(_ invalidation: CacheInvalidation) async {
        switch invalidation {
        case .access(let account):
            await policies.invalidate(account)
        case .schema, .everything:
            await collections.invalidate()
            await policies.invalidateAll()
        }
    }
}

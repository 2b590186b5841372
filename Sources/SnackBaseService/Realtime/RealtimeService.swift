import Foundation
import SnackBaseAccess
import SnackBaseCore
import SnackBaseRules
import SnackBaseStore

/// Opens realtime streams (`GET /api/v1/realtime`): checks the topics, the caller's read grant on
/// each collection (the answer of a list: 401 or 403 before any stream starts), the `filter`, the
/// account and the stream limits, then subscribes the stream to the hub.
package struct RealtimeService: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }

    /// Who opens the stream, and how to look them up again for every event.
    package struct Caller: Sendable {
        package let principal: Principal
        /// When the credential expires (Unix seconds); nil when it does not.
        package let expiresAt: Int?
        package let resolve: @Sendable () async throws -> Principal?
        package let identityKey: String
        package let limitKey: String

        package init(principal: Principal, expiresAt: Int?, identityKey: String, limitKey: String, resolve: @escaping @Sendable () async throws -> Principal?) {
            self.principal = principal
            self.expiresAt = expiresAt
            self.identityKey = identityKey
            self.limitKey = limitKey
            self.resolve = resolve
        }
    }

    /// A signed-in user (from an access token or a ticket's holder), looked up again for each event.
    package func user(_ principal: Principal, family: String, expiresAt: Int) -> Caller {
        let identities = services.identities
        let (userID, account) = (principal.userID ?? "", principal.accountID)
        return Caller(principal: principal, expiresAt: expiresAt, identityKey: "u|\(account.rawValue)|\(userID)|\(family)", limitKey: "u|\(userID)") {
            try await identities.principal(userID: userID, accountID: account, family: family)
        }
    }

    /// An API key (its id is the caller's), looked up again for each event: a revoked or expired key ends the stream.
    package func apiKey(_ principal: Principal, key: String, address: String?) -> Caller {
        let identities = services.identities
        let id = principal.userID ?? ""
        return Caller(principal: principal, expiresAt: nil, identityKey: "k|\(id)", limitKey: "k|\(id)") {
            switch await identities.resolve(.apiKey(key), from: address) {
            case .principal(let principal): principal
            case .refused: nil
            }
        }
    }

    /// An anonymous caller of an account (its `anonymous` role); `address` keeps its streams apart from others'.
    package func anonymous(_ principal: Principal, address: String?) -> Caller {
        let identities = services.identities
        let account = principal.accountID
        return Caller(principal: principal, expiresAt: nil, identityKey: "a|\(account.rawValue)", limitKey: "a|\(account.rawValue)|\(address ?? "unknown")") {
            try await identities.anonymous(in: account.rawValue)
        }
    }

    /// The holder of a ticket as a caller; nil (401) when the ticket is unknown, used, expired, or its sign-in ended.
    package func ticketHolder(_ ticket: String) async throws -> Caller? {
        guard let holder = services.realtime.tickets.redeem(ticket),
              let principal = try await services.identities.principal(userID: holder.userID, accountID: holder.accountID, family: holder.family)
        else { return nil }
        return user(principal, family: holder.family, expiresAt: holder.tokenExpiresAt)
    }

    /// A ticket for `principal`, signed in with `family` by a token that expires at `expiresAt`.
    package func issueTicket(for principal: Principal, family: String?, expiresAt: Int) throws -> (ticket: String, expiresIn: Int) {
        guard let userID = principal.userID, let family else { throw SnackBaseError.unauthorized() }
        let ticket = services.realtime.tickets.issue(for: .init(userID: userID, accountID: principal.accountID, family: family, tokenExpiresAt: expiresAt))
        return (ticket, RealtimeTickets.lifetime)
    }

    package struct OpenRequest: Sendable {
        package var topics: String?
        package var filter: String?
        package var accountID: String?
        /// `Last-Event-ID` (header or `last_event_id`) as sent.
        package var lastEventID: String?

        package init(topics: String?, filter: String?, accountID: String?, lastEventID: String?) {
            self.topics = topics
            self.filter = filter
            self.accountID = accountID
            self.lastEventID = lastEventID
        }
    }

    /// A new stream, subscribed; the caller writes its mailbox out and calls ``RealtimeHub/end(_:)`` when done.
    package func open(_ request: OpenRequest, caller: Caller) async throws -> RealtimeStream {
        let principal = caller.principal
        let topics = try Self.topics(request.topics)
        var schemas: [String: CollectionSchema] = [:]
        for topic in topics where schemas[topic.collection] == nil {
            guard let (schema, _) = try await services.collections.record(topic.collection, database: services.database) else {
                throw SnackBaseError.notFound("Collection")
            }
            schemas[topic.collection] = schema
        }
        let scope = try await AccountAccess(services: services).scope(for: principal, query: request.accountID)
        // The superadmin's stream without `account_id` carries every account's events.
        let account: AccountID? = principal.isSuperadmin && (request.accountID ?? "").isEmpty ? nil : scope.accountID
        let policy = try await services.policy(for: principal)
        let now = Timestamp.now()
        var queryable: Set<String>?
        for topic in topics {
            guard let schema = schemas[topic.collection] else { throw SnackBaseError.notFound("Collection") }
            switch policy.listPlan(by: principal, on: schema, now: now) {
            case .denied(let reason, let signInRequired): throw SnackBaseError.denied(reason, anonymous: signInRequired)
            case .everything: queryable = nil
            case .filtered(let read): queryable = read.queryable
            }
        }
        var filter: CheckedRule?
        if let text = request.filter, !text.isEmpty {
            guard topics.count == 1, topics[0].recordID == nil, let schema = schemas[topics[0].collection] else {
                throw SnackBaseError.badRequest("filter needs exactly one collection topic", details: [.init(field: "filter", message: "only with one collection topic")])
            }
            let checked: CheckedRule
            do {
                checked = try RuleEngine.check(text, schema: CollectionRuleSchema(schema), allowsData: false)
            } catch {
                throw SnackBaseError.badRequest("Invalid filter: \(error.message)", details: [.init(field: "filter", message: error.message, position: error.position)])
            }
            try RecordService.requireQueryable(checked.recordFields, queryable, parameter: "filter")
            filter = checked
        }
        let hub = services.realtime
        guard hub.admit(caller.limitKey) else {
            services.metrics.rateLimitHit()
            throw SnackBaseError.tooManyRequests(retryAfter: 5)
        }
        let stream = RealtimeStream(topics: topics, filter: filter, account: account, identityKey: caller.identityKey, expiresAt: caller.expiresAt,
                                    limitKey: caller.limitKey, buffer: hub.settings.buffer, resolve: caller.resolve)
        let last: UInt64? = request.lastEventID.flatMap { text in text.isEmpty ? nil : (UInt64(text) ?? 0) }
        hub.subscribe(stream, lastEventID: last)
        return stream
    }

    /// The `topics` parameter: 1–20 entries, each `collection` or `collection/record id` (400 otherwise).
    static func topics(_ text: String?) throws -> [RealtimeStream.Topic] {
        guard let text, !text.isEmpty else {
            throw SnackBaseError.badRequest("topics is required", details: [.init(field: "topics", message: "a comma list of collection or collection/id")])
        }
        var topics: [RealtimeStream.Topic] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let entry = RecordService.trimmed(part)
            let pieces = entry.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard !entry.isEmpty, pieces.count <= 2, pieces.allSatisfy({ !$0.isEmpty }) else {
                throw SnackBaseError.badRequest("Malformed topic '\(entry.prefix(100))'", details: [.init(field: "topics", message: "each entry is collection or collection/id")])
            }
            let topic = RealtimeStream.Topic(collection: pieces[0], recordID: pieces.count == 2 ? pieces[1] : nil)
            if !topics.contains(topic) { topics.append(topic) }
        }
        guard (1...20).contains(topics.count) else {
            throw SnackBaseError.badRequest("topics takes 1 to 20 entries", details: [.init(field: "topics", message: "1 to 20 entries")])
        }
        return topics
    }
}

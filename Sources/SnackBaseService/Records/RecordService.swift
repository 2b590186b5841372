import Foundation
import NIOCore
import SnackBaseAccess
import SnackBaseCore
import SnackBaseRules
import SnackBaseStore
import SQLKit
import Synchronization

/// The use cases of the generated record API (`/records/{collection}`): list, get, create, update,
/// delete. Each resolves who acts in which account and collection (``RecordTarget``), asks
/// ``AccessPolicy`` (the one decision point), runs the transaction with the record hooks (account
/// isolation first, then the audit entry), and returns the record as the caller may see it.
package struct RecordService: Sendable {
    let services: AppServices
    let accounts: AccountAccess

    package init(services: AppServices) {
        self.services = services
        self.accounts = AccountAccess(services: services)
    }

    // MARK: target

    /// Who acts, in which account and collection, under which policy, at which time.
    package func target(collection name: String, principal: Principal, requestedAccount: String?, bodyAccount: String? = nil) async throws -> RecordTarget {
        guard let (collection, writer) = try await services.collections.record(name, database: services.database) else {
            throw SnackBaseError.notFound("Collection")
        }
        let account = try await accounts.scope(for: principal, query: requestedAccount, body: bodyAccount)
        let policy = try await services.policy(for: principal)
        return RecordTarget(
            principal: principal, scope: RecordScope(account: account, collection: collection), policy: policy, now: Timestamp.now(), writer: writer
        )
    }

    // MARK: read

    /// One record, with the fields the caller may read (narrowed by `fields` when given).
    package func get(id: String, fields: String?, target: RecordTarget) async throws -> ByteBuffer {
        try target.refuseIfNeverGranted(.read)
        let requested = try Self.fieldsParameter(fields, collection: target.scope.collection)
        let scope = target.scope
        let remembered = services.database.rememberedReads
        let page = try await services.database.readRemembered { db in try await RecordRepository.findPage(id: id, in: scope, remembered: remembered, on: db) }
        guard let stored = page.records.first else { throw SnackBaseError.notFound("Record") }
        // Derived once per remembered record, for every request that reads it before the next write.
        let writer = target.writer
        let prepared = remembered == nil ? nil : PreparedRecord.all(of: page, collection: scope.collection, writer: writer).first
        let decision = target.decide(.read, record: stored, ruleValues: prepared?.ruleValues)
        try Self.require(decision)
        await Self.yieldToTheLoop()
        if decision.readableFields == nil && requested == nil, let everyField = prepared?.everyField { return everyField }
        return writer.object(stored, visible: decision.readableFields, requested: requested)
    }

    /// What a list request asks, as sent: the page, and the texts of `sort`, `fields` and `filter`,
    /// and the `{field}=value` equality shortcuts (any other name is not a field and is ignored).
    package struct ListRequest: Sendable {
        package var skip: Int
        package var limit: Int
        package var sort: String?
        package var fields: String?
        package var filter: String?
        package var shortcuts: [(name: String, value: String)]

        package init(skip: Int, limit: Int, sort: String?, fields: String?, filter: String?, shortcuts: [(name: String, value: String)]) {
            self.skip = skip
            self.limit = limit
            self.sort = sort
            self.fields = fields
            self.filter = filter
            self.shortcuts = shortcuts
        }
    }

    /// One page of the records the caller may read (security-model.md §3 step 4, §4).
    package func list(_ request: ListRequest, target: RecordTarget) async throws -> ListedPage {
        let collection = target.scope.collection
        let requested = try Self.fieldsParameter(request.fields, collection: collection)
        var residuals: [RuleResidual] = []
        // Nil: every record and field (the superadmin).
        var readFilter: ReadFilter?
        switch target.policy.listPlan(by: target.principal, on: collection, now: target.now) {
        case .denied(let reason, let signInRequired): throw SnackBaseError.denied(reason, anonymous: signInRequired)
        case .everything: break
        case .filtered(let read):
            residuals.append(read.residual)
            readFilter = read
        }
        // Nil: every field (the superadmin, or readers that hide none).
        let queryable = readFilter?.queryable
        let sort = try Self.sortParameter(request.sort, collection: collection, queryable: queryable)
        if let filter = request.filter, !filter.isEmpty {
            let checked: CheckedRule
            do {
                checked = try RuleEngine.check(filter, schema: CollectionRuleSchema(collection), allowsData: false)
            } catch {
                throw SnackBaseError.badRequest("Invalid filter: \(error.message)", details: [.init(field: "filter", message: error.message, position: error.position)])
            }
            try Self.requireQueryable(checked.recordFields, queryable, parameter: "filter")
            residuals.append(checked.residual(context: readFilter?.context ?? AccessPolicy.ruleContext(target.principal, operation: .read, now: target.now)))
        }
        let query = RecordQuery(
            rule: RuleResidual.allOf(residuals), equals: try Self.shortcuts(request.shortcuts, collection: collection, queryable: queryable),
            sort: sort, skip: request.skip, limit: request.limit
        )
        let scope = target.scope
        let remembered = services.database.rememberedReads
        let dialect = services.database.ruleDialect
        let (page, total) = try await services.database.readRemembered { db in
            try await RecordRepository.list(query, dialect: dialect, in: scope, remembered: remembered, on: db)
        }
        await Self.yieldToTheLoop()
        let writer = target.writer
        // Derived once per remembered page, for every request that reads it before the next write.
        let prepared = remembered == nil ? nil : PreparedRecord.all(of: page, collection: collection, writer: writer)
        // Decided once per remembered page for the callers that decide alike (the same readers, the same
        // context; its time only where a rule reads it).
        let decided = prepared.flatMap { prepared in
            readFilter.map { filter in
                page.decided(for: filter.decisionKey, limit: 8) { filter.visibleFields(of: prepared[$0].ruleValues, collection: collection) }
            }
        }
        return ListedPage(page: page, total: total, prepared: prepared, filter: readFilter, decided: decided, requested: requested, target: target)
    }

    // MARK: write

    /// Creates a record from a request body (system fields are set here and by the hooks; a body
    /// `account_id` was checked by ``target(collection:principal:requestedAccount:bodyAccount:)``).
    package func create(_ body: [String: JSONValue], target: RecordTarget, requestID: String) async throws -> ByteBuffer {
        let values = try decideCreate(body, target: target)
        let stored = try await write(.create, values, previous: nil, target: target, requestID: requestID)
        return visible(stored, target: target)
    }

    /// The create decision without the write: the body validated, the permission, rules and field
    /// security decided; the values to insert. POST and every line of an import take this one path.
    package func decideCreate(_ body: [String: JSONValue], target: RecordTarget) throws -> StoredRecord {
        let collection = target.scope.collection
        try target.refuseIfNeverGranted(.create)
        let (values, sent) = try RecordCodec.validate(body, collection: collection, mode: .create)
        let preview = RecordEvent.systemFields(of: values, kind: .create, scope: target.scope, actor: target.principal, now: target.now)
        try Self.require(target.decide(
            .create, record: preview, data: values.filter { sent.contains($0.key) }, sentFields: sent
        ))
        return values
    }

    /// A write of an all-or-nothing import that failed: which line, and why.
    package struct LineFailure: Error, Sendable {
        package let line: Int
        package let error: any Error
    }

    /// Inserts records already decided by ``decideCreate(_:target:)`` in one transaction: each with its
    /// reference check, hooks (account isolation, then the audit entry) and realtime event, as a
    /// single create. The first write that fails rolls every one back (``LineFailure`` names its line).
    package func createAll(_ lines: [(line: Int, values: StoredRecord)], target: RecordTarget, requestID: String) async throws -> Int {
        let hooks = services.hooks
        let collections = try await services.collections.all(database: services.database)
        let realtime = services.realtime
        let relay = services.realtimeRelay
        let change = { @Sendable (record: StoredRecord) in
            RecordChange(
                kind: .created, accountID: target.scope.account.accountID, collection: target.scope.collection.name,
                recordID: record["id"].flatMap(Self.text) ?? "", before: nil, after: record, at: target.now
            )
        }
        let places = lines.map { _ in RealtimePlace() }
        let written: [StoredRecord]
        do {
            let carry = TotalsCarry(services.database.rememberedReads, scope: target.scope)
            written = try await services.database.transaction(touching: hooks.footprint(of: target.scope), carrying: carry) { db in
                var records: [StoredRecord] = []
                for (index, item) in lines.enumerated() {
                    do {
                        let record = try await Self.apply(.create, item.values, previous: nil, id: "", target: target, requestID: requestID,
                                                          hooks: hooks, collections: collections, decides: nil, on: db) { record, _, db in
                            try await carry?.created(id: record["id"].flatMap(Self.text) ?? "", on: db)
                            if let relay {
                                try await relay.publish(change(record), on: db)
                            } else {
                                places[index].take(from: realtime)
                            }
                        }.record
                        records.append(record)
                    } catch {
                        throw LineFailure(line: item.line, error: error)
                    }
                }
                return records
            }
        } catch {
            for place in places { if let taken = place.value { realtime.discard(taken) } }
            throw error
        }
        for (place, record) in zip(places, written) {
            if let taken = place.value { realtime.commit(taken, change(record)) }
        }
        return written.count
    }

    /// Replaces (`.replace`) or changes (`.patch`) a record's user fields.
    package func update(id: String, _ body: [String: JSONValue], mode: RecordCodec.Mode, target: RecordTarget, requestID: String) async throws -> ByteBuffer {
        let collection = target.scope.collection
        try target.refuseIfNeverGranted(.update)
        let stored = try await find(id, target: target)
        let (values, sent) = try RecordCodec.validate(body, collection: collection, mode: mode)
        let data = values.filter { sent.contains($0.key) }
        let checkedFields = mode == .replace ? Set(collection.fields.map(\.name)) : sent
        try Self.require(target.decide(.update, record: stored, data: data, sentFields: checkedFields))
        let updated = try await write(.update, values, previous: stored, target: target, requestID: requestID) { current in
            try Self.require(target.decide(.update, record: current, data: data, sentFields: checkedFields))
        }
        return visible(updated, target: target)
    }

    package func delete(id: String, target: RecordTarget, requestID: String) async throws {
        try target.refuseIfNeverGranted(.delete)
        let stored = try await find(id, target: target)
        try Self.require(target.decide(.delete, record: stored))
        _ = try await write(.delete, [:], previous: stored, target: target, requestID: requestID) { current in
            try Self.require(target.decide(.delete, record: current))
        }
    }

    // MARK: helpers

    /// One record write in one transaction: references checked, hooks around the statement (the
    /// account-isolation hook first), a unique conflict as 409. Returns the record as written.
    ///
    /// An update or a delete reads its record again inside the transaction (locked on PostgreSQL)
    /// and `decides` on that copy: the decision made before, on a copy read outside, let a write
    /// through that a concurrent change had made deny (a record locked meanwhile), and the update
    /// then wrote that copy's other fields back over the concurrent change.
    private func write(
        _ kind: RecordEvent.Kind, _ values: StoredRecord, previous stale: StoredRecord?, target: RecordTarget, requestID: String,
        decides: (@Sendable (StoredRecord) throws -> Void)? = nil
    ) async throws -> StoredRecord {
        let hooks = services.hooks
        let collections = try await services.collections.all(database: services.database)
        let id = stale?["id"].flatMap(Self.text) ?? ""
        let realtime = services.realtime
        let relay = services.realtimeRelay
        let change = { @Sendable (record: StoredRecord, previous: StoredRecord?) in
            RecordChange(
                kind: kind.realtime, accountID: target.scope.account.accountID, collection: target.scope.collection.name,
                recordID: record["id"].flatMap(Self.text) ?? id, before: previous, after: kind == .delete ? nil : record, at: target.now
            )
        }
        // The write's realtime event, in commit order: on PostgreSQL sent through the relay inside
        // the transaction (every process receives it when it commits); else a place in this
        // process's line, taken inside the transaction.
        let place = RealtimePlace()
        let written: (record: StoredRecord, previous: StoredRecord?)
        do {
            written = try await transact(kind, values, previous: stale, id: id, target: target, requestID: requestID,
                                         hooks: hooks, collections: collections, decides: decides) { record, previous, db in
                if let relay {
                    try await relay.publish(change(record, previous), on: db)
                } else {
                    place.take(from: realtime)
                }
            }
        } catch {
            if let taken = place.value { realtime.discard(taken) }
            throw error
        }
        if let taken = place.value { realtime.commit(taken, change(written.record, written.previous)) }
        return written.record
    }

    private func transact(
        _ kind: RecordEvent.Kind, _ values: StoredRecord, previous stale: StoredRecord?, id: String, target: RecordTarget, requestID: String,
        hooks: RecordHooks, collections: [String: CollectionSchema], decides: (@Sendable (StoredRecord) throws -> Void)?,
        whenWritten: @escaping @Sendable (StoredRecord, StoredRecord?, any SQLDatabase) async throws -> Void
    ) async throws -> (record: StoredRecord, previous: StoredRecord?) {
        // A create adds to the remembered totals of its collection in its account instead of ending them.
        let carry = kind == .create ? TotalsCarry(services.database.rememberedReads, scope: target.scope) : nil
        return try await services.database.transaction(touching: hooks.footprint(of: target.scope), carrying: carry) { db in
            try await Self.apply(kind, values, previous: stale, id: id, target: target, requestID: requestID,
                                 hooks: hooks, collections: collections, decides: decides, on: db) { record, previous, db in
                if let carry { try await carry.created(id: record["id"].flatMap(Self.text) ?? "", on: db) }
                try await whenWritten(record, previous, db)
            }
        }
    }

    /// One record write inside a transaction: the record read again and `decides` on it (update,
    /// delete), references checked, the hooks around the statement (the account-isolation hook
    /// first), a unique conflict as 409. A single write and every line of an atomic import take it.
    ///
    /// `written` (the remembered totals, the realtime event) runs after the statement and before the
    /// after-hooks, so that the audit entry, the last of them, is the write's last statement: from the
    /// entry on, the account's chain is locked until the commit (``AuditLog/append(_:on:)``).
    private static func apply(
        _ kind: RecordEvent.Kind, _ values: StoredRecord, previous stale: StoredRecord?, id: String, target: RecordTarget, requestID: String,
        hooks: RecordHooks, collections: [String: CollectionSchema], decides: (@Sendable (StoredRecord) throws -> Void)?,
        on db: any SQLDatabase, written: (StoredRecord, StoredRecord?, any SQLDatabase) async throws -> Void
    ) async throws -> (record: StoredRecord, previous: StoredRecord?) {
        var previous: StoredRecord?
        if stale != nil {
            guard let current = try await RecordRepository.findForWrite(id: id, in: target.scope, on: db) else {
                throw SnackBaseError.notFound("Record")
            }
            try decides?(current)
            previous = current
        }
        let missing = try await RecordRepository.missingReferences(values, in: target.scope, collections: collections, on: db)
        guard missing.isEmpty else {
            throw SnackBaseError.validation(missing.map { .init(field: $0, message: "must be the id of an existing record of this account") })
        }
        let record = previous.map { $0.merging(values) { _, new in new } } ?? values
        var event = RecordEvent(kind: kind, scope: target.scope, actor: target.principal, record: record, previous: previous,
                                now: target.now, requestID: requestID)
        try await hooks.before(&event, on: db)
        do {
            switch kind {
            case .create: try await RecordRepository.insert(event.record, in: target.scope, on: db)
            case .update:
                // Only what this write changes (the fields sent, and what the hooks set).
                let changed = event.record.filter { column, value in previous?[column].map { $0 != value } ?? true }
                try await RecordRepository.update(id: id, changed, in: target.scope, on: db)
            case .delete: try await RecordRepository.delete(id: id, in: target.scope, on: db)
            }
        } catch where isUniqueViolation(error) {
            throw SnackBaseError.conflict("A record with the same value of a unique field already exists")
        }
        try await written(event.record, previous, db)
        try await hooks.after(event, on: db)
        return (event.record, previous)
    }

    private func find(_ id: String, target: RecordTarget) async throws -> StoredRecord {
        let scope = target.scope
        let remembered = services.database.rememberedReads
        guard let record = try await services.database.readRemembered({ db in try await RecordRepository.find(id: id, in: scope, remembered: remembered, on: db) }) else {
            throw SnackBaseError.notFound("Record")
        }
        return record
    }

    /// The record as the caller may see it after a write: what its read access shows, else only its id.
    private func visible(_ record: StoredRecord, target: RecordTarget) -> ByteBuffer {
        let decision = target.decide(.read, record: record)
        let fields: Set<String>? = decision.allowed ? decision.readableFields : ["id"]
        return target.writer.object(record, visible: fields, requested: nil)
    }

    /// Lets the other requests the event loop has read run up to this point before this one writes
    /// its answer. On the one-loop server (one CPU) the loop then runs the first half of all the
    /// requests it read, then the second half of each, instead of each whole in turn: alternating runs
    /// (`Benchmarks/alternate`) gave get-by-id +20 % and +26 %. Why is not proven; the likeliest reason is
    /// that each half's code stays in the CPU's caches across requests. Elsewhere a yield costs one trip
    /// through the executor's queue.
    static func yieldToTheLoop() async {
        await Task.yield()
    }

    static func require(_ decision: AccessDecision) throws {
        switch decision.verdict {
        case .allowed: return
        case .denied: throw SnackBaseError.denied(decision.reason, anonymous: false)
        case .signInRequired: throw SnackBaseError.denied(decision.reason, anonymous: true)
        }
    }

    static func text(_ value: StoredValue) -> String? {
        if case .text(let text) = value { return text }
        return nil
    }

    /// The text without leading or trailing tabs and space separators (Unicode Zs: what Foundation's
    /// `.whitespaces` trims, without going through `CharacterSet`).
    static func trimmed(_ text: Substring) -> String {
        let blank: (Character) -> Bool = { character in
            character == "\t" || character.unicodeScalars.allSatisfy { $0.properties.generalCategory == .spaceSeparator }
        }
        guard let first = text.firstIndex(where: { !blank($0) }), let last = text.lastIndex(where: { !blank($0) }) else { return "" }
        return String(text[first...last])
    }

    static func fieldsParameter(_ text: String?, collection: CollectionSchema) throws -> Set<String>? {
        guard let text, !text.isEmpty else { return nil }
        let names = text.split(separator: ",").map(Self.trimmed)
        for name in names where !CollectionSchema.systemFields.contains(name) && collection.field(name) == nil {
            throw SnackBaseError.badRequest("Unknown field \(name) in fields", details: [.init(field: "fields", message: "unknown field \(name)")])
        }
        return Set(names)
    }

    /// A list may be filtered and sorted only by fields the caller can read on every record it could
    /// return (``AccessPolicy/queryableFields(readers:context:collection:)``): 403 naming the others.
    static func requireQueryable(_ fields: Set<String>, _ queryable: Set<String>?, parameter: String) throws {
        guard let queryable else { return }
        let hidden = fields.subtracting(queryable).sorted()
        guard hidden.isEmpty else {
            throw SnackBaseError.forbidden("You cannot filter or sort by fields you cannot read: \(hidden.joined(separator: ", "))",
                                           details: hidden.map { .init(field: parameter, message: "\($0) is not readable for you") })
        }
    }

    /// The `sort` parameter; without it, newest first, or by id when the caller may not query
    /// `created_at`, so that the order of a list says nothing about a hidden creation time
    /// (security-model.md §4).
    static func sortParameter(_ text: String?, collection: CollectionSchema, queryable: Set<String>?) throws -> [RecordRepository.Sort] {
        guard let text else {
            if let queryable, !queryable.contains("created_at") { return [.init(field: "id", descending: false)] }
            return [.init(field: "created_at", descending: true)]
        }
        var sort: [RecordRepository.Sort] = []
        for part in text.split(separator: ",") {
            var name = Self.trimmed(part)
            let descending = name.hasPrefix("-")
            if descending || name.hasPrefix("+") { name.removeFirst() }
            guard CollectionSchema.systemFields.contains(name) || collection.field(name) != nil else {
                throw SnackBaseError.badRequest("Unknown sort field \(name)", details: [.init(field: "sort", message: "unknown field \(name)")])
            }
            sort.append(.init(field: name, descending: descending))
        }
        guard sort.count <= 5 else { throw SnackBaseError.badRequest("At most 5 sort fields") }
        try requireQueryable(Set(sort.map(\.field)), queryable, parameter: "sort")
        return sort
    }

    /// `{field}=value` equality shortcuts, typed by the field (the first of a repeated name counts).
    static func shortcuts(_ pairs: [(name: String, value: String)], collection: CollectionSchema, queryable: Set<String>?) throws -> [(field: String, value: RuleValue)] {
        var equals: [(field: String, value: RuleValue)] = []
        var seen: Set<String> = []
        for (name, text) in pairs where seen.insert(name).inserted {
            let type: FieldType
            if let field = collection.field(name) {
                type = field.type
            } else if CollectionSchema.systemFields.contains(name) {
                type = name.hasSuffix("_at") ? .datetime : .text
            } else {
                continue
            }
            try requireQueryable([name], queryable, parameter: name)
            let bound: RuleValue
            switch type {
            case .number:
                guard let number = Double(text), number.isFinite else { throw SnackBaseError.badRequest("\(name) must be a number") }
                bound = .number(number)
            case .boolean:
                guard text == "true" || text == "false" else { throw SnackBaseError.badRequest("\(name) must be true or false") }
                bound = .bool(text == "true")
            case .datetime:
                guard let canonical = RuleDateTime.canonical(text) else { throw SnackBaseError.badRequest("\(name) must be an RFC 3339 date-time") }
                bound = .datetime(canonical)
            case .json:
                throw SnackBaseError.badRequest("\(name) is a json field and cannot be compared")
            case .text, .email, .url, .reference:
                bound = .text(text)
            }
            equals.append((name, bound))
        }
        return equals
    }
}

extension RecordEvent.Kind {
    /// The realtime change a committed write of this kind is.
    var realtime: RecordChange.Kind {
        switch self {
        case .create: .created
        case .update: .updated
        case .delete: .deleted
        }
    }
}

/// A write's place in the realtime line, once its transaction took one.
final class RealtimePlace: Sendable {
    private let place = Mutex<UInt64?>(nil)

    var value: UInt64? { place.withLock { $0 } }

    func take(from hub: RealtimeHub) {
        place.withLock { place in
            if place == nil { place = hub.reserve() }
        }
    }
}

import Foundation
import Hummingbird
import SnackBaseAccess
import SnackBaseCore
import SnackBaseService
import SnackBaseRules
import SnackBaseStore

/// `/api/v1/records/{collection}` and its alias `/api/v1/{collection}`: the generated REST API of
/// every collection. Each handler resolves the caller's account, asks ``AccessPolicy`` (the one
/// decision point), and shows only the fields the granting permissions let the caller read.
struct RecordController {
    let services: AppServices

    /// The reserved query parameters of lists; any other parameter naming a field is an equality shortcut.
    static let listParameters: Set<String> = ["skip", "limit", "sort", "fields", "filter", "account_id", "expand"]

    func register(records: RouterGroup<AppRequestContext>, alias: RouterGroup<AppRequestContext>) {
        for (group, isAlias) in [(records, false), (alias, true)] {
            group.post(":collection") { try await create($0, $1, alias: isAlias) }
            group.get(":collection") { try await list($0, $1, alias: isAlias) }
            group.get(":collection/:id") { try await show($0, $1, alias: isAlias) }
            group.put(":collection/:id") { try await update($0, $1, mode: .replace, alias: isAlias) }
            group.patch(":collection/:id") { try await update($0, $1, mode: .patch, alias: isAlias) }
            group.delete(":collection/:id") { try await remove($0, $1, alias: isAlias) }
        }
    }

    /// Who acts, in which account and collection, under which policy.
    struct Target: Sendable {
        let principal: Principal
        let scope: RecordScope
        let policy: AccessPolicy
        let now: String
        /// Writes the collection's records as JSON (from the catalog, with the schema in `scope`).
        let writer: RecordCodec.Writer

        /// Refuses before the body is validated or the record looked up when no permission of the
        /// caller grants `operation` at all (an anonymous caller: 401, as the contract says).
        func refuseIfNeverGranted(_ operation: SnackBaseCore.Operation) throws {
            if let refusal = policy.refusalOfEveryRecord(operation, by: principal, on: scope.collection) { try RecordController.require(refusal) }
        }
    }

    private func target(_ query: FormQuery, _ context: AppRequestContext, alias: Bool, bodyAccount: String? = nil) async throws -> Target {
        let principal = try context.requireIdentity()
        let name = context.parameters.get("collection") ?? ""
        if alias, CollectionSchema.reservedRouteNames.contains(name) { throw SnackBaseError.notFound("Route") }
        guard let (collection, writer) = try await services.collections.record(name, database: services.database) else {
            throw SnackBaseError.notFound("Collection")
        }
        let requested = query["account_id"] ?? bodyAccount
        let account = try await AccountTarget.scope(for: principal, naming: requested, services: services)
        if let bodyAccount, bodyAccount != account.accountID.rawValue {
            throw SnackBaseError.crossAccount(anonymous: principal.isAnonymous)
        }
        let policy = principal.isSuperadmin
            ? AccessPolicy(permissionsByRole: [:])
            : try await services.policies.policy(for: principal.accountID, database: services.database)
        return Target(
            principal: principal, scope: RecordScope(account: account, collection: collection), policy: policy, now: Timestamp.now(), writer: writer
        )
    }

    private var dialect: any RuleSQLDialect { services.database.ruleDialect }

    // MARK: create

    private func create(_ request: Request, _ context: AppRequestContext, alias: Bool) async throws -> Response {
        let body = try await Self.object(from: request)
        let target = try await target(FormQuery(request), context, alias: alias, bodyAccount: JSONBody.accountField(.object(body)))
        let collection = target.scope.collection
        try target.refuseIfNeverGranted(.create)
        let (values, sent) = try RecordCodec.validate(body, collection: collection, mode: .create)
        var preview = values
        preview["account_id"] = .text(target.scope.account.accountID.rawValue)
        preview["created_by"] = .text(target.principal.userID)
        preview["updated_by"] = .text(target.principal.userID)
        preview["created_at"] = .text(target.now)
        preview["updated_at"] = .text(target.now)
        let decision = target.policy.decide(
            .create, by: target.principal, on: collection, record: RecordCodec.ruleValues(preview, collection: collection),
            data: RecordCodec.ruleValues(values.filter { sent.contains($0.key) }, collection: collection), sentFields: sent, now: target.now
        )
        try Self.require(decision)
        let stored = try await write(.create, values, previous: nil, target: target, requestID: context.requestID)
        return JSONBody.response(.created, buffer: visible(stored, target: target))
    }

    // MARK: read

    private func show(_ request: Request, _ context: AppRequestContext, alias: Bool) async throws -> Response {
        let query = FormQuery(request)
        let target = try await target(query, context, alias: alias)
        try target.refuseIfNeverGranted(.read)
        let requested = try Self.fieldsParameter(query, collection: target.scope.collection)
        let stored = try await find(context, target: target)
        let decision = target.policy.decide(.read, by: target.principal, on: target.scope.collection,
                                            record: RecordCodec.ruleValues(stored, collection: target.scope.collection), now: target.now)
        try Self.require(decision)
        await Self.yieldToTheLoop()
        return JSONBody.response(.ok, buffer: target.writer.object(stored, visible: decision.readableFields, requested: requested))
    }

    private func list(_ request: Request, _ context: AppRequestContext, alias: Bool) async throws -> Response {
        let query = FormQuery(request)
        let target = try await target(query, context, alias: alias)
        let collection = target.scope.collection
        let pagination = try Pagination(query)
        let requested = try Self.fieldsParameter(query, collection: collection)
        let ruleContext = AccessPolicy.ruleContext(target.principal, operation: .read, now: target.now)

        var residuals: [RuleResidual] = []
        var readers: [CompiledPermission] = []
        var everything = false
        // Nil: every field (the superadmin, or readers that hide none).
        var queryable: Set<String>?
        switch target.policy.listAccess(by: target.principal, on: collection, now: target.now) {
        case .denied(let status, let reason): throw SnackBaseError(status: status, message: reason)
        case .everything: everything = true
        case .filtered(let residual, let granting):
            residuals.append(residual)
            readers = granting
            queryable = target.policy.queryableFields(readers: granting, context: ruleContext, collection: collection)
        }
        let sort = try Self.sortParameter(query, collection: collection, queryable: queryable)
        if let filter = query["filter"], !filter.isEmpty {
            let checked: CheckedRule
            do {
                checked = try RuleEngine.check(filter, schema: CollectionRuleSchema(collection), allowsData: false)
            } catch {
                throw SnackBaseError.badRequest("Invalid filter: \(error.message)", details: [.init(field: "filter", message: error.message, position: error.position)])
            }
            try Self.requireQueryable(checked.recordFields, queryable, parameter: "filter")
            residuals.append(checked.residual(context: ruleContext))
        }
        var conditions: [SQLFragment] = []
        switch SQLCompiler.compile(RuleResidual.allOf(residuals), dialect: dialect) {
        case .noRows:
            return JSONBody.response(.ok, buffer: JSONWriter.page(count: 0, total: 0, skip: pagination.skip, limit: pagination.limit) { _, _ in })
        case .noFilter: break
        case .fragment(let fragment): conditions.append(fragment)
        }
        conditions += try Self.shortcuts(query, collection: collection, queryable: queryable, dialect: dialect)
        let scope = target.scope
        let where_ = conditions
        let remembered = services.database.rememberedReads
        let (page, total) = try await services.database.read { db in
            try await RecordRepository.list(in: scope, conditions: where_, sort: sort, skip: pagination.skip, limit: pagination.limit, remembered: remembered, on: db)
        }
        await Self.yieldToTheLoop()
        let writer = target.writer
        // Derived once per remembered page (SQLite), for every request that reads it before the next
        // write; a page read for this request alone (PostgreSQL) is written directly.
        let prepared = remembered == nil ? nil : page.derived { records in
            records.map { PreparedRecord(ruleValues: RecordCodec.ruleValues($0, collection: collection), everyField: writer.object($0, visible: nil, requested: nil)) }
        }
        return JSONBody.response(.ok, buffer: JSONWriter.page(count: page.records.count, total: total, skip: pagination.skip, limit: pagination.limit) { index, out in
            let record = page.records[index]
            let visible = everything ? nil : target.policy.visibleFields(
                of: prepared?[index].ruleValues ?? RecordCodec.ruleValues(record, collection: collection),
                readers: readers, context: ruleContext, collection: collection
            )
            if visible == nil && requested == nil, let everyField = prepared?[index].everyField {
                out.writeImmutableBuffer(everyField)
            } else {
                writer.write(record, visible: visible, requested: requested, into: &out)
            }
        })
    }

    // MARK: update and delete

    private func update(_ request: Request, _ context: AppRequestContext, mode: RecordCodec.Mode, alias: Bool) async throws -> Response {
        let body = try await Self.object(from: request)
        let target = try await target(FormQuery(request), context, alias: alias, bodyAccount: JSONBody.accountField(.object(body)))
        let collection = target.scope.collection
        try target.refuseIfNeverGranted(.update)
        let stored = try await find(context, target: target)
        let (values, sent) = try RecordCodec.validate(body, collection: collection, mode: mode)
        let decision = target.policy.decide(
            .update, by: target.principal, on: collection, record: RecordCodec.ruleValues(stored, collection: collection),
            data: RecordCodec.ruleValues(values.filter { sent.contains($0.key) }, collection: collection),
            sentFields: mode == .replace ? Set(collection.fields.map(\.name)) : sent, now: target.now
        )
        try Self.require(decision)
        let policy = target.policy
        let data = RecordCodec.ruleValues(values.filter { sent.contains($0.key) }, collection: collection)
        let checkedFields = mode == .replace ? Set(collection.fields.map(\.name)) : sent
        let updated = try await write(.update, values, previous: stored, target: target, requestID: context.requestID) { current in
            try Self.require(policy.decide(.update, by: target.principal, on: collection, record: RecordCodec.ruleValues(current, collection: collection),
                                           data: data, sentFields: checkedFields, now: target.now))
        }
        return JSONBody.response(.ok, buffer: visible(updated, target: target))
    }

    private func remove(_ request: Request, _ context: AppRequestContext, alias: Bool) async throws -> Response {
        let target = try await target(FormQuery(request), context, alias: alias)
        try target.refuseIfNeverGranted(.delete)
        let stored = try await find(context, target: target)
        let decision = target.policy.decide(.delete, by: target.principal, on: target.scope.collection,
                                            record: RecordCodec.ruleValues(stored, collection: target.scope.collection), now: target.now)
        try Self.require(decision)
        let policy = target.policy
        _ = try await write(.delete, [:], previous: stored, target: target, requestID: context.requestID) { current in
            try Self.require(policy.decide(.delete, by: target.principal, on: target.scope.collection,
                                           record: RecordCodec.ruleValues(current, collection: target.scope.collection), now: target.now))
        }
        return JSONBody.noContent()
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
        _ kind: RecordEvent.Kind, _ values: StoredRecord, previous stale: StoredRecord?, target: Target, requestID: String,
        decides: (@Sendable (StoredRecord) throws -> Void)? = nil
    ) async throws -> StoredRecord {
        let hooks = services.hooks
        let collections = try await services.collections.all(database: services.database)
        let id = stale?["id"].flatMap(Self.text) ?? ""
        return try await services.database.transaction { db in
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
            try await hooks.after(event, on: db)
            return event.record
        }
    }

    private func find(_ context: AppRequestContext, target: Target) async throws -> StoredRecord {
        let id = context.parameters.get("id") ?? ""
        let scope = target.scope
        let remembered = services.database.rememberedReads
        guard let record = try await services.database.read({ db in try await RecordRepository.find(id: id, in: scope, remembered: remembered, on: db) }) else {
            throw SnackBaseError.notFound("Record")
        }
        return record
    }

    /// The record as the caller may see it after a write: what its read access shows, else only its id.
    private func visible(_ record: StoredRecord, target: Target) -> ByteBuffer {
        let decision = target.policy.decide(.read, by: target.principal, on: target.scope.collection,
                                            record: RecordCodec.ruleValues(record, collection: target.scope.collection), now: target.now)
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
        guard decision.allowed else { throw SnackBaseError(status: decision.status, message: decision.reason) }
    }

    static func text(_ value: StoredValue) -> String? {
        if case .text(let text) = value { return text }
        return nil
    }

    static func object(from request: Request) async throws -> [String: JSONValue] {
        let value = try JSONBody.value(of: try await JSONBody.bytes(of: request))
        guard case .object(let object) = value else { throw SnackBaseError.validation(field: "body", "must be a JSON object") }
        return object
    }

    /// `account_id` sent in a body: a string names an account; anything else is ignored like other system fields.
    /// The text without leading or trailing tabs and space separators (Unicode Zs: what Foundation's
    /// `.whitespaces` trims, without going through `CharacterSet`).
    static func trimmed(_ text: Substring) -> String {
        let blank: (Character) -> Bool = { character in
            character == "\t" || character.unicodeScalars.allSatisfy { $0.properties.generalCategory == .spaceSeparator }
        }
        guard let first = text.firstIndex(where: { !blank($0) }), let last = text.lastIndex(where: { !blank($0) }) else { return "" }
        return String(text[first...last])
    }

    static func fieldsParameter(_ query: FormQuery, collection: CollectionSchema) throws -> Set<String>? {
        guard let text = query["fields"], !text.isEmpty else { return nil }
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
            throw SnackBaseError(status: 403, message: "You cannot filter or sort by fields you cannot read: \(hidden.joined(separator: ", "))",
                                 details: hidden.map { .init(field: parameter, message: "\($0) is not readable for you") })
        }
    }

    /// The `sort` parameter; without it, newest first (creation order, which any list shows).
    static func sortParameter(_ query: FormQuery, collection: CollectionSchema, queryable: Set<String>?) throws -> [RecordRepository.Sort] {
        guard let text = query["sort"] else {
            // Newest first; by id when the caller may not query `created_at`, so that the order of a
            // list says nothing about a hidden creation time (security-model.md §4).
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

    /// `{field}=value` equality shortcuts, as SQL conditions with bound values.
    static func shortcuts(_ query: FormQuery, collection: CollectionSchema, queryable: Set<String>?, dialect: some RuleSQLDialect) throws -> [SQLFragment] {
        var fragments: [SQLFragment] = []
        var seen: Set<String> = []
        for (name, value) in query.pairs where seen.insert(name).inserted {
            guard !listParameters.contains(name) else { continue }
            let type: FieldType
            if let field = collection.field(name) {
                type = field.type
            } else if CollectionSchema.systemFields.contains(name) {
                type = name.hasSuffix("_at") ? .datetime : .text
            } else {
                continue
            }
            try requireQueryable([name], queryable, parameter: name)
            let text = value
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
            fragments.append(SQLFragment(pieces: [.sql("("), .identifier(name), .sql(" = "), .bind(dialect.bindable(bound)), .sql(")")]))
        }
        return fragments
    }
}

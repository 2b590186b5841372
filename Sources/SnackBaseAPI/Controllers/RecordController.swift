import Hummingbird
import SnackBaseCore
import SnackBaseService
import SnackBaseStore

/// `/api/v1/records/{collection}` and its alias `/api/v1/{collection}`: the generated REST API of
/// every collection. Each handler decodes the request, calls one use case of ``RecordService`` and
/// encodes its answer.
struct RecordController {
    let services: AppServices
    /// Built once: a use case holds the services, and copying them per request costs a retain per service.
    let records: RecordService

    init(services: AppServices) {
        self.services = services
        self.records = RecordService(services: services)
    }

    /// The reserved query parameters of lists; any other parameter naming a field is an equality shortcut.
    static let listParameters: Set<String> = ["skip", "limit", "sort", "fields", "filter", "account_id", "expand"]

    func register(records: RouterGroup<AppRequestContext>, alias: RouterGroup<AppRequestContext>) {
        // Literal segments: Hummingbird's trie tries them before `:id` (record ids are `rec_…`, never these words).
        records.get(":collection/export") { try await export($0, $1) }
        records.post(":collection/import") { try await importRecords($0, $1) }
        for (group, isAlias) in [(records, false), (alias, true)] {
            group.post(":collection") { try await create($0, $1, alias: isAlias) }
            group.get(":collection") { try await list($0, $1, alias: isAlias) }
            group.get(":collection/:id") { try await show($0, $1, alias: isAlias) }
            group.put(":collection/:id") { try await update($0, $1, mode: .replace, alias: isAlias) }
            group.patch(":collection/:id") { try await update($0, $1, mode: .patch, alias: isAlias) }
            group.delete(":collection/:id") { try await remove($0, $1, alias: isAlias) }
        }
    }

    /// The caller, account and collection of a record route (a built-in route's name is no alias).
    func target(_ query: FormQuery, _ context: AppRequestContext, alias: Bool, bodyAccount: String? = nil) async throws -> RecordTarget {
        let principal = try context.requireIdentity()
        let name = context.parameters.get("collection") ?? ""
        if alias, CollectionSchema.reservedRouteNames.contains(name) { throw SnackBaseError.notFound("Route") }
        return try await records.target(collection: name, principal: principal, requestedAccount: query["account_id"], bodyAccount: bodyAccount)
    }

    private func create(_ request: Request, _ context: AppRequestContext, alias: Bool) async throws -> Response {
        let body = try await Self.object(from: request)
        let target = try await target(FormQuery(request), context, alias: alias, bodyAccount: JSONBody.accountField(.object(body)))
        return JSONBody.response(.created, buffer: try await records.create(body, target: target, requestID: context.requestID))
    }

    private func show(_ request: Request, _ context: AppRequestContext, alias: Bool) async throws -> Response {
        let query = FormQuery(request)
        let target = try await target(query, context, alias: alias)
        return JSONBody.response(.ok, buffer: try await records.get(id: context.parameters.get("id") ?? "", fields: query["fields"], target: target))
    }

    private func list(_ request: Request, _ context: AppRequestContext, alias: Bool) async throws -> Response {
        let query = FormQuery(request)
        let target = try await target(query, context, alias: alias)
        let pagination = try Pagination(query)
        let page = try await records.list(RecordService.ListRequest(
            skip: pagination.skip, limit: pagination.limit, sort: query["sort"], fields: query["fields"], filter: query["filter"],
            shortcuts: query.pairs.filter { !Self.listParameters.contains($0.name) }
        ), target: target)
        return JSONBody.response(.ok, buffer: ListEnvelope.page(count: page.count, total: page.total, skip: pagination.skip, limit: pagination.limit) { index, out in
            page.write(index, into: &out)
        })
    }

    private func update(_ request: Request, _ context: AppRequestContext, mode: RecordCodec.Mode, alias: Bool) async throws -> Response {
        let body = try await Self.object(from: request)
        let target = try await target(FormQuery(request), context, alias: alias, bodyAccount: JSONBody.accountField(.object(body)))
        let updated = try await records.update(id: context.parameters.get("id") ?? "", body, mode: mode, target: target, requestID: context.requestID)
        return JSONBody.response(.ok, buffer: updated)
    }

    private func remove(_ request: Request, _ context: AppRequestContext, alias: Bool) async throws -> Response {
        let target = try await target(FormQuery(request), context, alias: alias)
        try await records.delete(id: context.parameters.get("id") ?? "", target: target, requestID: context.requestID)
        return JSONBody.noContent()
    }

    static func object(from request: Request) async throws -> [String: JSONValue] {
        let value = try JSONBody.value(of: try await JSONBody.bytes(of: request))
        guard case .object(let object) = value else { throw SnackBaseError.validation(field: "body", "must be a JSON object") }
        return object
    }
}

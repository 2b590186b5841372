import Foundation
import Hummingbird
import SnackBaseCore
import SnackBaseService
import SnackBaseRules
import SnackBaseStore

/// `/api/v1/audit-logs`: read-only, through ``AuditService``. An account admin reads the entries of the
/// account; the superadmin reads every account's (or one, with `account_id`, including an account
/// deleted since). No route changes or deletes an entry, and the table refuses it anyway. An account
/// admin reads record changes through ``AuditChangesMask`` (their own field permissions); the
/// superadmin reads them as stored.
struct AuditController {
    let services: AppServices

    private var audit: AuditService { AuditService(services: services) }

    func register(on group: RouterGroup<AppRequestContext>) {
        group.get(use: list)
        group.get("export", use: export)
        group.get("verify", use: verify)
        group.get(":id", use: show)
    }

    /// The account the caller reads: its own for an account admin; for the superadmin the one named by
    /// `account_id`, or nil for every account.
    private func readableAccount(_ request: Request, _ context: AppRequestContext) async throws -> AccountScope? {
        try await audit.readableAccount(for: try context.requireUser(), requested: FormQuery(request)["account_id"])
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let filter = try Self.filter(request, account: try await readableAccount(request, context))
        let page = try Pagination(request)
        let (items, total) = try await audit.list(filter, skip: page.skip, limit: page.limit, reader: try context.requireUser())
        return try JSONBody.response(.ok, Page(items: items.map { AuditEntryDTO($0) }, total: total, skip: page.skip, limit: page.limit))
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        let account = try await readableAccount(request, context)
        let id = context.parameters.get("id") ?? ""
        let entry = try await audit.get(id: id, in: account, reader: try context.requireUser())
        return try JSONBody.response(.ok, AuditEntryDTO(entry))
    }

    struct VerifyAnswer: Encodable {
        let valid: Bool
        let checked: Int
        let firstBrokenId: String?
        let firstBrokenAccountId: String?
        let firstBrokenSequence: Int?
        let problem: String?
    }

    /// Walks the readable chains; the first entry that breaks one is named.
    @Sendable func verify(_ request: Request, context: AppRequestContext) async throws -> Response {
        let account = try await readableAccount(request, context)
        let result = try await audit.verify(account)
        return try JSONBody.response(.ok, VerifyAnswer(
            valid: result.valid, checked: result.checked, firstBrokenId: result.broken?.id, firstBrokenAccountId: result.broken?.accountID,
            firstBrokenSequence: result.broken?.sequence, problem: result.broken?.problem
        ))
    }

    /// Every matching entry in chain order (account, then sequence), streamed page by page:
    /// `format=jsonl` (default; one entry per line, with `canonical_changes`) or `format=csv`.
    @Sendable func export(_ request: Request, context: AppRequestContext) async throws -> Response {
        let filter = try Self.filter(request, account: try await readableAccount(request, context))
        let format = FormQuery(request)["format"] ?? "jsonl"
        guard format == "jsonl" || format == "csv" else {
            throw SnackBaseError.badRequest("format must be jsonl or csv", details: [.init(field: "format", message: "must be jsonl or csv")])
        }
        let pages = try await audit.export(filter, reader: try context.requireUser())
        let body = ResponseBody { writer in
            if format == "csv" { try await writer.write(ByteBuffer(string: AuditEntryDTO.csvColumns.joined(separator: ",") + "\r\n")) }
            var cursor: AuditLog.Cursor?
            while true {
                let (page, next) = try await pages.page(after: cursor)
                var text = ""
                for entry in page {
                    if format == "csv" {
                        text += AuditEntryDTO.csvLine(entry)
                    } else {
                        text += String(decoding: try JSONBody.encoder.encode(AuditEntryDTO(entry, includeCanonicalChanges: true)), as: UTF8.self) + "\n"
                    }
                }
                if !text.isEmpty { try await writer.write(ByteBuffer(string: text)) }
                guard let next else { break }
                cursor = next
            }
            try await writer.finish(nil)
        }
        var response = Response(status: .ok, body: body)
        response.headers[.contentType] = format == "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson"
        response.headers[.contentDisposition] = "attachment; filename=\"audit-log.\(format)\""
        return response
    }

    /// The filters of api.md, each checked: an unknown outcome, a malformed action or time is a 400.
    static func filter(_ request: Request, account: AccountScope?) throws -> AuditFilter {
        let query = FormQuery(request)
        func text(_ name: String) -> String? {
            guard let value = query[name], !value.isEmpty else { return nil }
            return value
        }
        var filter = AuditFilter(account: account, actorID: text("actor_id"), collection: text("collection"), recordID: text("record_id"))
        if let action = text("action") {
            guard isActionPattern(action) else {
                throw SnackBaseError.badRequest("action must be an action (record.create) or a family (record.*)",
                                                details: [.init(field: "action", message: "must be like record.create or record.*")])
            }
            filter.action = action
        }
        if let outcome = text("outcome") {
            guard let value = AuditOutcome(rawValue: outcome) else {
                throw SnackBaseError.badRequest("outcome must be allowed, denied or error", details: [.init(field: "outcome", message: "must be allowed, denied or error")])
            }
            filter.outcome = value
        }
        for name in ["since", "until"] {
            guard let value = text(name) else { continue }
            guard let canonical = RuleDateTime.canonical(value) else {
                throw SnackBaseError.badRequest("\(name) must be an RFC 3339 date-time", details: [.init(field: name, message: "must be an RFC 3339 date-time")])
            }
            if name == "since" { filter.since = canonical } else { filter.until = canonical }
        }
        return filter
    }

    /// `word(.word)*` of a–z and `_`, optionally ending in `.*`.
    static func isActionPattern(_ text: String) -> Bool {
        let body = text.hasSuffix(".*") ? String(text.dropLast(2)) : text
        guard (1...64).contains(body.utf8.count) else { return false }
        return body.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { part in
            !part.isEmpty && part.utf8.allSatisfy { (97...122).contains($0) || $0 == 95 }
        }
    }
}

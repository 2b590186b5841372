import NIOCore
import SnackBaseAccess
import SnackBaseCore
import SnackBaseRules
import SnackBaseStore

/// Moving records in and out (operations.md): an export is the list decision of
/// `GET /records/{collection}` read in keyset pages; an import is the create decision of
/// `POST /records/{collection}` taken for every line.
extension RecordService {
    /// What an export may read: the caller's read rule (inside the query) and how each record's
    /// fields are masked. Decided once, before the first byte is sent.
    package struct ExportPlan: Sendable {
        let rule: RuleResidual
        /// Nil: every record and field (the superadmin).
        let filter: ReadFilter?
        let target: RecordTarget
    }

    /// The columns of a CSV export: the system fields, then the collection's fields in their order,
    /// less those no record may ever show the caller.
    package func exportColumns(_ plan: ExportPlan) -> [String] {
        let collection = plan.target.scope.collection
        let every = CollectionSchema.systemFields + collection.fields.map(\.name)
        guard let shown = plan.filter?.fieldsEverShown(collection: collection) else { return every }
        return every.filter(shown.contains)
    }

    /// The records per page of an export: memory stays at one page whatever the collection's size.
    package static let exportPageSize = 500

    package func exportPlan(target: RecordTarget) throws -> ExportPlan {
        switch target.policy.listPlan(by: target.principal, on: target.scope.collection, now: target.now) {
        case .denied(let reason, let signInRequired): throw SnackBaseError.denied(reason, anonymous: signInRequired)
        case .everything: return ExportPlan(rule: RuleResidual.allOf([]), filter: nil, target: target)
        case .filtered(let read): return ExportPlan(rule: read.residual, filter: read, target: target)
        }
    }

    /// The page of the export after the record `afterID` (ordered by id; nil: the first page),
    /// never remembered (an export would otherwise fill the page cache).
    package func exportPage(after afterID: String?, plan: ExportPlan) async throws -> ExportPage {
        let query = RecordQuery(rule: plan.rule, sort: [.init(field: "id", descending: false)], skip: 0, limit: Self.exportPageSize, afterID: afterID)
        let scope = plan.target.scope
        let dialect = services.database.ruleDialect
        let (page, _) = try await services.database.read { db in
            try await RecordRepository.list(query, dialect: dialect, in: scope, remembered: nil, on: db)
        }
        let listed = ListedPage(page: page, total: page.records.count, prepared: nil, filter: plan.filter, decided: nil, requested: nil, target: plan.target)
        let last = page.records.last?["id"].flatMap(Self.text)
        return ExportPage(listed: listed, lastID: page.records.count == Self.exportPageSize ? last : nil)
    }

    /// One page of an export; `lastID` is where the next starts, nil after the last page.
    package struct ExportPage: Sendable {
        package let listed: ListedPage
        package let lastID: String?
    }

    // MARK: import

    /// One line of an import: its number (from 1) and its parsed body, or why it could not be read.
    package struct ImportLine: Sendable {
        package let line: Int
        package let body: Result<[String: JSONValue], SnackBaseError>

        package init(line: Int, body: Result<[String: JSONValue], SnackBaseError>) {
            self.line = line
            self.body = body
        }
    }

    /// What an import did: how many records it created, and each line it refused with the error
    /// POST would have answered for it.
    package struct ImportOutcome: Sendable {
        package var created = 0
        package var failed: [(line: Int, error: any Error)] = []
    }

    /// Creates a record for every line, each decided as a POST by the caller. Not atomic: each line
    /// is its own transaction and audit entry; a refused line does not stop the others. Atomic: every
    /// line is decided first; when any is refused nothing is written, else all are written in one
    /// transaction, which the first failing write (a unique conflict, a missing reference) rolls back.
    package func importRecords(_ lines: [ImportLine], atomic: Bool, target: RecordTarget, requestID: String) async throws -> ImportOutcome {
        var outcome = ImportOutcome()
        var decided: [(line: Int, values: StoredRecord)] = []
        for line in lines {
            do {
                let body = try line.body.get()
                try Self.requireSameAccount(body, target: target)
                if atomic {
                    decided.append((line.line, try decideCreate(body, target: target)))
                } else {
                    _ = try await create(body, target: target, requestID: requestID)
                    outcome.created += 1
                }
            } catch {
                outcome.failed.append((line.line, error))
            }
        }
        guard atomic, outcome.failed.isEmpty, !decided.isEmpty else { return outcome }
        do {
            outcome.created = try await createAll(decided, target: target, requestID: requestID)
        } catch let failure as LineFailure {
            outcome.failed.append((failure.line, failure.error))
        }
        return outcome
    }

    /// A line's `account_id` must be the import's account (chosen by `?account_id=` for the
    /// superadmin): an import never writes into an account other than the one it was decided for.
    static func requireSameAccount(_ body: [String: JSONValue], target: RecordTarget) throws {
        guard let named = body["account_id"] else { return }
        switch named {
        case .null: return
        case .string(let id) where id == target.scope.account.accountID.rawValue: return
        default:
            // As POST answers a body naming another account (the superadmin chooses it with `?account_id=`).
            if target.principal.isSuperadmin { throw SnackBaseError.forbidden("account_id names another account than the import's") }
            throw SnackBaseError.crossAccount(anonymous: target.principal.isAnonymous)
        }
    }
}

import SnackBaseCore
import SnackBaseStore

/// Reading the audit log: list, get, verify and export. An account admin reads the entries of the
/// account; the superadmin reads every account's (or one, with `account_id`, including an account
/// deleted since). Nothing here changes or deletes an entry, and the table refuses it anyway. An
/// account admin reads record changes through ``AuditChangesMask`` (their own field permissions); the
/// superadmin reads them as stored.
package struct AuditService: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }

    /// The account `reader` reads: its own for an account admin (who must be one); for the superadmin
    /// the one named by `requested` (`account_id`), or nil for every account.
    package func readableAccount(for reader: Principal, requested: String?) async throws -> AccountScope? {
        guard reader.isSuperadmin else {
            return try await AccountAccess(services: services).administration(by: reader, query: requested)
        }
        guard let requested, !requested.isEmpty else { return nil }
        guard let id = AccountID(requested) else {
            throw SnackBaseError.badRequest("account_id must be an account id", details: [.init(field: "account_id", message: "must look like AB1234")])
        }
        return AccountScope(id)
    }

    /// A page of the entries matching `filter`, as `reader` may see them.
    package func list(_ filter: AuditFilter, skip: Int, limit: Int, reader: Principal) async throws -> (items: [AuditEntry], total: Int) {
        let mask = try await AuditChangesMask.of(reader, services: services)
        let (items, total) = try await services.database.read { db in
            try await AuditLog.list(filter, skip: skip, limit: limit, on: db)
        }
        return (items.map { mask?.apply($0) ?? $0 }, total)
    }

    /// One entry of `account` (of any account when nil), as `reader` may see it.
    package func get(id: String, in account: AccountScope?, reader: Principal) async throws -> AuditEntry {
        guard let entry = try await services.database.read({ db in try await AuditLog.find(id: id, in: account, on: db) }) else {
            throw SnackBaseError.notFound("Audit entry")
        }
        let mask = try await AuditChangesMask.of(reader, services: services)
        return mask?.apply(entry) ?? entry
    }

    /// Walks the readable chains; the first entry that breaks one is named.
    package func verify(_ account: AccountScope?) async throws -> AuditVerification {
        try await AuditLog.verify(account: account, on: services.database)
    }

    /// Every entry matching `filter`, in chain order, read page by page as `reader` may see them.
    package func export(_ filter: AuditFilter, reader: Principal) async throws -> AuditExport {
        AuditExport(database: services.database, filter: filter, mask: try await AuditChangesMask.of(reader, services: services))
    }
}

/// The pages of an audit export, in chain order (account, then sequence), each read on its own as
/// the export streams.
package struct AuditExport: Sendable {
    let database: any Database
    let filter: AuditFilter
    let mask: AuditChangesMask?

    static let pageSize = 500

    /// The page after `cursor` (the first when nil), masked, and the cursor of the next page (nil
    /// after the last one).
    package func page(after cursor: AuditLog.Cursor?) async throws -> (entries: [AuditEntry], next: AuditLog.Cursor?) {
        let filter = filter
        let page = try await database.read { db in try await AuditLog.chainPage(filter, after: cursor, limit: Self.pageSize, on: db) }
        let next = page.count == Self.pageSize ? page.last.map { AuditLog.Cursor(accountID: $0.accountID, sequence: $0.sequence) } : nil
        return (page.map { mask?.apply($0) ?? $0 }, next)
    }
}

import SnackBaseCore
import SnackBaseStore
import Logging

/// Which account a request acts in (security-model.md §2), decided in this one place for every
/// route. The account comes from the token; an `account_id` in the query or the body that names
/// another account is a cross-account attempt (403, 401 for an anonymous caller), except for the
/// superadmin, who may name any existing account, but only one (query and body differing: 400).
/// Naming one's own account, or an empty `account_id`, is accepted and changes nothing.
package struct AccountAccess: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }

    /// The account `principal` acts in, given the `account_id` of the query and of the body.
    package func scope(for principal: Principal, query: String?, body: String? = nil) async throws -> AccountScope {
        let fromQuery = try await scope(for: principal, naming: query)
        guard let body, !body.isEmpty else { return fromQuery }
        let fromBody = try await scope(for: principal, naming: body)
        if let query, !query.isEmpty, fromBody.accountID != fromQuery.accountID {
            throw SnackBaseError.badRequest("The query and the body name different accounts", details: [.init(field: "account_id", message: "differs from the query's account_id")])
        }
        return fromBody
    }

    /// Account administration (users, roles, permissions, the audit log, API keys) needs the `admin`
    /// role of the account, or the superadmin: the caller and the account it administers.
    package func administration(by principal: Principal, query: String?, body: String? = nil) async throws -> AccountScope {
        guard principal.isSuperadmin || principal.hasRole(Role.admin) else {
            services.logger.notice("access.escalation", metadata: ["account.id": .string(principal.accountID.rawValue)])
            throw SnackBaseError.escalation("Only account admins can manage users, roles and permissions")
        }
        return try await scope(for: principal, query: query, body: body)
    }

    private func scope(for principal: Principal, naming requested: String?) async throws -> AccountScope {
        guard let requested, !requested.isEmpty, requested != principal.accountID.rawValue else { return principal.scope }
        guard principal.isSuperadmin else {
            services.logger.notice("access.cross_account", metadata: ["account.id": .string(principal.accountID.rawValue)])
            throw SnackBaseError.crossAccount(anonymous: principal.isAnonymous)
        }
        guard let id = AccountID(requested),
              try await services.database.read({ db in try await AccountRepository.find(id: id, on: db) }) != nil
        else { throw SnackBaseError.notFound("Account") }
        return AccountScope(id)
    }
}

import Hummingbird
import SnackBaseCore
import SnackBaseService

/// Account administration (users, roles, permissions, audit log) needs the `admin` role of the
/// account, or the superadmin. Returns the caller and the account it acts in.
enum AccountAdministration {
    static func require(_ request: Request, _ context: AppRequestContext, services: AppServices, bodyAccount: String? = nil) async throws -> (Principal, AccountScope) {
        let principal = try context.requireUser()
        guard principal.isSuperadmin || principal.hasRole(Role.admin) else {
            services.logger.notice("access.escalation", metadata: ["account.id": .string(principal.accountID.rawValue)])
            throw SnackBaseError.escalation("Only account admins can manage users, roles and permissions")
        }
        let queried = AccountTarget.queryAccount(request)
        var scope = try await AccountTarget.scope(for: principal, naming: queried, services: services)
        // A body `account_id` is checked like the query's (another account: 403, audited as a
        // cross-account attempt); the superadmin may name any account, but only one.
        if let bodyAccount {
            let named = try await AccountTarget.scope(for: principal, naming: bodyAccount, services: services)
            if queried != nil, named.accountID != scope.accountID {
                throw SnackBaseError.badRequest("The query and the body name different accounts", details: [.init(field: "account_id", message: "differs from the query's account_id")])
            }
            scope = named
        }
        return (principal, scope)
    }
}

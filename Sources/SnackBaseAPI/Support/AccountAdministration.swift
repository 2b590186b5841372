import Hummingbird
import SnackBaseCore

/// Account administration (users, roles, permissions, audit log) needs the `admin` role of the
/// account, or the superadmin. Returns the caller and the account it acts in.
enum AccountAdministration {
    static func require(_ request: Request, _ context: AppRequestContext, services: AppServices, bodyAccount: String? = nil) async throws -> (Principal, AccountScope) {
        let principal = try context.requireUser()
        guard principal.isSuperadmin || principal.hasRole(Role.admin) else {
            services.logger.notice("access.escalation", metadata: ["account.id": .string(principal.accountID.rawValue)])
            throw SnackBaseError.forbidden("Only account admins can manage users, roles and permissions")
        }
        var scope = try await AccountTarget.scope(for: principal, naming: AccountTarget.queryAccount(request), services: services)
        if let bodyAccount {
            scope = try await AccountTarget.scope(for: principal, naming: bodyAccount, services: services)
        }
        return (principal, scope)
    }
}

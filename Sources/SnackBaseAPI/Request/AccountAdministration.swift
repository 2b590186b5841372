import Hummingbird
import SnackBaseCore
import SnackBaseService

/// The HTTP side of ``AccountAccess``: the caller from the context and `account_id` from the query.
enum AccountAdministration {
    /// The signed-in caller, who must be an account admin (or the superadmin), and the account they administer.
    static func require(_ request: Request, _ context: AppRequestContext, services: AppServices, bodyAccount: String? = nil) async throws -> (Principal, AccountScope) {
        let principal = try context.requireUser()
        let scope = try await AccountAccess(services: services).administration(by: principal, query: FormQuery(request)["account_id"], body: bodyAccount)
        return (principal, scope)
    }
}

import Hummingbird
import SnackBaseCore
import SnackBaseService
import SnackBaseStore

/// Which account a request acts in. The account comes from the token; an `account_id` in the
/// query or body that names another account is a cross-account attempt (403), except for the
/// superadmin, who may name any existing account. Naming one's own account is accepted and ignored.
enum AccountTarget {
    static func scope(for principal: Principal, naming requested: String?, services: AppServices) async throws -> AccountScope {
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

    static func queryAccount(_ request: Request) -> String? {
        FormQuery(request)["account_id"]
    }
}

import Hummingbird
import SnackBaseCore
import SnackBaseService

/// `/api/v1/rules/check`: checks a rule as one types it (the console's rule editors), with the checker
/// saving a permission uses, and saves nothing. Account admins and the superadmin only.
struct RuleController {
    let services: AppServices

    func register(on group: RouterGroup<AppRequestContext>) {
        group.post("check", use: check)
    }

    struct CheckBody: Decodable {
        let collection: String
        let rule: String
        let operation: Operation?
    }

    struct Problem: Encodable {
        let message: String
        let position: Int
    }

    struct CheckAnswer: Encodable {
        let valid: Bool
        let error: Problem?
    }

    @Sendable func check(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (body, bodyAccount) = try await JSONBody.document(CheckBody.self, from: request)
        _ = try await AccountAdministration.require(request, context, services: services, bodyAccount: bodyAccount)
        switch try await PermissionService(services: services).checkRule(body.rule, collection: body.collection, operation: body.operation) {
        case .valid:
            return try JSONBody.response(.ok, CheckAnswer(valid: true, error: nil))
        case .invalid(let message, let position):
            return try JSONBody.response(.ok, CheckAnswer(valid: false, error: Problem(message: message, position: position)))
        }
    }
}

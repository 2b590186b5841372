import Hummingbird
import SnackBaseAuth
import SnackBaseCore
import SnackBaseStore
import SnackBaseService

/// `/api/v1/invitations`: an account admin (the superadmin, of any account) invites people by mail,
/// lists the open invitations and revokes them. Accepting is `POST /auth/accept-invitation`.
struct InvitationController {
    let services: AppServices

    private var invitations: InvitationService { InvitationService(services: services) }

    func register(on group: RouterGroup<AppRequestContext>) {
        group.post(use: create)
        group.get(use: list)
        group.delete(":id", use: revoke)
    }

    struct CreateBody: Decodable {
        let email: String
        let roles: [String]?
        let accountId: String?
    }

    struct InvitationDTO: Encodable {
        let id: String
        let email: String
        let roles: [String]
        let expiresAt: String
        /// `null` when unknown, not left out: the document requires the key.
        @NullWhenAbsent var invitedBy: String?
        let createdAt: String

        init(_ invitation: InvitationService.Invitation) {
            id = invitation.id
            email = invitation.email
            roles = invitation.roles
            expiresAt = invitation.expiresAt
            invitedBy = invitation.invitedBy
            createdAt = invitation.createdAt
        }
    }

    struct ListAnswer: Encodable {
        let items: [InvitationDTO]
        let total: Int
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await JSONBody.decode(CreateBody.self, from: request)
        let (principal, scope) = try await AccountAdministration.require(request, context, services: services, bodyAccount: body.accountId)
        let invitation = try await invitations.create(email: body.email, roles: body.roles ?? [], by: principal, in: scope)
        return try JSONBody.response(.created, InvitationDTO(invitation))
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (_, scope) = try await AccountAdministration.require(request, context, services: services)
        let open = try await invitations.listOpen(in: scope)
        return try JSONBody.response(.ok, ListAnswer(items: open.map(InvitationDTO.init), total: open.count))
    }

    @Sendable func revoke(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (principal, scope) = try await AccountAdministration.require(request, context, services: services)
        try await invitations.revoke(id: context.parameters.get("id") ?? "", by: principal, in: scope)
        return JSONBody.noContent()
    }
}

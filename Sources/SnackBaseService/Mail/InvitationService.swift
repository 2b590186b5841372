import Logging
import Foundation
import SnackBaseAuth
import SnackBaseCore
import SnackBaseStore

/// Invitations (identity.md "Email"): an account admin invites an e-mail with roles; the mailed
/// 7-day single-use link creates the user, with those roles and a verified e-mail, and signs it in.
package struct InvitationService: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }

    static let lifetime: TimeInterval = 7 * 86400

    package typealias Invitation = InvitationRepository.Invitation

    /// Invites `email` into `scope` with `roles` (`invitation.create`) and mails the link. Without
    /// mail configured nothing is created (503): an invitation nobody receives helps no one.
    package func create(email: String, roles: [String], by principal: Principal, in scope: AccountScope) async throws -> Invitation {
        guard !scope.accountID.isSystem else { throw SnackBaseError.escalation("Superadmins are created with `snackbase create-superadmin`") }
        guard services.mail.queue != nil else { throw SnackBaseError(.unavailable, message: "Mail is not configured (SNACKBASE_SMTP_URL)") }
        let email = Validation.normalizedEmail(email)
        guard Validation.isValidEmail(email) else { throw SnackBaseError.validation([.init(field: "email", message: "is not a valid e-mail address")]) }
        let (token, digest) = LinkToken.make(in: scope.accountID)
        let now = Date()
        let invitation = Invitation(id: SecureID.make("inv"), accountID: scope.accountID, email: email, roles: Array(Set(roles)).sorted(),
                                    invitedBy: principal.userID, createdAt: Timestamp.format(now),
                                    expiresAt: Timestamp.format(now.addingTimeInterval(Self.lifetime)))
        let account = try await services.database.transaction { db -> Account in
            // Unknown roles are refused here, as for a new user.
            _ = try await RoleRepository.ids(forNames: invitation.roles, in: scope, on: db)
            if try await UserRepository.find(email: email, in: scope, on: db) != nil {
                throw SnackBaseError.conflict("A user with this e-mail already exists in the account")
            }
            guard let account = try await AccountRepository.find(id: scope.accountID, on: db) else { throw SnackBaseError.notFound("Account") }
            try await InvitationRepository.insert(invitation, tokenDigest: digest, in: scope, on: db)
            try await AuditLog.append(AuditEvent("invitation.create", in: scope.accountID, by: principal, status: 201, recordID: invitation.id, changes: [
                "email": AuditChange(old: nil, new: .string(email)),
                "roles": AuditChange(old: nil, new: .array(invitation.roles.map(JSONValue.string))),
            ]), on: db)
            return account
        }
        await services.sendMail(.invitation, to: email, values: [
            "account_name": account.name, "email": email, "link": services.link("/accept-invitation", token: token), "expires_in": "7 days",
            "invited_by": principal.email ?? "An administrator", "roles": invitation.roles.isEmpty ? "none" : invitation.roles.joined(separator: ", "),
        ])
        return invitation
    }

    package func listOpen(in scope: AccountScope) async throws -> [Invitation] {
        try await services.database.read { db in try await InvitationRepository.listOpen(now: Timestamp.now(), in: scope, on: db) }
    }

    /// Revokes an open invitation (`invitation.revoke`); its link stops working. 404 when there is none.
    package func revoke(id: String, by principal: Principal, in scope: AccountScope) async throws {
        let revoked = try await services.database.transaction { db -> Bool in
            guard let invitation = try await InvitationRepository.revoke(id: id, now: Timestamp.now(), in: scope, on: db) else { return false }
            try await AuditLog.append(AuditEvent("invitation.revoke", in: scope.accountID, by: principal, status: 204, recordID: invitation.id), on: db)
            return true
        }
        guard revoked else { throw SnackBaseError.notFound("Invitation") }
    }

    /// Uses up the invitation of `token`: a new active user with its e-mail (verified), its roles
    /// (those that still exist: a role deleted since grants nothing) and `password`
    /// (`invitation.accept`). Password policy first (422, the token stays usable); a used, revoked,
    /// expired, altered or unknown token: 400; an e-mail taken since: 409.
    package func accept(token: String, password: String) async throws -> (Account, User) {
        let problems = Validation.passwordProblems(password).map { SnackBaseError.Detail(field: "password", message: $0) }
        guard problems.isEmpty else { throw SnackBaseError.validation(problems) }
        guard let accountID = LinkToken.account(of: token) else { throw EmailVerificationService.invalidToken }
        let hash = try await services.passwords.hash(password)
        let scope = AccountScope(accountID)
        let digest = LinkToken.digest(token)
        let accepted = try await services.database.transaction { db -> (Account, User)? in
            let now = Timestamp.now()
            guard let invitation = try await InvitationRepository.accept(tokenDigest: digest, now: now, in: scope, on: db),
                  let account = try await AccountRepository.find(id: accountID, on: db)
            else { return nil }
            if try await UserRepository.find(email: invitation.email, in: scope, on: db) != nil {
                throw SnackBaseError.conflict("A user with this e-mail already exists in the account")
            }
            var roleIDs: [String] = []
            var roleNames: [String] = []
            for name in invitation.roles {
                if let role = try await RoleRepository.find(name: name, in: scope, on: db) {
                    roleIDs.append(role.id)
                    roleNames.append(name)
                }
            }
            let user = User(id: SecureID.make("usr"), accountID: accountID, email: invitation.email, passwordHash: hash, isActive: true,
                            roles: roleNames.sorted(), createdAt: now, updatedAt: now, emailVerified: true)
            try await UserRepository.insert(user, roleIDs: roleIDs, in: scope, on: db)
            try await AuditLog.append(AuditEvent(
                accountID: accountID, action: "invitation.accept", status: 201, actorID: user.id, actorEmail: user.email, recordID: invitation.id,
                changes: user.createdChanges
            ), on: db)
            return (account, user)
        }
        guard let accepted else { throw EmailVerificationService.invalidToken }
        return accepted
    }
}

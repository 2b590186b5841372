import Foundation
import SQLKit
import SnackBaseCore

/// Invitations to join an account by a mailed link; the link's token is stored as a digest only.
/// An invitation is open until accepted, revoked or expired.
public enum InvitationRepository {
    public struct Invitation: Sendable, Equatable {
        public let id: String
        public let accountID: AccountID
        public let email: String
        public let roles: [String]
        public let invitedBy: String?
        public let createdAt: String
        public let expiresAt: String
        public let acceptedAt: String?
        public let revokedAt: String?

        package init(id: String, accountID: AccountID, email: String, roles: [String], invitedBy: String?, createdAt: String,
                     expiresAt: String, acceptedAt: String? = nil, revokedAt: String? = nil) {
            self.id = id
            self.accountID = accountID
            self.email = email
            self.roles = roles
            self.invitedBy = invitedBy
            self.createdAt = createdAt
            self.expiresAt = expiresAt
            self.acceptedAt = acceptedAt
            self.revokedAt = revokedAt
        }
    }

    public static func insert(_ invitation: Invitation, tokenDigest: String, in scope: AccountScope, on db: any SQLDatabase) async throws {
        try await RowSecurity.enter(scope, on: db)
        precondition(invitation.accountID == scope.accountID, "an invitation is written only in its own account")
        let roles = String(decoding: try JSONEncoder().encode(invitation.roles), as: UTF8.self)
        try await db.raw("""
            INSERT INTO invitations (id, account_id, email, roles, token_digest, invited_by, created_at, expires_at)
            VALUES (\(bind: invitation.id), \(bind: scope.accountID.rawValue), \(bind: invitation.email), \(bind: roles),
                    \(bind: tokenDigest), \(bind: invitation.invitedBy), \(bind: invitation.createdAt), \(bind: invitation.expiresAt))
            """).run()
    }

    /// Open invitations (neither accepted nor revoked nor expired at `now`), oldest first.
    public static func listOpen(now: String, in scope: AccountScope, on db: any SQLDatabase) async throws -> [Invitation] {
        try await RowSecurity.enter(scope, on: db)
        return try await db.raw("""
            SELECT * FROM invitations
            WHERE account_id = \(bind: scope.accountID.rawValue) AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > \(bind: now)
            ORDER BY created_at, id
            """).all().map { try decode($0, in: scope) }
    }

    /// Revokes an open invitation; nil when there is none with this id (or it is no longer open).
    public static func revoke(id: String, now: String, in scope: AccountScope, on db: any SQLDatabase) async throws -> Invitation? {
        try await RowSecurity.enter(scope, on: db)
        let rows = try await db.raw("""
            UPDATE invitations SET revoked_at = \(bind: now)
            WHERE account_id = \(bind: scope.accountID.rawValue) AND id = \(bind: id) AND accepted_at IS NULL AND revoked_at IS NULL
            RETURNING *
            """).all()
        return try rows.first.map { try decode($0, in: scope) }
    }

    /// Accepts the open, unexpired invitation whose token has this digest, at most once.
    public static func accept(tokenDigest: String, now: String, in scope: AccountScope, on db: any SQLDatabase) async throws -> Invitation? {
        try await RowSecurity.enter(scope, on: db)
        let rows = try await db.raw("""
            UPDATE invitations SET accepted_at = \(bind: now)
            WHERE account_id = \(bind: scope.accountID.rawValue) AND token_digest = \(bind: tokenDigest)
                AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > \(bind: now)
            RETURNING *
            """).all()
        return try rows.first.map { try decode($0, in: scope) }
    }

    static func decode(_ row: any SQLRow, in scope: AccountScope) throws -> Invitation {
        let rolesText = try row.decode(column: "roles", as: String.self)
        return Invitation(
            id: try row.decode(column: "id", as: String.self),
            accountID: scope.accountID,
            email: try row.decode(column: "email", as: String.self),
            roles: try JSONDecoder().decode([String].self, from: Data(rolesText.utf8)),
            invitedBy: try row.decode(column: "invited_by", as: String?.self),
            createdAt: try row.decode(column: "created_at", as: String.self),
            expiresAt: try row.decode(column: "expires_at", as: String.self),
            acceptedAt: try row.decode(column: "accepted_at", as: String?.self),
            revokedAt: try row.decode(column: "revoked_at", as: String?.self)
        )
    }
}

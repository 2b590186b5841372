import SnackBaseCore
import SnackBaseStore
import SnackBaseAuth

/// The users of an account, as its admin (the superadmin, of any account) manages them: create,
/// list, get, update, deactivate. `scope` is the account `principal` administers, from
/// ``AccountAccess/administration(by:query:body:)``. Nobody changes their own roles or deactivates
/// themselves, grants a role of another account, or makes a superadmin through this API.
package struct UserService: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }

    /// What an update may change; nil leaves it as it is.
    package struct Change: Sendable {
        package var email: String?
        package var roles: [String]?
        package var isActive: Bool?
        package var password: String?

        package init(email: String?, roles: [String]?, isActive: Bool?, password: String?) {
            self.email = email
            self.roles = roles
            self.isActive = isActive
            self.password = password
        }
    }

    package func create(email: String, password: String, roles: [String]?, by principal: Principal, in scope: AccountScope) async throws -> User {
        guard !scope.accountID.isSystem else { throw SnackBaseError.escalation("Superadmins are created with `snackbase create-superadmin`") }
        // A new user is a role assignment and a password someone can sign in with: not for a key.
        try APIKeyService.refuseAPIKey(principal, "create users or change role assignments")
        let email = Validation.normalizedEmail(email)
        var problems: [SnackBaseError.Detail] = []
        if !Validation.isValidEmail(email) { problems.append(.init(field: "email", message: "is not a valid e-mail address")) }
        problems += Validation.passwordProblems(password).map { .init(field: "password", message: $0) }
        guard problems.isEmpty else { throw SnackBaseError.validation(problems) }
        let hash = try await services.passwords.hash(password)
        return try await insert(email: email, passwordHash: hash, roles: roles ?? [], isActive: true, emailVerified: false, by: principal, in: scope)
    }

    /// A new user row with its role assignments and its `user.create` audit entry (which holds no hash).
    private func insert(
        email: String, passwordHash: String, roles roleNames: [String], isActive: Bool, emailVerified: Bool,
        by principal: Principal, in scope: AccountScope
    ) async throws -> User {
        let now = Timestamp.now()
        return try await services.database.transaction { db in
            let roleIDs = try await RoleRepository.ids(forNames: roleNames, in: scope, on: db)
            let user = User(id: SecureID.make("usr"), accountID: scope.accountID, email: email, passwordHash: passwordHash, isActive: isActive,
                            roles: Array(Set(roleNames)).sorted(), createdAt: now, updatedAt: now, emailVerified: emailVerified)
            do {
                try await UserRepository.insert(user, roleIDs: roleIDs, in: scope, on: db)
            } catch where isUniqueViolation(error) {
                throw SnackBaseError.conflict("A user with this e-mail already exists in the account")
            }
            try await AuditLog.append(AuditEvent("user.create", in: scope.accountID, by: principal, status: 201, recordID: user.id, changes: user.createdChanges), on: db)
            return user
        }
    }

    /// Creates a user for every line of an import (operations.md: a Python SnackBase users table),
    /// each in its own transaction with its audit entry; a refused line does not stop the others.
    /// A line is `{email, password_hash, roles?, role?, is_active?, email_verified?}` (`hashed_password`
    /// is taken for `password_hash`); other keys, such as the old table's `id` and `account_id`, are
    /// ignored: the users join the account of the import with new ids. The hash is stored as it is
    /// (``PasswordService/importProblem(_:)`` says which are accepted), so each user signs in with
    /// their old password, and a hash weaker than this server's setting is replaced at that login.
    package func importUsers(_ lines: [RecordService.ImportLine], by principal: Principal, in scope: AccountScope) async throws -> RecordService.ImportOutcome {
        guard !scope.accountID.isSystem else { throw SnackBaseError.escalation("Superadmins are created with `snackbase create-superadmin`") }
        try APIKeyService.refuseAPIKey(principal, "create users or change role assignments")
        var outcome = RecordService.ImportOutcome()
        for line in lines {
            do {
                let user = try importedUser(try line.body.get())
                _ = try await insert(email: user.email, passwordHash: user.hash, roles: user.roles, isActive: user.isActive,
                                     emailVerified: user.emailVerified, by: principal, in: scope)
                outcome.created += 1
            } catch {
                outcome.failed.append((line.line, error))
            }
        }
        return outcome
    }

    private func importedUser(_ body: [String: JSONValue]) throws -> (email: String, hash: String, roles: [String], isActive: Bool, emailVerified: Bool) {
        var problems: [SnackBaseError.Detail] = []
        var email = ""
        if case .string(let given)? = body["email"] { email = Validation.normalizedEmail(given) }
        if !Validation.isValidEmail(email) { problems.append(.init(field: "email", message: "is not a valid e-mail address")) }
        var hash = ""
        switch body["password_hash"] ?? body["hashed_password"] {
        case .string(let given)?:
            hash = given
            if let problem = services.passwords.importProblem(given) {
                problems.append(.init(field: "password_hash", message: "must be an Argon2id PHC string ($argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>): \(problem)"))
            }
        default: problems.append(.init(field: "password_hash", message: "is required (an Argon2id PHC string)"))
        }
        var roles: [String] = []
        switch (body["roles"], body["role"]) {
        case (nil, nil), (.null?, _), (nil, .null?): break
        case (.array(let names)?, _):
            for case .string(let name) in names { roles.append(name) }
            if roles.count != names.count { problems.append(.init(field: "roles", message: "must be a list of role names")) }
        case (nil, .string(let name)?): roles = [name]
        default: problems.append(.init(field: "roles", message: "must be a list of role names"))
        }
        func flag(_ name: String, default value: Bool) -> Bool {
            switch body[name] {
            case nil, .null?: return value
            case .bool(let given)?: return given
            default:
                problems.append(.init(field: name, message: "must be true or false"))
                return value
            }
        }
        let isActive = flag("is_active", default: true)
        let emailVerified = flag("email_verified", default: false)
        guard problems.isEmpty else { throw SnackBaseError.validation(problems) }
        return (email, hash, roles, isActive, emailVerified)
    }

    package func list(in scope: AccountScope, skip: Int, limit: Int) async throws -> (items: [User], total: Int) {
        try await services.database.read { db in
            try await UserRepository.list(in: scope, skip: skip, limit: limit, on: db)
        }
    }

    package func get(id: String, in scope: AccountScope) async throws -> User {
        guard let user = try await services.database.read({ db in try await UserRepository.find(id: id, in: scope, on: db) }) else {
            throw SnackBaseError.notFound("User")
        }
        return user
    }

    package func update(id: String, _ body: Change, by principal: Principal, in scope: AccountScope) async throws -> User {
        let user = try await get(id: id, in: scope)
        let isSelf = user.id == principal.userID
        // Roles, or a password to sign in as a user who holds them: never through a key.
        if body.roles != nil || body.password != nil { try APIKeyService.refuseAPIKey(principal, "change role assignments or passwords") }
        if isSelf, let roles = body.roles, Set(roles) != Set(user.roles) {
            throw SnackBaseError.escalation("You cannot change your own roles")
        }
        if isSelf, body.isActive == false { throw SnackBaseError.escalation("You cannot deactivate yourself") }
        var problems: [SnackBaseError.Detail] = []
        var change = UserRepository.Change(isActive: body.isActive)
        if let email = body.email.map(Validation.normalizedEmail) {
            // A new address is unverified until its own link is followed.
            if Validation.isValidEmail(email) { change.email = email; change.emailVerified = email == user.email ? nil : false } else { problems.append(.init(field: "email", message: "is not a valid e-mail address")) }
        }
        if let password = body.password {
            problems += Validation.passwordProblems(password).map { .init(field: "password", message: $0) }
        }
        guard problems.isEmpty else { throw SnackBaseError.validation(problems) }
        if let password = body.password { change.passwordHash = try await services.passwords.hash(password) }
        let written = change
        let newRoles = body.roles
        let passwordChanged = body.password != nil
        // A new password or a deactivation ends the user's sign-ins (a stolen refresh token with
        // them); changing one's own password keeps the sign-in that did it.
        let endsSessions: String? = passwordChanged ? "password changed" : body.isActive == false ? "deactivated" : nil
        let keep = isSelf ? principal.sessionFamily : nil
        let updated = try await services.database.transaction { db in
            // Read again here: the audit entry compares with what this write really changes.
            guard let before = try await UserRepository.find(id: user.id, in: scope, on: db) else { throw SnackBaseError.notFound("User") }
            do {
                try await UserRepository.update(id: user.id, written, in: scope, on: db)
            } catch where isUniqueViolation(error) {
                throw SnackBaseError.conflict("A user with this e-mail already exists in the account")
            }
            if let reason = endsSessions {
                try await TokenRepository.revokeFamilies(ofUser: user.id, except: keep, reason: reason, in: scope, on: db)
            }
            if written.emailVerified == false {
                // Links sent to the old address stop working.
                try await OneTimeTokenRepository.voidAll(userID: user.id, purpose: .verifyEmail, now: Timestamp.now(), in: scope, on: db)
                try await OneTimeTokenRepository.voidAll(userID: user.id, purpose: .passwordReset, now: Timestamp.now(), in: scope, on: db)
            }
            if let newRoles {
                try await UserRepository.setRoles(userID: user.id, roleIDs: try await RoleRepository.ids(forNames: newRoles, in: scope, on: db), in: scope, on: db)
            }
            let stored = try await UserRepository.find(id: user.id, in: scope, on: db) ?? before
            var changes = AuditChange.diff(before.auditFields, stored.auditFields)
            if passwordChanged { changes["password"] = .redacted }
            try await AuditLog.append(AuditEvent("user.update", in: scope.accountID, by: principal, status: 200, recordID: stored.id, changes: changes), on: db)
            return stored
        }
        if written.emailVerified == false, !scope.accountID.isSystem {
            let account = try await services.database.read { db in try await AccountRepository.find(id: scope.accountID, on: db) }
            await EmailVerificationService(services: services).send(to: updated, accountName: account?.name ?? "")
        }
        return updated
    }

    /// Deactivates (never deletes) a user; its tokens stop working on the next request.
    package func deactivate(id: String, by principal: Principal, in scope: AccountScope) async throws {
        let user = try await get(id: id, in: scope)
        guard user.id != principal.userID else { throw SnackBaseError.escalation("You cannot deactivate yourself") }
        try await services.database.transaction { db in
            guard let before = try await UserRepository.find(id: user.id, in: scope, on: db) else { throw SnackBaseError.notFound("User") }
            try await UserRepository.update(id: user.id, .init(isActive: false), in: scope, on: db)
            // Its sign-ins end with it, so reactivating it does not bring them back.
            try await TokenRepository.revokeFamilies(ofUser: user.id, reason: "deactivated", in: scope, on: db)
            try await AuditLog.append(AuditEvent("user.deactivate", in: scope.accountID, by: principal, status: 204, recordID: user.id,
                                                 changes: AuditChange.diff(["is_active": .bool(before.isActive)], ["is_active": .bool(false)])), on: db)
        }
    }
}

import Foundation

/// The OpenAPI 3.1 description of every route the server registers, served at `GET /openapi.json`.
/// Built from ``operations`` (one entry per method and path) and ``OpenAPISchemas``; encoded once,
/// with sorted keys, so the bytes are the same on every start.
enum OpenAPIDocument {
    typealias Op = OpenAPIOperation
    typealias Q = OpenAPIOperation.Query
    typealias A = OpenAPIOperation.Answer

    private static func ref(_ name: String) -> OpenAPIValue { OpenAPISchemas.ref(name) }

    static let skip = Q(name: "skip", schema: ["type": "integer", "minimum": 0, "maximum": 2_147_483_647], description: "Items to skip (default 0).")
    static let limit = Q(name: "limit", schema: ["type": "integer", "minimum": 1, "maximum": 100], description: "Page size, 1–100 (default 30).")
    static let accountID = Q(name: "account_id", schema: ["type": "string"],
                             description: "The account to act in: the caller's own, or (superadmin only) any other.")
    static let confirm = Q(name: "confirm", schema: ["type": "boolean"], description: "`true` to accept losing data.")

    /// Every route, in the order of the contract (`api.md`).
    static let operations: [OpenAPIOperation] = health + auth + twoFactor + emailFlows + accounts + users + invitations + roles + permissions + rules + collections + audit + apiKeys + backups + realtime
        + transfer
        + records(base: "/api/v1/records/{collection}", tag: "records")
        + records(base: "/api/v1/{collection}", tag: "records (alias)", alias: true)

    static let health: [OpenAPIOperation] = [
        Op("get", "/health", tag: "meta", "The process answers.", security: .none, answers: [A(200, "Alive.", ref("Status"))]),
        Op("get", "/live", tag: "meta", "The process answers.", security: .none, answers: [A(200, "Alive.", ref("Status"))]),
        Op("get", "/ready", tag: "meta", "The database answers.", security: .none,
           answers: [A(200, "Ready.", ref("Status")), A(503, "The database does not answer.", ref("Status"))]),
        Op("get", "/openapi.json", tag: "meta", "This document.", security: .none,
           answers: [A(200, "The OpenAPI 3.1 document.", ["type": "object"])]),
        Op("get", "/metrics", tag: "meta", "Prometheus text format; needs `SNACKBASE_METRICS_TOKEN` as a bearer when that is set.",
           security: .optionalBearer, answers: [A(200, "The metrics.", ["type": "string"], contentType: "text/plain")]),
    ]

    static let auth: [OpenAPIOperation] = [
        Op("post", "/api/v1/auth/register", tag: "auth", "Create an account, its default roles and its first (admin) user.",
           security: .none, body: ref("RegisterRequest"), answers: [A(201, "Registered and signed in.", ref("RegisterAnswer"))],
           errors: [409, 503]),
        Op("post", "/api/v1/auth/login", tag: "auth", "Sign in to an account (slug or id).", security: .none,
           body: ref("LoginRequest"), answers: [A(200, "Signed in, or (two-factor sign-in on) the challenge of the second step.", ref("LoginOrChallenge"))],
           errors: [401, 429]),
        Op("post", "/api/v1/auth/refresh", tag: "auth", "Rotate a refresh token.", security: .none,
           body: ref("RefreshRequest"), answers: [A(200, "New tokens; the old refresh token stops working.", ref("TokenPair"))],
           errors: [401]),
        Op("post", "/api/v1/auth/logout", tag: "auth", "Revoke this sign-in (and the refresh token's family).",
           body: ref("LogoutRequest"), answers: [A(204, "Signed out.", nil)]),
        Op("get", "/api/v1/auth/me", tag: "auth", "Who the token belongs to.", answers: [A(200, "The caller.", ref("Me"))]),
        Op("post", "/api/v1/auth/password", tag: "auth",
           "Change one's own password: the current one is checked (a wrong one is a 422 on `current_password`, counted as a failed sign-in), "
           + "the new one must meet the password policy; every other sign-in of the user ends, this one stays.",
           body: ref("PasswordChangeRequest"), answers: [A(204, "Changed.", nil)], errors: [403, 409, 422, 429]),
    ]

    /// identity.md "Email": the mailed links' routes; each unauthenticated one is rate limited (429).
    static let emailFlows: [OpenAPIOperation] = [
        Op("post", "/api/v1/auth/verify-email", tag: "auth", "Verify an e-mail address with the token of a mailed link (24 h, single use).",
           security: .none, body: ref("TokenRequest"), answers: [A(200, "Verified.", ref("EmailVerified"))], errors: [400, 429]),
        Op("post", "/api/v1/auth/verify-email/resend", tag: "auth", "Mail a new verification link to the caller (at most one a minute).",
           answers: [A(202, "Accepted; a link goes out when the e-mail still needs verifying.", ref("Accepted"))]),
        Op("post", "/api/v1/auth/password-reset", tag: "auth",
           "Ask for a password-reset link (30 min); the answer is the same whether or not the user exists.",
           security: .none, body: ref("PasswordResetRequest"), answers: [A(202, "Accepted.", ref("Accepted"))], errors: [429]),
        Op("post", "/api/v1/auth/password-reset/confirm", tag: "auth",
           "Set a new password with the token of a reset link; every sign-in of the user ends.",
           security: .none, body: ref("TokenPasswordRequest"), answers: [A(204, "Password set.", nil)], errors: [400, 422, 429]),
        Op("post", "/api/v1/auth/accept-invitation", tag: "auth",
           "Accept an invitation (7-day token): the new user, with the invited roles and a verified e-mail, is signed in.",
           security: .none, body: ref("TokenPasswordRequest"), answers: [A(201, "Created and signed in.", ref("LoginAnswer"))],
           errors: [400, 409, 422, 429]),
    ]

    static let invitations: [OpenAPIOperation] = [
        Op("post", "/api/v1/invitations", tag: "invitations", "Invite an e-mail with roles; a link is mailed (account admin).",
           body: ref("InvitationCreate"), answers: [A(201, "Invited.", ref("Invitation"))], errors: [403, 404, 409, 503]),
        Op("get", "/api/v1/invitations", tag: "invitations", "The open invitations (account admin).", query: [accountID],
           answers: [A(200, "Open invitations.", ref("InvitationList"))], errors: [403, 404]),
        Op("delete", "/api/v1/invitations/{id}", tag: "invitations", "Revoke an open invitation (account admin).", query: [accountID],
           answers: [A(204, "Revoked.", nil)], errors: [403, 404]),
    ]

    /// Two-factor sign-in (identity.md).
    static let twoFactor: [OpenAPIOperation] = [
        Op("post", "/api/v1/auth/mfa/totp", tag: "auth", "Start TOTP enrolment: a secret, its `otpauth://` link and 10 recovery codes, shown once.",
           answers: [A(201, "Enrolment started.", ref("MFAEnrolment"))], errors: [403, 409]),
        Op("post", "/api/v1/auth/mfa/totp/confirm", tag: "auth", "Turn two-factor sign-in on with a first code.",
           body: ref("MFACode"), answers: [A(204, "On.", nil)], errors: [403, 409, 422, 429]),
        Op("delete", "/api/v1/auth/mfa/totp", tag: "auth", "Turn two-factor sign-in off with a current code.",
           body: ref("MFACode"), answers: [A(204, "Off.", nil)], errors: [403, 409, 422, 429]),
        Op("post", "/api/v1/auth/mfa/verify", tag: "auth", "The second step of a login: the `mfa_token` and a code or a recovery code.",
           security: .none, body: ref("MFAVerify"), answers: [A(200, "Signed in.", ref("LoginAnswer"))], errors: [401, 429]),
    ]

    /// API keys (identity.md).
    static let apiKeys: [OpenAPIOperation] = [
        Op("post", "/api/v1/api-keys", tag: "api-keys", "Create an API key (account admin); the key is in this answer only.", query: [accountID],
           body: ref("APIKeyCreate"), answers: [A(201, "Created, with `key`.", ref("APIKey"))], errors: [403, 404]),
        Op("get", "/api/v1/api-keys", tag: "api-keys", "List the account's API keys, without `key` (account admin).", query: [skip, limit, accountID],
           answers: [A(200, "A page of keys.", ref("APIKeyPage"))], errors: [403, 404]),
        Op("get", "/api/v1/api-keys/{id}", tag: "api-keys", "One API key, without `key` (account admin).", query: [accountID],
           answers: [A(200, "The key.", ref("APIKey"))], errors: [403, 404]),
        Op("delete", "/api/v1/api-keys/{id}", tag: "api-keys", "Revoke an API key; it stops working on the next request (account admin).",
           query: [accountID], answers: [A(204, "Revoked.", nil)], errors: [403, 404]),
    ]

    /// operations.md "Backups and restore" (superadmin only).
    static let backups: [OpenAPIOperation] = [
        Op("post", "/api/v1/backups", tag: "backups", "Start a consistent backup of the whole database into the data folder's `backups/` (superadmin).",
           answers: [A(202, "Started; poll the list for its status.", ref("BackupStarted"))], errors: [401, 403, 404]),
        Op("get", "/api/v1/backups", tag: "backups", "Every backup, newest first, with size and SHA-256 once done (superadmin).",
           answers: [A(200, "The backups.", ref("BackupList"))], errors: [401, 403, 404]),
        Op("get", "/api/v1/backups/{id}/download", tag: "backups", "The backup file, streamed (superadmin).",
           answers: [A(200, "The file.", ["type": "string", "format": "binary"], contentType: "application/octet-stream")], errors: [401, 403, 404]),
    ]

    /// realtime.md: Server-Sent Events of record changes, each decided for its subscriber as `GET /{id}` would be.
    static let realtime: [OpenAPIOperation] = [
        Op("get", "/api/v1/realtime", tag: "realtime", """
           A stream of the changes to the records the caller may read (`text/event-stream`). Each event has `id`, `event` and one \
           `data` line of JSON `{collection, record, at}`: `record.created` and `record.updated` carry the record through the \
           caller's field mask, `record.hidden` (no longer readable after an update) and `record.deleted` carry `{id}`; \
           `closed` carries `{reason}` (`token expired`, `revoked`, `forbidden`, `slow consumer`, `shutdown`) before the end; \
           `reset` tells a client reconnecting with a `Last-Event-ID` older than the recent events to reload. Comments \
           (`: ping`) keep an idle stream open. Caller: a bearer token or API key, a `ticket`, or anonymous with `X-Account` or `account`.
           """, security: .bearerOrAccount, query: [
            Q(name: "topics", schema: ["type": "string"], description: "1 to 20 entries, comma separated: `collection` or `collection/record id`."),
            Q(name: "filter", schema: ["type": "string"], description: "A rule expression narrowing the events (one collection topic only)."),
            Q(name: "ticket", schema: ["type": "string"], description: "A single-use ticket from `POST /api/v1/realtime/tickets`."),
            Q(name: "account", schema: ["type": "string"], description: "An account's slug or id, for its anonymous role."),
            Q(name: "last_event_id", schema: ["type": "string"], description: "As the `Last-Event-ID` header, for clients that cannot set it."),
            accountID,
           ], answers: [A(200, "The event stream.", ["type": "string"], contentType: "text/event-stream")], errors: [400, 401, 403, 404]),
        Op("post", "/api/v1/realtime/tickets", tag: "realtime", "A single-use ticket (30 s) that opens one stream as the caller, for `EventSource`.",
           answers: [A(201, "The ticket.", ref("RealtimeTicket"))], errors: [401]),
    ]

    static let accounts: [OpenAPIOperation] = [
        Op("get", "/api/v1/accounts", tag: "accounts", "List accounts (superadmin).", query: [skip, limit],
           answers: [A(200, "A page of accounts.", ref("AccountPage"))], errors: [403]),
        Op("post", "/api/v1/accounts", tag: "accounts", "Create an account with its default roles (superadmin).",
           body: ref("AccountCreate"), answers: [A(201, "Created.", ref("Account"))], errors: [403, 409, 503]),
        Op("get", "/api/v1/accounts/{id}", tag: "accounts", "One account (superadmin).",
           answers: [A(200, "The account.", ref("Account"))], errors: [403, 404]),
        Op("get", "/api/v1/accounts/{id}/export", tag: "accounts", """
           The tenant's data as one tar archive (superadmin, or an admin of that account): `users.jsonl` (no password hashes or \
           secrets), `roles.jsonl`, `permissions.jsonl`, `records/<collection>.jsonl` (through the exporter's read decision), \
           `audit.jsonl` (the chain), then `manifest.json` with each member's count, size and SHA-256. Streamed member by member.
           """, answers: [A(200, "The archive.", ["type": "string", "format": "binary"], contentType: "application/x-tar")], errors: [403, 404]),
        Op("patch", "/api/v1/accounts/{id}", tag: "accounts", "Rename an account (superadmin).", body: ref("AccountUpdate"),
           answers: [A(200, "The account.", ref("Account"))], errors: [403, 404]),
        Op("delete", "/api/v1/accounts/{id}", tag: "accounts", "Delete an account and all its rows (superadmin; not the system account).",
           answers: [A(204, "Deleted.", nil)], errors: [403, 404]),
    ]

    static let users: [OpenAPIOperation] = [
        Op("post", "/api/v1/users", tag: "users", "Create a user with roles of the account (account admin).",
           body: ref("UserCreate"), answers: [A(201, "Created.", ref("User"))], errors: [403, 404, 409]),
        Op("post", "/api/v1/users/import", tag: "users", """
           Import users with their password hashes (account admin), such as a Python SnackBase users table: JSON Lines of \
           `{email, password_hash, roles?, is_active?, email_verified?}` (`hashed_password` and a single `role` are taken too; \
           other keys are ignored). The hash must be an Argon2id PHC string costing at most m=65536, t=3, p=4 or this server's \
           parameters, whichever are higher; it is stored as it is, so each user signs in with their old password. Each line is \
           its own `user.create`; at most 16 MiB and 50,000 lines (413).
           """, query: [accountID], body: ["type": "string"], bodyContentType: "application/x-ndjson",
           answers: [A(200, "`{created, failed:[{line, status, message, details?}]}`.", ref("ImportResult"))], errors: [400, 403, 404]),
        Op("get", "/api/v1/users", tag: "users", "List the account's users (account admin).", query: [skip, limit, accountID],
           answers: [A(200, "A page of users.", ref("UserPage"))], errors: [403, 404]),
        Op("get", "/api/v1/users/{id}", tag: "users", "One user (account admin).", query: [accountID],
           answers: [A(200, "The user.", ref("User"))], errors: [403, 404]),
        Op("patch", "/api/v1/users/{id}", tag: "users", "Change e-mail, roles, password or activity (account admin).",
           query: [accountID], body: ref("UserUpdate"), answers: [A(200, "The user.", ref("User"))], errors: [403, 404, 409]),
        Op("delete", "/api/v1/users/{id}", tag: "users", "Deactivate a user; its tokens stop working (account admin).",
           query: [accountID], answers: [A(204, "Deactivated.", nil)], errors: [403, 404]),
        Op("delete", "/api/v1/users/{id}/mfa", tag: "users", "Turn off a user's two-factor sign-in (account admin).",
           query: [accountID], answers: [A(204, "Off.", nil)], errors: [403, 404]),
    ]

    static let roles: [OpenAPIOperation] = [
        Op("get", "/api/v1/roles", tag: "roles", "List the account's roles (account admin).", query: [skip, limit, accountID],
           answers: [A(200, "A page of roles.", ref("RolePage"))], errors: [403, 404]),
        Op("post", "/api/v1/roles", tag: "roles", "Create a role with its permissions (account admin).", query: [accountID],
           body: ref("RoleCreate"), answers: [A(201, "Created, with its permissions.", ref("Role"))], errors: [403, 404, 409]),
        Op("get", "/api/v1/roles/{id}", tag: "roles", "One role with its permissions (account admin).", query: [accountID],
           answers: [A(200, "The role.", ref("Role"))], errors: [403, 404]),
        Op("patch", "/api/v1/roles/{id}", tag: "roles", "Rename or describe a role (account admin).", query: [accountID],
           body: ref("RoleUpdate"), answers: [A(200, "The role.", ref("Role"))], errors: [403, 404, 409]),
        Op("delete", "/api/v1/roles/{id}", tag: "roles", "Delete a role (409 while users hold it, unless `force=true`).",
           query: [accountID, Q(name: "force", schema: ["type": "boolean"], description: "`true` to delete a role users hold.")],
           answers: [A(204, "Deleted.", nil)], errors: [403, 404, 409]),
        Op("get", "/api/v1/roles/{id}/permissions", tag: "roles", "The role's permissions (account admin).", query: [accountID],
           answers: [A(200, "All of them, as a page.", ref("PermissionPage"))], errors: [403, 404]),
    ]

    static let permissions: [OpenAPIOperation] = [
        Op("post", "/api/v1/permissions", tag: "permissions", "Create a permission (account admin).", query: [accountID],
           body: ref("PermissionDocument"), answers: [A(201, "Created.", ref("Permission"))], errors: [403, 404, 409]),
        Op("get", "/api/v1/permissions", tag: "permissions", "List permissions (account admin).",
           query: [skip, limit, accountID,
                   Q(name: "role_id", schema: ["type": "string"], description: "Only this role's."),
                   Q(name: "collection", schema: ["type": "string"], description: "Only those naming this collection (or `*`).")],
           answers: [A(200, "A page of permissions.", ref("PermissionPage"))], errors: [403, 404]),
        Op("post", "/api/v1/permissions/check", tag: "permissions", "Explain what the policy would decide, without doing it.",
           query: [accountID], body: ref("PermissionCheck"),
           answers: [A(200, "The decision and why.", ref("PermissionCheckAnswer"))], errors: [403, 404]),
        Op("get", "/api/v1/permissions/{id}", tag: "permissions", "One permission (account admin).", query: [accountID],
           answers: [A(200, "The permission.", ref("Permission"))], errors: [403, 404]),
        Op("put", "/api/v1/permissions/{id}", tag: "permissions", "Replace a permission (account admin).", query: [accountID],
           body: ref("PermissionDocument"), answers: [A(200, "The permission.", ref("Permission"))], errors: [403, 404, 409]),
        Op("patch", "/api/v1/permissions/{id}", tag: "permissions", "Change some of a permission (account admin).",
           query: [accountID], body: ref("PermissionPatch"), answers: [A(200, "The permission.", ref("Permission"))],
           errors: [403, 404, 409]),
        Op("delete", "/api/v1/permissions/{id}", tag: "permissions", "Delete a permission (account admin).", query: [accountID],
           answers: [A(204, "Deleted.", nil)], errors: [403, 404]),
    ]

    /// console.md: checking a rule as one types, without saving.
    static let rules: [OpenAPIOperation] = [
        Op("post", "/api/v1/rules/check", tag: "permissions",
           "Check a rule against a collection's schema with the checker saving a permission uses, saving nothing (account admin).",
           query: [accountID], body: ref("RuleCheck"),
           answers: [A(200, "`valid`, or the first error and its 0-based character position.", ref("RuleCheckAnswer"))], errors: [403, 404, 422]),
    ]

    static let collections: [OpenAPIOperation] = [
        Op("get", "/api/v1/collections/export", tag: "collections", "Every collection's schema, to import elsewhere (superadmin).",
           answers: [A(200, "The schemas.", ref("CollectionExport"))], errors: [403]),
        Op("post", "/api/v1/collections/import", tag: "collections", """
           Creates the collections (`mode=create`, the default), or also adds missing fields to existing ones (`merge`; nothing is \
           dropped, a field of another type is a problem), in one transaction (superadmin); 422 naming every problem, and nothing changed.
           """, body: ref("CollectionImport"),
           answers: [A(200, "What was created and extended.", ref("CollectionImportResult"))], errors: [403, 409, 422]),
        Op("post", "/api/v1/collections", tag: "collections", "Create a collection (superadmin).", body: ref("CollectionCreate"),
           answers: [A(201, "Created; `warnings` lists rules naming it that no longer check.", ref("Collection"))],
           errors: [403, 409]),
        Op("get", "/api/v1/collections", tag: "collections", "List collections (any signed-in user).", query: [skip, limit],
           answers: [A(200, "A page of collections.", ref("CollectionPage"))]),
        Op("get", "/api/v1/collections/{name}", tag: "collections", "One collection (any signed-in user).",
           answers: [A(200, "The collection.", ref("Collection"))], errors: [404]),
        Op("patch", "/api/v1/collections/{name}", tag: "collections",
           "Change the description or the whole field list (superadmin; dropping a field needs `confirm=true`).",
           query: [confirm], body: ref("CollectionUpdate"), answers: [A(200, "The collection.", ref("Collection"))],
           errors: [403, 404, 409]),
        Op("delete", "/api/v1/collections/{name}", tag: "collections",
           "Delete a collection and its records (superadmin; `confirm=true`); 409 while another collection's reference field names it.",
           query: [confirm], answers: [A(204, "Deleted.", nil)], errors: [403, 404, 409]),
    ]

    static let audit: [OpenAPIOperation] = {
        let filters = [
            skip, limit, accountID,
            Q(name: "actor_id", schema: ["type": "string"], description: "Only this user's actions."),
            Q(name: "action", schema: ["type": "string"], description: "An action (`record.create`) or a family (`record.*`)."),
            Q(name: "collection", schema: ["type": "string"], description: "Only this collection's."),
            Q(name: "record_id", schema: ["type": "string"], description: "Only this record's."),
            Q(name: "outcome", schema: ["type": "string", "enum": ["allowed", "denied", "error"]], description: "Only this outcome."),
            Q(name: "since", schema: ["type": "string", "format": "date-time"], description: "From this time on (RFC 3339)."),
            Q(name: "until", schema: ["type": "string", "format": "date-time"], description: "Up to this time (RFC 3339)."),
        ]
        return [
            Op("get", "/api/v1/audit-logs", tag: "audit", "List audit entries (account admin: its account; superadmin: all).",
               query: filters, answers: [A(200, "A page of entries.", ref("AuditPage"))], errors: [403, 404]),
            Op("get", "/api/v1/audit-logs/export", tag: "audit", "Every matching entry in chain order, as JSON lines or CSV.",
               query: filters.filter { $0.name != "skip" && $0.name != "limit" }
                   + [Q(name: "format", schema: ["type": "string", "enum": ["jsonl", "csv"]], description: "`jsonl` (default) or `csv`.")],
               answers: [A(200, "One entry per line.", ["type": "string"], contentType: "application/x-ndjson"),
                         A(200, "One entry per line.", ["type": "string"], contentType: "text/csv")],
               errors: [403, 404]),
            Op("get", "/api/v1/audit-logs/verify", tag: "audit", "Walk the readable hash chains.", query: [accountID],
               answers: [A(200, "Whether every chain holds, and the first entry that breaks one.", ref("AuditVerification"))],
               errors: [403, 404]),
            Op("get", "/api/v1/audit-logs/{id}", tag: "audit", "One audit entry.", query: [accountID],
               answers: [A(200, "The entry.", ref("AuditEntry"))], errors: [403, 404]),
        ]
    }()

    /// Moving records in and out (operations.md): JSON Lines, one record per line, or CSV.
    static let transfer: [OpenAPIOperation] = {
        let format = Q(name: "format", schema: ["type": "string", "enum": ["jsonl", "csv"]], description: """
            `jsonl` (the default) or `csv`: a header row of field names, then a row per record; an empty cell is no value, \
            booleans are `true`/`false`, a `json` field's cell is its JSON text, and a text starting with `= + - @ '`, a tab or a \
            carriage return has a `'` put before it on export (spreadsheet formulas), which an import takes off again.
            """)
        return [
            Op("get", "/api/v1/records/{collection}/export", tag: "records", """
               Every record the caller may read, through their field mask (the decision of the list route), as JSON Lines or CSV ordered \
               by `id`, streamed page by page. A CSV's columns are the fields some record may show the caller.
               """, security: .bearerOrAccount, query: [format, accountID],
               answers: [A(200, "One record per line.", ["type": "string"], contentType: "application/x-ndjson"),
                         A(200, "A header row, then one record per row.", ["type": "string"], contentType: "text/csv")], errors: [400, 403, 404]),
            Op("post", "/api/v1/records/{collection}/import", tag: "records", """
               Creates a record for every line (JSON Lines: `Content-Type: application/x-ndjson` or `format=jsonl`; CSV: `text/csv` or \
               `format=csv`, with a header row, each row numbered by the line it starts on), each validated and \
               authorized as `POST /records/{collection}` by the caller, with its audit entry. System fields are ignored; an `account_id` \
               other than the import's account refuses the line. `atomic=true`: all or nothing. At most 16 MiB and 50,000 lines (413).
               """, security: .bearerOrAccount,
               query: [format, accountID, Q(name: "atomic", schema: ["type": "boolean"], description: "`true`: one transaction; any refused line creates nothing.")],
               body: ["type": "string"], bodyContentType: "application/x-ndjson",
               answers: [A(200, "`{created, failed:[{line, status, message}]}`.", ref("ImportResult"))], errors: [400, 403, 404]),
        ]
    }()

    /// The generated REST API of every collection, at `base` (`/api/v1/records/{collection}` or the alias).
    /// Under the alias a `{collection}` that names a built-in route (`users`, `roles`…) is that route,
    /// which may not take the method: 405 there.
    static func records(base: String, tag: String, alias: Bool = false) -> [OpenAPIOperation] {
        let routed = alias ? [405] : []
        let fields = Q(name: "fields", schema: ["type": "string"], description: "Comma list of fields to return (`id` always).")
        return [
            Op("post", base, tag: tag, "Create a record.", security: .bearerOrAccount, query: [accountID], body: ref("RecordInput"),
               answers: [A(201, "The stored record, as the caller may see it.", ref("Record"))], errors: [403, 404, 409] + routed),
            Op("get", base, tag: tag, "List records the caller may read.", security: .bearerOrAccount,
               query: [skip, limit, accountID, fields,
                       Q(name: "sort", schema: ["type": "string"], description: "Comma list, `-` for descending (default `-created_at`)."),
                       Q(name: "filter", schema: ["type": "string"], description: "A rule-language expression over the record's fields.")],
               answers: [A(200, "A page of records.", ref("RecordPage"))], errors: [403, 404] + routed),
            Op("get", base + "/{id}", tag: tag, "One record.", security: .bearerOrAccount, query: [accountID, fields],
               answers: [A(200, "The record.", ref("Record"))], errors: [403, 404] + routed),
            Op("put", base + "/{id}", tag: tag, "Replace the record's user fields.", security: .bearerOrAccount, query: [accountID],
               body: ref("RecordInput"), answers: [A(200, "The record.", ref("Record"))], errors: [403, 404, 409] + routed),
            Op("patch", base + "/{id}", tag: tag, "Change some of the record's user fields.", security: .bearerOrAccount,
               query: [accountID], body: ref("RecordInput"), answers: [A(200, "The record.", ref("Record"))], errors: [403, 404, 409] + routed),
            Op("delete", base + "/{id}", tag: tag, "Delete the record.", security: .bearerOrAccount, query: [accountID],
               answers: [A(204, "Deleted.", nil)], errors: [403, 404] + routed),
        ]
    }

    /// The whole document.
    static var value: OpenAPIValue {
        var paths: [String: [String: OpenAPIValue]] = [:]
        for operation in operations { paths[operation.path, default: [:]][operation.method] = operation.json }
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "SnackBase",
                "version": "1.0.0",
                "description": "Self-hosted multi-tenant backend-as-a-service. Errors answer `{error, message, details?}`.",
            ],
            "servers": [["url": "/"]],
            "security": [["bearerAuth": []]],
            "paths": .object(paths.mapValues { .object($0) }),
            "components": [
                "schemas": .object(OpenAPISchemas.schemas),
                "responses": .object(OpenAPISchemas.responses),
                "securitySchemes": OpenAPISchemas.securitySchemes,
            ],
        ]
    }

    /// The document's bytes, as served.
    static let data: Data = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a tree of strings, numbers and booleans cannot fail.
        return (try? encoder.encode(value)) ?? Data("{}".utf8)
    }()
}

/// The `components` of the OpenAPI document: one JSON Schema per wire shape (the DTOs of the
/// controllers, snake_case as the encoder writes them), the error answers, and the security schemes.
/// Answers are closed (`additionalProperties: false`) so the fuzzer notices a key that is not described.
enum OpenAPISchemas {
    static func ref(_ name: String) -> OpenAPIValue { ["$ref": .string("#/components/schemas/\(name)")] }

    /// An object schema; `required` defaults to every property.
    static func object(_ properties: [String: OpenAPIValue], required: [String]? = nil, closed: Bool = true) -> OpenAPIValue {
        var schema: [String: OpenAPIValue] = ["type": "object", "properties": .object(properties)]
        let names = required ?? properties.keys.sorted()
        if !names.isEmpty { schema["required"] = .array(names.sorted().map { .string($0) }) }
        if closed { schema["additionalProperties"] = false }
        return .object(schema)
    }

    static func array(_ items: OpenAPIValue) -> OpenAPIValue { ["type": "array", "items": items] }

    /// The list envelope `{items, total, skip, limit}`.
    static func page(of item: OpenAPIValue) -> OpenAPIValue {
        object(["items": array(item), "total": nonNegative, "skip": nonNegative, "limit": nonNegative])
    }

    static let string: OpenAPIValue = ["type": "string"]
    static let boolean: OpenAPIValue = ["type": "boolean"]
    static let integer: OpenAPIValue = ["type": "integer"]
    static let nonNegative: OpenAPIValue = ["type": "integer", "minimum": 0]
    static let timestamp: OpenAPIValue = ["type": "string", "format": "date-time"]
    static let strings: OpenAPIValue = array(string)
    static let nullableString: OpenAPIValue = ["type": ["string", "null"]]
    static let any: OpenAPIValue = [:]
    static let collectionName: OpenAPIValue = ["type": "string", "pattern": "^[a-z][a-z0-9_]{0,62}$"]

    static let requestIDHeader: OpenAPIValue = [
        "X-Request-ID": ["description": "The request's id (a valid incoming one echoed, else a new one).", "schema": ["type": "string"]],
    ]

    static let schemas: [String: OpenAPIValue] = [
        "Error": object(
            ["error": string, "message": string, "details": array(ref("ErrorDetail"))],
            required: ["error", "message"]
        ),
        "ErrorDetail": object(["field": string, "message": string, "position": integer], required: ["message"]),
        "Status": object(["status": ["type": "string", "enum": ["ok", "unavailable"]]]),

        // Auth
        "RegisterRequest": object(["account_name": string, "account_slug": string, "email": string, "password": string],
                                  required: ["account_name", "email", "password"]),
        "RegisterAnswer": object([
            "account": object(["id": string, "slug": string, "name": string, "created_at": timestamp]),
            "user": object(["id": string, "email": string, "roles": strings, "is_active": boolean, "created_at": timestamp, "email_verified": boolean]),
            "token": string, "refresh_token": string, "expires_in": integer,
        ]),
        "LoginRequest": object(["account": string, "email": string, "password": string]),
        "LoginAnswer": object([
            "token": string, "refresh_token": string, "expires_in": integer,
            "account": object(["id": string, "slug": string, "name": string]),
            "user": object(["id": string, "email": string, "roles": strings]),
        ]),
        "RefreshRequest": object(["refresh_token": string]),
        "LogoutRequest": object(["refresh_token": string], required: []),
        "TokenPair": object(["token": string, "refresh_token": string, "expires_in": integer]),
        "Me": object(["user_id": string, "account_id": string, "email": nullableString, "roles": strings, "is_superadmin": boolean, "api_key": boolean]),
        "LoginOrChallenge": ["oneOf": [ref("LoginAnswer"), ref("MFARequired")]],
        "MFARequired": object(["mfa_required": boolean, "mfa_token": string, "expires_in": integer]),
        "MFAVerify": object(["mfa_token": string, "code": string, "recovery_code": string], required: ["mfa_token"]),
        "MFAEnrolment": object(["secret": string, "otpauth_url": string, "recovery_codes": strings]),
        "MFACode": object(["code": string]),

        // API keys
        "APIKey": object([
            "id": string, "account_id": string, "name": string, "roles": strings, "prefix": string, "key": string,
            "created_at": timestamp, "created_by": nullableString, "expires_at": nullableString,
            "last_used_at": nullableString, "revoked_at": nullableString,
        ], required: ["id", "account_id", "name", "roles", "prefix", "created_at", "created_by", "expires_at", "last_used_at", "revoked_at"]),
        "APIKeyPage": page(of: ref("APIKey")),
        "APIKeyCreate": object(["name": string, "roles": strings, "expires_at": timestamp, "account_id": string], required: ["name", "roles"]),

        // Mail flows (identity.md "Email")
        "TokenRequest": object(["token": string]),
        "TokenPasswordRequest": object(["token": string, "password": string]),
        "PasswordChangeRequest": object(["current_password": string, "new_password": string]),
        "PasswordResetRequest": object(["account": string, "email": string]),
        "EmailVerified": object(["user_id": string, "email": string, "email_verified": boolean]),
        "Accepted": object(["message": string]),
        "RealtimeTicket": object(["ticket": string, "expires_in": integer]),
        "Invitation": object(["id": string, "email": string, "roles": strings, "expires_at": timestamp, "invited_by": nullableString,
                              "created_at": timestamp]),
        "InvitationList": object(["items": array(ref("Invitation")), "total": nonNegative]),
        "InvitationCreate": object(["email": string, "roles": strings, "account_id": string], required: ["email"]),

        // Accounts
        "Account": object(["id": string, "slug": string, "name": string, "created_at": timestamp, "updated_at": timestamp]),
        "AccountPage": page(of: ref("Account")),
        "AccountCreate": object(["name": string, "slug": string], required: ["name"]),
        "AccountUpdate": object(["name": string], required: []),

        // Users
        "User": object([
            "id": string, "account_id": string, "email": string, "roles": strings, "is_active": boolean, "email_verified": boolean, "mfa_enabled": boolean,
            "created_at": timestamp, "updated_at": timestamp,
        ]),
        "UserPage": page(of: ref("User")),
        "UserCreate": object(["email": string, "password": string, "roles": strings, "account_id": string],
                             required: ["email", "password"]),
        "UserUpdate": object(["email": string, "password": string, "roles": strings, "is_active": boolean, "account_id": string], required: []),

        // Roles and permissions
        "Role": object([
            "id": string, "account_id": string, "name": string, "description": string, "require_mfa": boolean,
            "permissions": array(ref("Permission")), "created_at": timestamp, "updated_at": timestamp,
        ], required: ["id", "account_id", "name", "description", "require_mfa", "created_at", "updated_at"]),
        "RolePage": page(of: ref("Role")),
        "RoleCreate": object(["name": string, "description": string, "permissions": array(ref("PermissionDocument")), "require_mfa": boolean, "account_id": string],
                             required: ["name"]),
        "RoleUpdate": object(["name": string, "description": string, "require_mfa": boolean, "account_id": string], required: []),
        "FieldRule": object(["read": string, "write": string], required: []),
        "Permission": object([
            "id": string, "role_id": string, "role": string, "collection": string,
            "create": boolean, "read": boolean, "update": boolean, "delete": boolean,
            "fields": strings, "excluded_fields": strings,
            "rules": ["type": "object", "additionalProperties": string],
            "field_rules": ["type": "object", "additionalProperties": ref("FieldRule")],
            "created_at": timestamp, "updated_at": timestamp,
        ], required: ["id", "role_id", "collection", "create", "read", "update", "delete", "excluded_fields", "rules",
                      "field_rules", "created_at", "updated_at"]),
        "PermissionPage": page(of: ref("Permission")),
        "PermissionDocument": object([
            "role_id": string, "role": string, "collection": string,
            "create": boolean, "read": boolean, "update": boolean, "delete": boolean,
            "fields": strings, "excluded_fields": strings,
            "rules": ["type": "object", "additionalProperties": string],
            "field_rules": ["type": "object", "additionalProperties": ref("FieldRule")], "account_id": string,
        ], required: ["collection"]),
        "PermissionPatch": object([
            "create": boolean, "read": boolean, "update": boolean, "delete": boolean,
            "fields": strings, "excluded_fields": strings,
            "rules": ["type": "object", "additionalProperties": string],
            "field_rules": ["type": "object", "additionalProperties": ref("FieldRule")], "account_id": string,
        ], required: []),
        "PermissionCheck": object([
            "user_id": string, "collection": string,
            "operation": ["type": "string", "enum": ["create", "read", "update", "delete"]],
            "record_id": string, "data": ["type": "object"], "account_id": string,
        ], required: ["user_id", "collection", "operation"]),
        "PermissionCheckAnswer": object([
            "allowed": boolean, "status": integer, "reason": string, "role": string, "permission_id": string, "rule": string,
            "visible_fields": strings, "writable_fields": strings,
        ], required: ["allowed", "status", "reason", "visible_fields", "writable_fields"]),
        "RuleCheck": object([
            "collection": string, "rule": string,
            "operation": ["type": "string", "enum": ["create", "read", "update", "delete"]], "account_id": string,
        ], required: ["collection", "rule"]),
        "RuleCheckAnswer": object([
            "valid": boolean,
            "error": object(["message": string, "position": nonNegative]),
        ], required: ["valid"]),

        // Collections
        "FieldType": ["type": "string", "enum": ["text", "number", "boolean", "datetime", "email", "url", "json", "reference"]],
        "FieldOptions": object([
            "collection": string, "max_length": integer, "min": ["type": "number"], "max": ["type": "number"], "values": strings,
        ], required: []),
        "Field": object([
            "name": string, "type": ref("FieldType"), "required": boolean, "default": any, "unique": boolean,
            "options": ref("FieldOptions"),
        ], required: ["name", "type", "required", "unique"]),
        "FieldInput": object([
            "name": string, "type": ref("FieldType"), "required": boolean, "default": any, "unique": boolean,
            "options": ref("FieldOptions"),
        ], required: ["name", "type"]),
        "Collection": object([
            "id": string, "name": string, "description": string,
            "schema": object(["fields": array(ref("Field"))]),
            "created_at": timestamp, "updated_at": timestamp, "warnings": strings,
        ], required: ["id", "name", "description", "schema", "created_at", "updated_at"]),
        "CollectionPage": page(of: ref("Collection")),
        "CollectionCreate": object([
            "name": collectionName, "description": string, "schema": object(["fields": array(ref("FieldInput"))]),
        ], required: ["name", "schema"]),
        "CollectionExport": object([
            "collections": array(ref("CollectionCreate")),
        ], required: ["collections"]),
        "CollectionImport": object([
            "collections": array(ref("CollectionCreate")), "mode": ["type": "string", "enum": ["create", "merge"]],
        ], required: ["collections"]),
        "CollectionImportResult": object(["created": strings, "extended": strings], required: ["created", "extended"]),
        "CollectionUpdate": object([
            "description": string, "schema": object(["fields": array(ref("FieldInput"))]),
        ], required: []),

        // Audit log
        "AuditEntry": object([
            "id": string, "sequence": integer, "account_id": string, "actor_id": nullableString, "actor_email": nullableString,
            "action": string, "collection": nullableString, "record_id": nullableString,
            "outcome": ["type": "string", "enum": ["allowed", "denied", "error"]], "status": ["type": ["integer", "null"]],
            "reason": nullableString, "changes": ["type": "object"], "request_id": nullableString, "ip": nullableString,
            "user_agent": nullableString, "created_at": timestamp, "previous_hash": string, "hash": string,
        ]),
        "AuditPage": page(of: ref("AuditEntry")),
        "BackupStarted": object(["id": string, "status": string], required: ["id", "status"]),
        "Backup": object([
            "id": string, "file": string, "size": ["type": ["integer", "null"]], "sha256": nullableString, "created_at": timestamp,
            "status": ["type": "string", "enum": ["running", "done", "failed"]],
        ], required: ["id", "file", "size", "sha256", "created_at", "status"]),
        "BackupList": object(["items": ["type": "array", "items": ref("Backup")]], required: ["items"]),
        "AuditVerification": object([
            "valid": boolean, "checked": nonNegative, "first_broken_id": string, "first_broken_account_id": string,
            "first_broken_sequence": integer, "problem": string,
        ], required: ["valid", "checked"]),

        // Records
        "Record": object([
            "id": string, "account_id": string, "created_at": timestamp, "updated_at": timestamp,
            "created_by": ["type": ["string", "null"]], "updated_by": ["type": ["string", "null"]],
        ], required: ["id"], closed: false),
        "RecordPage": page(of: ref("Record")),
        "ImportResult": [
            "type": "object",
            "required": ["created", "failed"],
            "properties": [
                "created": ["type": "integer"],
                "failed": ["type": "array", "items": [
                    "type": "object", "required": ["line", "status", "message"],
                    "properties": ["line": ["type": "integer"], "status": ["type": "integer"], "message": ["type": "string"],
                                   "details": ["type": "array", "items": ref("ErrorDetail")]],
                ]],
            ],
        ],
        "RecordInput": [
            "type": "object",
            "description": "The collection's user fields (system fields are ignored; an `account_id` naming another account is 403).",
        ],
    ]

    /// What each error status means; every one answers the ``Error`` shape.
    static let errorStatuses: [Int: String] = [
        400: "Malformed JSON, a bad query parameter, or a rule or filter that does not check (details give the position).",
        401: "Missing, malformed, expired or revoked token, or bad credentials.",
        403: "Signed in but not allowed.",
        404: "No such resource in the caller's account.",
        405: "Method not allowed.",
        409: "Unique conflict.",
        413: "Body over 1 MiB.",
        422: "Well-formed JSON that fails validation.",
        429: "Rate limited; `Retry-After` says when to retry.",
        503: "The database does not answer, or no new account id is free (docs/api.md).",
    ]

    static var responses: [String: OpenAPIValue] {
        var responses: [String: OpenAPIValue] = [:]
        for (status, description) in errorStatuses {
            var headers = requestIDHeader
            if case .object(var extra) = headers {
                if status == 429 { extra["Retry-After"] = ["description": "Seconds to wait.", "schema": ["type": "string"]] }
                headers = .object(extra)
            }
            responses[String(status)] = [
                "description": .string(description),
                "headers": headers,
                "content": ["application/json": ["schema": ref("Error")]],
            ]
        }
        return responses
    }

    static let securitySchemes: OpenAPIValue = [
        "bearerAuth": [
            "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
            "description": "An access token from `/api/v1/auth/register`, `/login` or `/refresh`, or an API key (`sb_ak_…`).",
        ],
        "apiKeyHeader": [
            "type": "apiKey", "in": "header", "name": "X-API-Key",
            "description": "An API key (`sb_ak_…`) from `POST /api/v1/api-keys`, instead of `Authorization: Bearer`.",
        ],
        "accountHeader": [
            "type": "apiKey", "in": "header", "name": "X-Account",
            "description": "Without a token: act with the `anonymous` role of this account (slug or id).",
        ],
    ]
}

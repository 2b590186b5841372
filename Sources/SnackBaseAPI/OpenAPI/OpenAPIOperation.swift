import Foundation
/// One route of the API as the OpenAPI document describes it: method, path (`{name}` for a
/// parameter), who may call it, what it takes and what it answers. ``OpenAPIDocument/operations``
/// is the table of all of them; `OpenAPITests` checks it against the routes the router registers,
/// both ways, so the document cannot drift from the server.
struct OpenAPIOperation: Sendable {
    /// How a caller proves who it is.
    enum Security: Sendable {
        /// Open to anyone (health, sign-in, this document).
        case none
        /// A bearer access token.
        case bearer
        /// A bearer access token, or an `X-Account` header for the account's `anonymous` role.
        case bearerOrAccount
        /// Open unless `SNACKBASE_METRICS_TOKEN` is set; then that token as a bearer.
        case optionalBearer
    }

    /// A query parameter.
    struct Query: Sendable {
        let name: String
        let schema: OpenAPIValue
        let description: String
    }

    /// An answer: status, what it means, and its JSON body schema (nil for no body).
    struct Answer: Sendable {
        let status: Int
        let description: String
        let schema: OpenAPIValue?
        let contentType: String

        init(_ status: Int, _ description: String, _ schema: OpenAPIValue?, contentType: String = "application/json") {
            self.status = status
            self.description = description
            self.schema = schema
            self.contentType = contentType
        }
    }

    let method: String
    let path: String
    let tag: String
    let summary: String
    let security: Security
    let query: [Query]
    let body: OpenAPIValue?
    /// The media type of `body` (`application/x-ndjson` for imports).
    let bodyContentType: String
    let answers: [Answer]
    /// Error statuses this route can answer besides the ones every route can (`413` for bodies, `429`;
    /// `401` and, outside `/api/v1/auth/`, `403` where it takes a token).
    let errors: [Int]

    init(_ method: String, _ path: String, tag: String, _ summary: String, security: Security = .bearer,
         query: [Query] = [], body: OpenAPIValue? = nil, bodyContentType: String = "application/json", answers: [Answer], errors: [Int] = []) {
        self.bodyContentType = bodyContentType
        self.method = method
        self.path = path
        self.tag = tag
        self.summary = summary
        self.security = security
        self.query = query
        self.body = body
        self.answers = answers
        self.errors = errors
    }

    /// The names of the path's `{parameters}`, in order.
    var pathParameters: [String] {
        path.split(separator: "/").compactMap { part in
            part.hasPrefix("{") && part.hasSuffix("}") ? String(part.dropFirst().dropLast()) : nil
        }
    }

    /// `GET /api/v1/users/{id}`: how the tests and error messages name the route.
    var key: String { "\(method.uppercased()) \(path)" }

    /// The OpenAPI Operation Object.
    var json: OpenAPIValue {
        var object: [String: OpenAPIValue] = [
            "tags": .array([.string(tag)]),
            "summary": .string(summary),
            "operationId": .string(operationID),
        ]
        var parameters: [OpenAPIValue] = pathParameters.map { name in
            .object(["name": .string(name), "in": "path", "required": .bool(true), "schema": Self.pathSchema(name)])
        }
        parameters += query.map { item in
            .object(["name": .string(item.name), "in": "query", "required": .bool(false), "schema": item.schema,
                     "description": .string(item.description)])
        }
        if security == .bearerOrAccount {
            parameters.append(.object([
                "name": "X-Account", "in": "header", "required": .bool(false), "schema": ["type": "string"],
                "description": "Without a bearer token: the slug or id of the account whose `anonymous` role the request acts with.",
            ]))
        }
        if !parameters.isEmpty { object["parameters"] = .array(parameters) }
        if let body {
            object["requestBody"] = .object([
                "required": .bool(true),
                "content": .object([bodyContentType: .object(["schema": body])]),
            ])
        }
        var responses: [String: OpenAPIValue] = [:]
        for (status, group) in Dictionary(grouping: answers, by: \.status) {
            var response: [String: OpenAPIValue] = ["description": .string(group[0].description), "headers": OpenAPISchemas.requestIDHeader]
            var content: [String: OpenAPIValue] = [:]
            for answer in group {
                if let schema = answer.schema { content[answer.contentType] = .object(["schema": schema]) }
            }
            if !content.isEmpty { response["content"] = .object(content) }
            responses[String(status)] = .object(response)
        }
        var statuses = Set(errors).union([429])
        if body != nil { statuses.formUnion([400, 413, 422]) }
        if !query.isEmpty { statuses.insert(400) }
        switch security {
        case .none: break
        case .bearer, .bearerOrAccount, .optionalBearer:
            statuses.insert(401)
            // A user whose role requires two-factor sign-in and who has not turned it on is refused
            // everywhere but where they enrol (TwoFactorGateMiddleware).
            if path.hasPrefix(TwoFactorGateMiddleware.gated) && !path.hasPrefix(TwoFactorGateMiddleware.open) { statuses.insert(403) }
        }
        for status in statuses where responses[String(status)] == nil {
            responses[String(status)] = .object(["$ref": .string("#/components/responses/\(status)")])
        }
        object["responses"] = .object(responses)
        switch security {
        case .none: object["security"] = .array([])
        case .bearer: object["security"] = .array([["bearerAuth": .array([])]])
        case .bearerOrAccount: object["security"] = .array([["bearerAuth": .array([])], ["accountHeader": .array([])]])
        case .optionalBearer: object["security"] = .array([.object([:]), ["bearerAuth": .array([])]])
        }
        return .object(object)
    }

    /// `getApiV1UsersById`-style ids: unique because (method, path) is.
    var operationID: String {
        let words = path.split(separator: "/").map { part -> String in
            let name = part.hasPrefix("{") ? "By" + part.dropFirst().dropLast().capitalized : part.capitalized
            return name.filter { $0.isLetter || $0.isNumber }
        }
        return method.lowercased() + words.joined()
    }

    /// Path parameters are plain strings; a collection name has the contract's shape.
    static func pathSchema(_ name: String) -> OpenAPIValue {
        switch name {
        case "collection", "name": ["type": "string", "pattern": "^[a-z][a-z0-9_]{0,62}$"]
        default: ["type": "string", "minLength": 1]
        }
    }
}

extension OpenAPIOperation.Security: Equatable {}

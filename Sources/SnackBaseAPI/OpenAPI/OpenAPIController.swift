import Hummingbird

/// `GET /openapi.json`: the OpenAPI 3.1 document of the API, open to anyone (it holds no tenant data).
struct OpenAPIController {
    func register(on router: Router<AppRequestContext>) {
        router.get("openapi.json") { _, _ in JSONBody.response(.ok, data: OpenAPIDocument.data) }
    }
}

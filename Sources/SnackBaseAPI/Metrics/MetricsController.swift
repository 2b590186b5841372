import Hummingbird
import SnackBaseCore
import SnackBaseService

/// `GET /metrics`: the Prometheus text exposition. With a metrics token configured
/// (`SNACKBASE_METRICS_TOKEN`), the scraper must send `Authorization: Bearer <token>`; the
/// comparison takes the same time wherever the first difference is. A signed-in superadmin's own
/// token is admitted too, so the console's overview can show request rates wherever it runs.
struct MetricsController {
    let services: AppServices

    func register(on router: Router<AppRequestContext>) {
        router.get("metrics", use: metrics)
    }

    @Sendable func metrics(_ request: Request, context: AppRequestContext) async throws -> Response {
        if let expected = services.metricsToken, context.identity?.isSuperadmin != true {
            let presented = request.headers[.authorization] ?? ""
            guard Self.constantTimeEqual(Array(presented.utf8), Array(("Bearer " + expected).utf8)) else {
                throw SnackBaseError.unauthorized("A valid metrics token is required")
            }
        }
        let text = await services.metrics.render(policies: services.policies)
        var response = Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: text)))
        response.headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return response
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<b.count {
            difference |= (index < a.count ? a[index] : 0) ^ b[index]
        }
        return difference == 0
    }
}

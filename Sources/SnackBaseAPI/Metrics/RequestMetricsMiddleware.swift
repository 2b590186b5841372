import Hummingbird
import SnackBaseService

/// The outermost middleware: counts every request and times it by method, route pattern and the
/// status actually sent (errors have become responses by then, in ``RequestIDMiddleware``).
/// The route is the router's pattern (`context.endpointPath`), so ids and collection names in
/// paths never become label values; an unmatched path counts as `NotFound`.
struct RequestMetricsMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let metrics: AppMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        do {
            let response = try await next(request, context)
            metrics.request(method: request.method.rawValue, route: context.endpointPath ?? "NotFound",
                            status: Int(response.status.code), duration: ContinuousClock.now - started)
            return response
        } catch {
            metrics.request(method: request.method.rawValue, route: context.endpointPath ?? "NotFound",
                            status: ErrorResponder.snackBaseError(for: error).status, duration: ContinuousClock.now - started)
            throw error
        }
    }
}

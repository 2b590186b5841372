import HTTPTypes
import Hummingbird
import SnackBaseCore
import Synchronization

/// Hummingbird's router answers 404 both when no route has a request's path and when routes have
/// the path but not the method. This middleware, the innermost one, tells the second case apart:
/// 405 with an `Allow` header listing the methods the path takes (RFC 9110 §15.5.6), in the contract's
/// error JSON. Any other error, and a path no route has, pass through unchanged.
struct MethodNotAllowedMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let routes: RouteMethods

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            // Only the router's not-found responder throws `HTTPError(.notFound)`; handlers throw `SnackBaseError`.
            let allowed = routes.methods(for: request.uri.path)
            guard !allowed.isEmpty, !allowed.contains(request.method) else { throw error }
            throw SnackBaseError.methodNotAllowed(request.method.rawValue, allow: allowed.map(\.rawValue))
        }
    }
}

/// The methods each registered path takes, recorded once the router has all its routes.
final class RouteMethods: Sendable {
    private enum Segment: Equatable {
        case literal(Substring)
        case parameter
    }

    private struct Route {
        let segments: [Segment]
        var methods: [HTTPRequest.Method]
    }

    private let routes = Mutex<[Route]>([])

    /// Takes the router's routes (``Router/routes``); a route's path reads like `/api/v1/records/{collection}/{id}`.
    func record(_ descriptions: [Router<AppRequestContext>.RouteDescription]) {
        var table: [Route] = []
        for description in descriptions {
            let segments = description.path.description.split(separator: "/").map { segment -> Segment in
                segment.contains("{") || segment.contains("*") || segment.hasPrefix(":") ? .parameter : .literal(segment)
            }
            if let index = table.firstIndex(where: { $0.segments == segments }) {
                if !table[index].methods.contains(description.method) { table[index].methods.append(description.method) }
            } else {
                table.append(Route(segments: segments, methods: [description.method]))
            }
        }
        routes.withLock { $0 = table }
    }

    /// The methods of the route the router would pick for `path` (a literal segment wins over a
    /// parameter, from the left), sorted by name; empty when no route has the path.
    func methods(for path: String) -> [HTTPRequest.Method] {
        let parts = path.split(separator: "/")
        let best = routes.withLock { routes -> Route? in
            var best: (route: Route, literals: [Bool])?
            for route in routes where route.segments.count == parts.count {
                var literals: [Bool] = []
                var matches = true
                for (segment, part) in zip(route.segments, parts) {
                    switch segment {
                    case .literal(let name):
                        matches = name == part
                        literals.append(true)
                    case .parameter:
                        literals.append(false)
                    }
                    if !matches { break }
                }
                guard matches else { continue }
                if let current = best, !Self.isMoreLiteral(literals, than: current.literals) { continue }
                best = (route, literals)
            }
            return best?.route
        }
        return (best?.methods ?? []).sorted { $0.rawValue < $1.rawValue }
    }

    /// True when `a` has a literal segment where `b` has a parameter, at the first place they differ.
    private static func isMoreLiteral(_ a: [Bool], than b: [Bool]) -> Bool {
        for (x, y) in zip(a, b) where x != y { return x }
        return false
    }
}

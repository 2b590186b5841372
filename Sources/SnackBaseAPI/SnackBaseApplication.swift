import Hummingbird
import HummingbirdCore
import Logging
import SnackBaseCore
import SnackBaseService

/// Builds the HTTP application: middleware in the order a request meets them, then one
/// controller per resource.
public enum SnackBaseApplication {
    /// `cors`: the web origins whose pages may call the API (none by default).
    public static func router(services: AppServices, cors: CORSPolicy = .sameOriginOnly) -> Router<AppRequestContext> {
        let router = Router(context: AppRequestContext.self)
        let routes = RouteMethods()
        router.add(middleware: RequestMetricsMiddleware(metrics: services.metrics))
        if cors != .sameOriginOnly {
            router.add(middleware: CORSMiddleware(policy: cors, routes: routes))
        }
        router.add(middleware: RequestIDMiddleware())
        router.add(middleware: QueryGuardMiddleware())
        router.add(middleware: AuthenticationMiddleware(services: services))
        router.add(middleware: AuditMiddleware(services: services))
        router.add(middleware: TwoFactorGateMiddleware())
        router.add(middleware: MethodNotAllowedMiddleware(routes: routes))
        MetricsController(services: services).register(on: router)
        HealthController(services: services).register(on: router)
        OpenAPIController().register(on: router)
        ConsoleController().register(on: router)
        let api = router.group("api/v1")
        AuthController(services: services).register(on: api.group("auth"))
        EmailFlowController(services: services).register(on: api.group("auth"))
        InvitationController(services: services).register(on: api.group("invitations"))
        AccountController(services: services).register(on: api.group("accounts"))
        UserController(services: services).register(on: api.group("users"))
        RoleController(services: services).register(on: api.group("roles"))
        PermissionController(services: services).register(on: api.group("permissions"))
        CollectionController(services: services).register(on: api.group("collections"))
        AuditController(services: services).register(on: api.group("audit-logs"))
        RealtimeController(services: services).register(on: api.group("realtime"))
        APIKeyController(services: services).register(on: api.group("api-keys"))
        BackupController(services: services).register(on: api.group("backups"))
        RuleController(services: services).register(on: api.group("rules"))
        RecordController(services: services).register(records: api.group("records"), alias: api)
        routes.record(router.routes)
        return router
    }

    /// HTTP/1 with the error JSON also for requests the HTTP parser refuses. `onConnectionLoop`: run
    /// each connection's handlers on its event loop (``ConnectionLoopChannel``) rather than on Swift's
    /// global executor.
    public static func server(onConnectionLoop: Bool = false) -> HTTPServerBuilder {
        let configuration = HTTP1Channel.Configuration(additionalChannelHandlers: [MalformedRequestHandler()])
        guard onConnectionLoop else { return .http1(configuration: configuration) }
        return HTTPServerBuilder { responder in
            ConnectionLoopChannel(http1: HTTP1Channel(responder: responder, configuration: configuration))
        }
    }

    public static func make(services: AppServices, cors: CORSPolicy, host: String, port: Int, onConnectionLoop: Bool = false) -> some ApplicationProtocol {
        Application(
            router: router(services: services, cors: cors),
            server: server(onConnectionLoop: onConnectionLoop),
            configuration: .init(address: .hostname(host, port: port), serverName: "SnackBase"),
            logger: services.logger
        )
    }
}

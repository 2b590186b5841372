import ServiceLifecycle
import SnackBaseService

/// The process's LISTEN task (security-model.md §5) as a service of the server's group: it applies
/// the cache invalidations of the other processes on the same PostgreSQL database until the
/// server shuts down.
struct ChangeListenerService: Service {
    let services: AppServices

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await services.listenForChanges()
        }
    }
}

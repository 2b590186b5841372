import ServiceLifecycle
import SnackBaseService
import SnackBaseStore

/// The process's LISTEN task (security-model.md §5) as a service of the server's group: it applies
/// the cache invalidations of the other processes on the same PostgreSQL database until the
/// server shuts down.
///
/// With one event loop (one CPU allowed) it runs on that loop, as the request handlers do
/// (``EventLoopExecutor``): its connection's notifications arrive there, and on a thread of its own
/// every notification was a wake-up and a switch between two threads on the one CPU (on PostgreSQL's
/// S3, a quarter of the process's samples were on that thread).
struct ChangeListenerService: Service {
    let services: AppServices
    let executor: EventLoopExecutor?

    func run() async throws {
        await cancelWhenGracefulShutdown {
            // nil: no preference (the global executor).
            await withTaskExecutorPreference(executor) { await services.listenForChanges() }
        }
    }
}

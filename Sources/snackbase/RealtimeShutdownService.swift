import ServiceLifecycle
import SnackBaseService

/// Ends every realtime stream with `closed: shutdown` when the server stops, so that the server's
/// graceful shutdown does not wait for streams that never end by themselves.
struct RealtimeShutdownService: Service {
    let services: AppServices

    func run() async throws {
        try? await gracefulShutdown()
        await services.realtime.shutdown()
    }
}

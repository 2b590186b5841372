import ServiceLifecycle
import SnackBaseService

/// Writes the audit log's `access.denied_summary` entries (security-model.md §6) as their minute
/// ends, every few seconds, and the open ones when the server stops.
struct DenialSummaryService: Service {
    let services: AppServices
    var interval: Duration = .seconds(5)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                await services.writeDenialSummaries()
            }
        }
        await services.writeDenialSummaries(all: true)
    }
}

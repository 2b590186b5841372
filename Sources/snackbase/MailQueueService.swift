import ServiceLifecycle
import SnackBaseMail

/// Runs the outgoing-mail queue in the server's service group. At shutdown (after the HTTP
/// server, which starts later in the group, has stopped) it waits up to `drainLimit` for the
/// mails still queued, then stops; what is left is logged as undelivered.
struct MailQueueService: Service {
    let queue: MailQueue
    var drainLimit: Duration = .seconds(10)

    func run() async throws {
        await withGracefulShutdownHandler {
            await queue.run()
        } onGracefulShutdown: {
            Task {
                let watchdog = Task {
                    try await Task.sleep(for: drainLimit)
                    await queue.shutdown()
                }
                await queue.waitUntilDrained()
                watchdog.cancel()
                await queue.shutdown()
            }
        }
    }
}

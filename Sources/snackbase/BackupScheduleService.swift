import Foundation
import ServiceLifecycle
import SnackBaseService

/// Takes a backup on `schedule` and keeps the `keep` newest (`SNACKBASE_BACKUP_SCHEDULE`, `SNACKBASE_BACKUP_KEEP`).
struct BackupScheduleService: Service {
    let catalog: BackupCatalog
    let schedule: BackupSchedule
    let keep: Int

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let wait = schedule.next(after: Date()).timeIntervalSinceNow
                do { try await Task.sleep(for: .milliseconds(Int64(max(0, wait) * 1000))) } catch { return }
                await catalog.takeNow()
                await catalog.prune(keep: keep)
            }
        }
        await catalog.waitForRunning()
    }
}

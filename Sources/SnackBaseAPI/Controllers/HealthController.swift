import Hummingbird
import SnackBaseService
import SnackBaseStore

/// `/health`, `/live` (the process answers) and `/ready` (the database answers).
struct HealthController {
    let services: AppServices

    func register(on router: Router<AppRequestContext>) {
        router.get("health") { _, _ in try JSONBody.response(.ok, ["status": "ok"]) }
        router.get("live") { _, _ in try JSONBody.response(.ok, ["status": "ok"]) }
        router.get("ready") { _, _ in
            await services.database.ping()
                ? try JSONBody.response(.ok, ["status": "ok"])
                : try JSONBody.response(.serviceUnavailable, ["status": "unavailable"])
        }
    }
}

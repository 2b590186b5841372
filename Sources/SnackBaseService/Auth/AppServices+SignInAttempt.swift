import SnackBaseAuth
import SnackBaseCore

extension AppServices {
    /// Starts one sign-in attempt of `identity` from `address` with the login limiter: the attempt
    /// to finish (succeeded, failed or abandoned), or a 429 with the wait when either is over its limit.
    func beginSignIn(identity: String, address: String?) async throws -> LoginRateLimiter.Attempt {
        switch await loginLimiter.begin(identity: identity, address: address) {
        case .refused(let wait):
            metrics.rateLimitHit()
            throw SnackBaseError.tooManyRequests(retryAfter: wait)
        case .admitted(let attempt):
            return attempt
        }
    }
}

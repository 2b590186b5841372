import SnackBaseAuth
import Testing

@Suite("Rate limits: the SNACKBASE_RATE_LIMITS setting")
struct RateLimitsTests {
    @Test("RATE-CFG-001 SNACKBASE_RATE_LIMITS: named limits change, others keep their defaults, bad ones are refused")
    func rateLimitSetting() throws {
        let limits = try RateLimits(parsing: "register=100/h, login_address=60/m,verify_email=5/s")
        #expect(limits.register == .init(100, per: 3600))
        #expect(limits.loginAddress == .init(60, per: 60))
        #expect(limits.verifyEmail == .init(5, per: 1))
        #expect(limits.loginIdentity == RateLimits().loginIdentity)
        #expect(try RateLimits(parsing: "") == RateLimits())
        for bad in ["registr=1/h", "register=0/h", "register=10/w", "register=10", "register=ten/h", "=1/h"] {
            #expect(throws: RateLimitsError.self, "\(bad)") { try RateLimits(parsing: bad) }
        }
    }
}

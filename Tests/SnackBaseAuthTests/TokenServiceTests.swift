import Foundation
import SnackBaseAuth
import SnackBaseCore
import Testing

/// A token verified once is not verified again; what is remembered must not change an answer.
@Suite struct TokenServiceTests {
    // MARK: verified-token memory

    @Test func aRememberedTokenIsStillCheckedForExpiryAndKind() async throws {
        let tokens = await TokenService(secret: Array(repeating: 7, count: 32), accessTTL: 60)
        let now = Date()
        let pair = try await tokens.issuePair(userID: "usr_1", accountID: try #require(AccountID("AB1234")), family: "fam_1", now: now)
        #expect(try await tokens.verify(pair.access, expecting: .access, now: now).subject == "usr_1")
        #expect(try await tokens.verify(pair.access, expecting: .access, now: now).subject == "usr_1")
        await #expect(throws: SnackBaseError.unauthorized("Token expired")) {
            try await tokens.verify(pair.access, expecting: .access, now: now.addingTimeInterval(60 + Double(TokenService.leeway) + 1))
        }
        await #expect(throws: SnackBaseError.unauthorized("Invalid token")) {
            try await tokens.verify(pair.access, expecting: .refresh, now: now)
        }
        // A token that differs in one character of its signature is verified in full, and refused.
        // (Not the last character: its low bits are padding in base64.)
        var characters = Array(pair.access)
        characters[characters.count - 5] = characters[characters.count - 5] == "A" ? "B" : "A"
        let tampered = String(characters)
        await #expect(throws: SnackBaseError.unauthorized("Invalid token")) {
            try await tokens.verify(tampered, expecting: .access, now: now)
        }
        // Another key never accepts it, whatever this service remembers.
        let other = await TokenService(secret: Array(repeating: 8, count: 32), accessTTL: 60)
        await #expect(throws: SnackBaseError.unauthorized("Invalid token")) {
            try await other.verify(pair.access, expecting: .access, now: now)
        }
    }
}

import Crypto
import Foundation
import SnackBaseCore

/// The `mfa_token` a login answers for a user with two-factor sign-in on: `sb_mfa_<account id>_`
/// then 32 random bytes in hex. The account id (no secret) lets the second step find the challenge
/// under that account's row-level security; the server keeps only the SHA-256 digest of the whole
/// token, so a copy of the database cannot finish anyone's sign-in.
public enum MFAChallengeToken {
    static let prefix = "sb_mfa_"
    static let randomHexLength = 64

    /// A new token and its digest.
    public static func generate(account: AccountID) -> (token: String, digest: String) {
        let token = prefix + account.rawValue + "_" + SecureID.randomHex(bytes: 32)
        return (token, digest(of: token))
    }

    /// The account and digest of a well-formed token; nil for anything else.
    public static func parse(_ token: String) -> (account: AccountID, digest: String)? {
        guard token.hasPrefix(prefix) else { return nil }
        let parts = token.dropFirst(prefix.count).split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 2, let account = AccountID(String(parts[0])), parts[1].utf8.count == randomHexLength,
              parts[1].utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) })
        else { return nil }
        return (account, digest(of: token))
    }

    static func digest(of token: String) -> String {
        SHA256.hash(data: Array(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

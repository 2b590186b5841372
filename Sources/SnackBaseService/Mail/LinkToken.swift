import Crypto
import Foundation
import SnackBaseCore

/// The token of a mailed link: `<account id>.<32 random bytes, base64url>`. The account part lets
/// the token be looked up inside its own account (row-level security stays on, no bypass); the
/// random part is what makes it unguessable. Only ``digest(_:)`` is stored.
package enum LinkToken {
    /// A new token for a link of `account`, with its digest.
    package static func make(in account: AccountID) -> (token: String, digest: String) {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let random = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let token = account.rawValue + "." + random
        return (token, digest(token))
    }

    /// The SHA-256 digest of the whole token, in hex: what the database holds.
    package static func digest(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// The account a token names, when it has the shape of one (43 random characters after the dot).
    package static func account(of token: String) -> AccountID? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[1].utf8.count == 43,
              parts[1].utf8.allSatisfy({ $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) })
        else { return nil }
        return AccountID(String(parts[0]))
    }
}

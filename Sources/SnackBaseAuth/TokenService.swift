import Foundation
import JWTKit
import SnackBaseCore
import Synchronization
import Crypto

/// Issues and verifies SnackBase's JWTs: HS256 only, signed with the configured secret.
///
/// Verification refuses, each as a 401: a token that is not three base64url parts, a header whose
/// `alg` is anything but `HS256`, a bad signature, a wrong `type`, a wrong issuer, and an `exp` more
/// than 30 s in the past. Revocation and the user's state are checked by the caller, which has the database.
public struct TokenService: Sendable {
    public static let issuer = "snackbase"
    public static let leeway: Int = 30

    private let keys: JWTKeyCollection
    private let verified = VerifiedTokens()
    public let accessTTL: Int
    public let refreshTTL: Int

    public init(secret: [UInt8], accessTTL: Int = 3600, refreshTTL: Int = 7 * 24 * 3600) async {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(key: .init(data: secret)), digestAlgorithm: .sha256)
        self.keys = keys
        self.accessTTL = accessTTL
        self.refreshTTL = refreshTTL
    }

    /// A signed token pair of one sign-in (`family`).
    public struct Pair: Sendable {
        public let access: String
        public let refresh: String
        public let refreshClaims: Claims
        public let expiresIn: Int
    }

    public func issuePair(userID: String, accountID: AccountID, family: String, now: Date = Date()) async throws -> Pair {
        let iat = Int(now.timeIntervalSince1970)
        let access = Claims(subject: userID, accountID: accountID.rawValue, type: .access, id: SecureID.make("jti"),
                            issuedAt: iat, expiresAt: iat + accessTTL, issuer: Self.issuer, family: family)
        let refresh = Claims(subject: userID, accountID: accountID.rawValue, type: .refresh, id: SecureID.make("jti"),
                             issuedAt: iat, expiresAt: iat + refreshTTL, issuer: Self.issuer, family: family)
        return Pair(
            access: try await keys.sign(access),
            refresh: try await keys.sign(refresh),
            refreshClaims: refresh,
            expiresIn: accessTTL
        )
    }

    /// Signs arbitrary claims; for tests that need expired or otherwise unusual tokens.
    public func sign(_ claims: Claims) async throws -> String {
        try await keys.sign(claims)
    }

    /// The verified claims of `token`, or a 401.
    public func verify(_ token: String, expecting kind: Claims.Kind, now: Date = Date()) async throws(SnackBaseError) -> Claims {
        let claims: Claims
        if let known = verified.claims(of: token) {
            claims = known
        } else {
            guard Self.headerAlgorithm(of: token) == "HS256" else { throw .unauthorized("Invalid token") }
            do {
                claims = try await keys.verify(token, as: Claims.self)
            } catch {
                throw .unauthorized("Invalid token")
            }
            guard claims.issuer == Self.issuer, AccountID(claims.accountID) != nil, !claims.subject.isEmpty else {
                throw .unauthorized("Invalid token")
            }
            verified.remember(token, claims)
        }
        guard claims.type == kind else { throw .unauthorized("Invalid token") }
        guard claims.expiresAt + Self.leeway >= Int(now.timeIntervalSince1970) else {
            throw .unauthorized("Token expired")
        }
        return claims
    }

    /// The `alg` of a compact JWS header, read before any key is chosen, so that `none`,
    /// `HS512` or an asymmetric algorithm can never be accepted.
    static func headerAlgorithm(of token: String) -> String? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let header = base64URLDecode(String(parts[0])),
              let object = try? JSONSerialization.jsonObject(with: header) as? [String: Any] else { return nil }
        if let type = object["typ"] as? String, type.uppercased() != "JWT" { return nil }
        return object["alg"] as? String
    }

    static func base64URLDecode(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64.append("=") }
        return Data(base64Encoded: base64)
    }
}

/// Tokens whose signature and header this process has already checked, with their claims: a
/// client sends the same access token with every request, and checking it again (two JSON
/// decodes and an HMAC) cost more than the rest of a by-id read. Only a byte-identical token
/// string hits, so nothing is trusted that was not verified with this key; the expiry and the
/// kind are checked on every use, and revocation is the caller's database check as before.
final class VerifiedTokens: Sendable {
    /// Past this many tokens the memory is emptied and refilled (at most a few MiB).
    static let limit = 4096
    private let known = Mutex<[String: Claims]>([:])

    func claims(of token: String) -> Claims? {
        known.withLock { $0[token] }
    }

    func remember(_ token: String, _ claims: Claims) {
        known.withLock { known in
            if known.count >= Self.limit { known.removeAll(keepingCapacity: true) }
            known[token] = claims
        }
    }
}

import Crypto
import Foundation

/// Time-based one-time passwords (RFC 6238) on top of HOTP (RFC 4226).
///
/// This is the second factor a user enrols with an authenticator app: the server
/// keeps the shared secret (sealed at rest, see `SecretSealer`), and a login needs
/// the code the app shows for the current 30-second step. `verify` accepts one step
/// either side by default to absorb clock drift and typing time, and refuses any
/// step not greater than the last one used, so an observed code cannot be replayed.
///
/// The secret never appears in `description`, `debugDescription` or a mirror.
public struct TOTP: Sendable {
    /// The HMAC hash. Authenticator apps assume SHA-1 unless told otherwise;
    /// SHA-256 and SHA-512 are here for RFC 6238's test vectors and for apps that
    /// support them.
    public enum Algorithm: String, Sendable, CaseIterable {
        case sha1 = "SHA1"
        case sha256 = "SHA256"
        case sha512 = "SHA512"
    }

    /// The shared secret (20 bytes for secrets made by `generateSecret()`).
    public let secret: [UInt8]
    /// How many decimal digits a code has, 6 through 8.
    public let digits: Int
    /// The length of one time step in seconds.
    public let period: Int
    /// The HMAC hash.
    public let algorithm: Algorithm

    /// - Precondition: `digits` is 6...8 (RFC 4226 §5.3 asks for at least 6; past 9
    ///   the 31-bit truncation no longer fills the digits) and `period` is positive.
    public init(secret: [UInt8], digits: Int = 6, period: Int = 30, algorithm: Algorithm = .sha1) {
        precondition((6...8).contains(digits), "TOTP digits must be 6...8")
        precondition(period > 0, "TOTP period must be positive")
        self.secret = secret
        self.digits = digits
        self.period = period
        self.algorithm = algorithm
    }

    /// 20 random bytes (160 bits, the HMAC-SHA-1 output size recommended by
    /// RFC 4226 §4) from the system's cryptographic generator.
    public static func generateSecret() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<20).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// The time step that `date` falls in: ⌊seconds since 1970 / period⌋.
    public func step(at date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 / Double(period)).rounded(.down))
    }

    /// The code for the step that `date` falls in.
    public func code(at date: Date) -> String {
        code(forStep: step(at: date))
    }

    /// The HOTP value (RFC 4226 §5) for `step` as the counter, zero-padded to
    /// `digits` digits. With `step` as a plain counter this is HOTP itself.
    public func code(forStep step: Int64) -> String {
        let value = truncatedValue(counter: UInt64(bitPattern: step))
        let modulus = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000][digits]
        let number = String(value % UInt32(modulus))
        return String(repeating: "0", count: digits - number.count) + number
    }

    /// Checks a code a user typed.
    ///
    /// Spaces are stripped (apps show codes as `123 456`); what remains must be
    /// exactly `digits` ASCII digits. The code is compared, in constant time, with
    /// the codes of every step from `window` before the current one to `window`
    /// after it, all of them, with no early exit.
    ///
    /// - Parameters:
    ///   - window: how many steps either side of the current one are accepted.
    ///   - lastUsedStep: the step returned by the last successful verification for
    ///     this secret, or `nil` if there was none. A matching step not greater than
    ///     it is refused, so every code works at most once.
    /// - Returns: the matched step, to be stored as the next `lastUsedStep`, or
    ///   `nil` when the code is malformed, matches no step in the window, or only
    ///   matches steps already used. When the code matches more than one step (a
    ///   coincidence of about one in 10^digits), the latest is returned, so the same
    ///   code can never pass twice.
    public func verify(_ code: String, at date: Date, window: Int = 1, lastUsedStep: Int64?) -> Int64? {
        let typed = Array(code.utf8.filter { $0 != UInt8(ascii: " ") })
        guard typed.count == digits,
              typed.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return nil }

        let current = step(at: date)
        let window = Int64(max(0, window))
        var matched: Int64? = nil
        for candidate in (current - window)...(current + window) {
            guard candidate >= 0 else { continue }
            let expected = Array(self.code(forStep: candidate).utf8)
            if Self.constantTimeEqual(expected, typed), candidate > (lastUsedStep ?? Int64.min) {
                matched = candidate  // ascending order: the latest match wins
            }
        }
        return matched
    }

    /// An `otpauth://` URL (Google's Key Uri Format) for the enrolment QR code:
    /// `otpauth://totp/<issuer>:<account>?secret=<BASE32>&issuer=<issuer>`.
    ///
    /// Issuer and account are percent-encoded, leaving only RFC 3986 unreserved
    /// characters as they are (so `@` becomes `%40` and `+` becomes `%2B`; apps
    /// decode both). `algorithm`, `digits` and `period` are added only when they
    /// differ from SHA1/6/30, the defaults every authenticator app assumes; some
    /// apps ignore them anyway, which is why the defaults are what we use.
    public func otpauthURL(issuer: String = "SnackBase", account: String) -> String {
        let issuerEncoded = Self.percentEncode(issuer)
        var url = "otpauth://totp/\(issuerEncoded):\(Self.percentEncode(account))"
        url += "?secret=\(Base32.encode(secret))&issuer=\(issuerEncoded)"
        if algorithm != .sha1 { url += "&algorithm=\(algorithm.rawValue)" }
        if digits != 6 { url += "&digits=\(digits)" }
        if period != 30 { url += "&period=\(period)" }
        return url
    }

    // MARK: - Internals

    /// RFC 4226 §5.3: HMAC of the big-endian counter, then dynamic truncation to a
    /// 31-bit number.
    private func truncatedValue(counter: UInt64) -> UInt32 {
        let message = withUnsafeBytes(of: counter.bigEndian) { Array($0) }
        let key = SymmetricKey(data: secret)
        let mac: [UInt8]
        switch algorithm {
        case .sha1: mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: key))
        case .sha256: mac = Array(HMAC<SHA256>.authenticationCode(for: message, using: key))
        case .sha512: mac = Array(HMAC<SHA512>.authenticationCode(for: message, using: key))
        }
        let offset = Int(mac[mac.count - 1] & 0x0F)
        return (UInt32(mac[offset] & 0x7F) << 24)
            | (UInt32(mac[offset + 1]) << 16)
            | (UInt32(mac[offset + 2]) << 8)
            | UInt32(mac[offset + 3])
    }

    /// Equal-length byte comparison that looks at every byte whatever it finds.
    private static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    private static func percentEncode(_ text: String) -> String {
        var unreserved = CharacterSet(charactersIn: "-._~")
        unreserved.formUnion(CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"))
        return text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }
}

extension TOTP: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Never shows the secret.
    public var description: String {
        "TOTP(secret: <redacted>, digits: \(digits), period: \(period), algorithm: \(algorithm.rawValue))"
    }

    public var debugDescription: String { description }

    /// An empty mirror, so `dump` and reflection-based printing see no secret.
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

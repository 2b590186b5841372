import Foundation

/// The id of an account (tenant): two capital letters and four digits, `AB1001`.
/// The system account, whose users are superadmins, is ``AccountID/system``.
public struct AccountID: Hashable, Sendable, CustomStringConvertible, Codable {
    public let rawValue: String

    public static let system = AccountID(unchecked: "SY0000")

    /// Accepts only the `XX####` shape.
    public init?(_ text: String) {
        guard AccountID.isWellFormed(text) else { return nil }
        self.rawValue = text
    }

    private init(unchecked: String) { self.rawValue = unchecked }

    public var description: String { rawValue }
    public var isSystem: Bool { self == .system }

    public static func isWellFormed(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 6 else { return false }
        return bytes[0...1].allSatisfy { (65...90).contains($0) } && bytes[2...5].allSatisfy { (48...57).contains($0) }
    }

    /// A fresh random account id; callers retry on the (rare) collision.
    public static func random() -> AccountID {
        var rng = SystemRandomNumberGenerator()
        let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        var text = String(letters[Int.random(in: 0..<26, using: &rng)])
        text.append(letters[Int.random(in: 0..<26, using: &rng)])
        text += String(Int.random(in: 0...9999, using: &rng)).leftPadded(to: 4)
        return AccountID(unchecked: text)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = AccountID(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an account id"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// Opaque, unguessable ids with a type prefix (`usr_`, `role_`, `perm_`, `col_`, `rec_`, `aud_`):
/// 128 random bits from the system's CSPRNG, as 32 lower-case hex digits.
public enum SecureID {
    public static func make(_ prefix: String) -> String {
        prefix + "_" + randomHex(bytes: 16)
    }

    /// An id that sorts by when it was made: `prefix_`, the milliseconds since 1970 as 12 hex digits,
    /// then 96 random bits (24 hex digits), so it is as unguessable as the contract asks. For audit
    /// entries, whose index then grows at its end instead of taking a random page per entry (a fifth
    /// of the WAL a record create writes). Only for ids whose time is no secret: an audit entry shows
    /// its `created_at` to whoever can read it; a record id stays random, because field rules can
    /// hide a record's `created_at`.
    public static func timeOrdered(_ prefix: String, at date: Date = Date()) -> String {
        let milliseconds = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        return prefix + "_" + String(milliseconds & 0xffff_ffff_ffff, radix: 16).leftPadded(to: 12) + randomHex(bytes: 12)
    }

    public static func randomHex(bytes count: Int) -> String {
        var rng = SystemRandomNumberGenerator()
        let digits: StaticString = "0123456789abcdef"
        return String(unsafeUninitializedCapacity: count * 2) { text in
            digits.withUTF8Buffer { digits in
                var word: UInt64 = 0
                for index in 0..<count {
                    // One call to the generator per 8 bytes (each call is a system call).
                    if index % 8 == 0 { word = rng.next() }
                    let byte = Int(word & 0xff)
                    word >>= 8
                    text[2 * index] = digits[byte >> 4]
                    text[2 * index + 1] = digits[byte & 0x0f]
                }
            }
            return count * 2
        }
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

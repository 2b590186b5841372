import Crypto
import Foundation

/// The material of an API key: `sb_ak_` followed by 32 random bytes in base62.
///
/// The whole key is shown to its owner once; the server keeps only its `prefix`
/// (the first 12 characters, `sb_ak_` and 6 more, to tell keys apart in lists and
/// logs) and the lowercase hex SHA-256 `digest` of the whole key, which is what a
/// request's key is looked up by. A plain hash is enough here, unlike passwords,
/// because the key has 256 random bits. `looksLikeKey` is the format check done
/// before any lookup, so malformed input never reaches the database.
///
/// 32 bytes are always written as 43 base62 digits (62^43 > 2^256), left-padded
/// with `0`, so every key is 49 characters long.
public struct APIKeySecret: Sendable {
    /// What every API key starts with.
    public static let keyPrefix = "sb_ak_"
    /// Random bytes in a new key.
    public static let randomByteCount = 32
    /// Base62 digits that 32 bytes are written as.
    public static let encodedLength = 43
    /// Characters of the key kept as its `prefix`.
    public static let prefixLength = 12
    /// The longest body `looksLikeKey` accepts, room for longer future keys.
    static let maximumEncodedLength = 128

    static let alphabet: [UInt8] = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// A new key, its 12-character prefix and its SHA-256 hex digest.
    public static func generate() -> (key: String, prefix: String, digest: String) {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<randomByteCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let key = keyPrefix + base62(bytes, length: encodedLength)
        return (key, String(key.prefix(prefixLength)), digest(of: key))
    }

    /// The lowercase hex SHA-256 of the whole key's UTF-8 bytes.
    /// Runs on every request a key authenticates, so it is written out by hand (`String(format:)`
    /// per byte cost more than the hash).
    public static func digest(of key: String) -> String {
        let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(2 * SHA256.byteCount)
        for byte in SHA256.hash(data: Array(key.utf8)) {
            text.append(hexDigits[Int(byte >> 4)])
            text.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Whether `candidate` has the form of a key: `sb_ak_` then 43 to 128 base62
    /// characters (ASCII letters and digits) and nothing else.
    public static func looksLikeKey(_ candidate: String) -> Bool {
        let utf8 = Array(candidate.utf8)
        let head = Array(keyPrefix.utf8)
        guard utf8.count >= head.count + encodedLength,
              utf8.count <= head.count + maximumEncodedLength,
              utf8.starts(with: head)
        else { return false }
        return utf8.dropFirst(head.count).allSatisfy { byte in
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
        }
    }

    /// Big-endian bytes as a base62 number of exactly `length` digits (left-padded
    /// with `0`), by repeated division of the byte string by 62.
    static func base62(_ bytes: [UInt8], length: Int) -> String {
        var number = bytes
        var digits: [UInt8] = []
        while number.contains(where: { $0 != 0 }) {
            var remainder = 0
            for index in number.indices {
                let accumulator = remainder * 256 + Int(number[index])
                number[index] = UInt8(accumulator / 62)
                remainder = accumulator % 62
            }
            digits.append(alphabet[remainder])
        }
        precondition(digits.count <= length, "number does not fit in \(length) base62 digits")
        digits.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: length - digits.count))
        return String(decoding: digits.reversed(), as: UTF8.self)
    }
}

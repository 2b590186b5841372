import Crypto
import Foundation

/// Single-use recovery codes: the way back in when a user has lost the device with
/// their authenticator app.
///
/// A code is 10 symbols shown as `xxxxx-xxxxx`, from a 32-symbol lowercase alphabet
/// (Crockford's base32: digits and letters without `i`, `l`, `o`, `u`), so each
/// symbol carries 5 bits and a code 50 random bits. What a user types is normalised
/// first: case, spaces and dashes are ignored, and the look-alikes `o` → `0`,
/// `i`/`l` → `1` are read as the digits they resemble.
///
/// The server stores only `digest(of:)` of each code, and deletes a digest when its
/// code is used.
public enum RecoveryCodes {
    /// Crockford's base32 alphabet, lowercase.
    static let alphabet: [UInt8] = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)

    /// Symbols in a code, not counting the dash.
    public static let symbolCount = 10

    /// `count` distinct fresh codes, formatted `xxxxx-xxxxx`.
    public static func generate(count: Int = 10) -> [String] {
        var generator = SystemRandomNumberGenerator()
        var codes: [String] = []
        var seen: Set<String> = []
        while codes.count < count {
            // 256 is a multiple of 32, so the low 5 bits of a random byte are uniform.
            let symbols = (0..<symbolCount).map { _ in
                alphabet[Int(UInt8.random(in: .min ... .max, using: &generator) & 0x1F)]
            }
            let code = format(String(decoding: symbols, as: UTF8.self))
            if seen.insert(code).inserted { codes.append(code) }
        }
        return codes
    }

    /// The canonical form of what a user typed: 10 lowercase symbols, no dash.
    ///
    /// - Returns: `nil` when, after dropping spaces and dashes, the input is not
    ///   exactly 10 symbols of the alphabet (look-alikes included).
    public static func normalize(_ input: String) -> String? {
        var symbols: [UInt8] = []
        for byte in input.utf8 {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "-"):
                continue
            case UInt8(ascii: "A")...UInt8(ascii: "Z"):
                symbols.append(canonical(byte + 32))
            default:
                symbols.append(canonical(byte))
            }
        }
        guard symbols.count == symbolCount, symbols.allSatisfy(alphabet.contains) else { return nil }
        return String(decoding: symbols, as: UTF8.self)
    }

    /// The lowercase hex SHA-256 of the normalised code, for storage and lookup;
    /// `nil` when `input` does not normalise to a code.
    public static func digest(of input: String) -> String? {
        guard let code = normalize(input) else { return nil }
        return SHA256.hash(data: Array(code.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// `xxxxxxxxxx` → `xxxxx-xxxxx`.
    static func format(_ code: String) -> String {
        let split = code.index(code.startIndex, offsetBy: symbolCount / 2)
        return "\(code[..<split])-\(code[split...])"
    }

    /// Crockford's decoding of look-alikes: `o` is zero, `i` and `l` are one.
    private static func canonical(_ byte: UInt8) -> UInt8 {
        switch byte {
        case UInt8(ascii: "o"): UInt8(ascii: "0")
        case UInt8(ascii: "i"), UInt8(ascii: "l"): UInt8(ascii: "1")
        default: byte
        }
    }
}

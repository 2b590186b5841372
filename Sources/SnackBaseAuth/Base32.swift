import Foundation

/// RFC 4648 base32 (the standard alphabet `A–Z2–7`), as used for TOTP secrets in
/// `otpauth://` URLs and for secrets a person types into an authenticator app.
///
/// Encoding is strict and canonical: uppercase, no `=` padding (authenticator apps
/// accept unpadded secrets, and padding only confuses people who type them).
/// Decoding is lenient about what people do when copying a secret by hand: case is
/// ignored, and so are spaces and `=` padding wherever they appear. Any other
/// character, or a length no encoder could produce, makes decoding fail.
public enum Base32 {
    /// The RFC 4648 §6 alphabet.
    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    /// Reverse table: ASCII byte to 5-bit value, 0xFF where the byte is not in the
    /// alphabet. Lowercase letters map like uppercase ones.
    static let reverse: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, symbol) in alphabet.enumerated() {
            table[Int(symbol)] = UInt8(value)
            if symbol >= UInt8(ascii: "A"), symbol <= UInt8(ascii: "Z") {
                table[Int(symbol + 32)] = UInt8(value)  // lowercase
            }
        }
        return table
    }()

    /// Encodes `bytes` as uppercase base32 without padding.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var output: [UInt8] = []
        var buffer: UInt32 = 0
        var bitCount = 0
        for byte in bytes {
            buffer = (buffer << 8) | UInt32(byte)
            bitCount += 8
            while bitCount >= 5 {
                bitCount -= 5
                output.append(alphabet[Int((buffer >> UInt32(bitCount)) & 0x1F)])
            }
            buffer &= (1 << UInt32(bitCount)) - 1  // keep only the bits not yet written
        }
        if bitCount > 0 {
            output.append(alphabet[Int((buffer << UInt32(5 - bitCount)) & 0x1F)])
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes base32 text, ignoring case, spaces and `=` padding.
    ///
    /// - Returns: the bytes, or `nil` when the text holds any other character or
    ///   its symbol count leaves a dangling partial byte (a remainder of 1, 3 or 6
    ///   symbols modulo 8, which no encoder produces).
    public static func decode(_ text: String) -> [UInt8]? {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count * 5 / 8)
        var buffer: UInt32 = 0
        var bitCount = 0
        var symbols = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "=") { continue }
            let value = reverse[Int(byte)]
            if value == 0xFF { return nil }
            symbols += 1
            buffer = (buffer << 5) | UInt32(value)
            bitCount += 5
            if bitCount >= 8 {
                bitCount -= 8
                output.append(UInt8((buffer >> UInt32(bitCount)) & 0xFF))
                buffer &= (1 << UInt32(bitCount)) - 1
            }
        }
        switch symbols % 8 {
        case 1, 3, 6: return nil
        default: return output
        }
    }
}

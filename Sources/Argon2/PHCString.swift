/// An Argon2id hash in the PHC string format written by libargon2 and argon2-cffi:
/// `$argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash>`, salt and hash in standard base64 without padding.
///
/// Parsing accepts exactly what libargon2's `decode_string` accepts for argon2id: the fields in this order,
/// decimals without sign or leading zeros that fit in 32 bits, canonical unpadded base64, nothing after the
/// hash. A missing `v=` field means version 16 (0x10), as in libargon2. Anything else throws an
/// `Argon2Error` naming the problem; argon2i and argon2d strings throw `.unsupportedVariant`.
public struct PHCString: Sendable, Equatable {
    public var parameters: Argon2Parameters
    /// 19 (0x13) for every hash written since 2016; 16 (0x10) only for old strings without `v=`.
    public var version: UInt32
    public var salt: [UInt8]
    public var hash: [UInt8]

    /// Longer strings are rejected before parsing, so a stored value cannot ask for a huge tag.
    public static let maxEncodedLength = 1024

    public init(parameters: Argon2Parameters, salt: [UInt8], hash: [UInt8], version: UInt32 = Argon2id.version) {
        self.parameters = parameters
        self.version = version
        self.salt = salt
        self.hash = hash
    }

    /// The PHC string, always with its `v=` field.
    public var encoded: String {
        "$argon2id$v=\(version)$m=\(parameters.memoryKiB),t=\(parameters.iterations),p=\(parameters.parallelism)"
            + "$\(Base64.encode(salt))$\(Base64.encode(hash))"
    }

    /// Parses `encoded`, throwing `Argon2Error` (never trapping) on anything libargon2 would reject.
    public init(parsing encoded: String) throws {
        let bytes = Array(encoded.utf8)
        guard bytes.count <= Self.maxEncodedLength else {
            throw Argon2Error.malformedHash.detail("PHC string longer than \(Self.maxEncodedLength) bytes")
        }
        var scanner = Scanner(bytes: bytes)

        guard scanner.skip("$") else { throw Argon2Error.malformedHash.detail("PHC string does not start with '$'") }
        let algorithm = scanner.take(while: { $0 != UInt8(ascii: "$") })
        guard algorithm.elementsEqual("argon2id".utf8) else {
            // Name the algorithm only when it is a plain identifier: the message may end up in a log.
            let isIdentifier = algorithm.count <= 16 && algorithm.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            }
            let name = isIdentifier ? " '\(String(decoding: algorithm, as: UTF8.self))'" : ""
            throw Argon2Error.unsupportedVariant.detail("unsupported algorithm\(name): only argon2id is accepted")
        }

        var version = Argon2id.legacyVersion
        if scanner.skip("$v=") {
            let value = try scanner.decimal(field: "v")
            guard value == Argon2id.version || value == Argon2id.legacyVersion else {
                throw Argon2Error.unsupportedVersion.detail("unsupported Argon2 version \(value): only 19 (and 16) are accepted")
            }
            version = value
        }
        guard scanner.skip("$m=") else { throw Argon2Error.malformedHash.detail("PHC string has no '$m=' field") }
        let memory = try scanner.decimal(field: "m")
        guard scanner.skip(",t=") else { throw Argon2Error.malformedHash.detail("PHC string has no ',t=' field") }
        let iterations = try scanner.decimal(field: "t")
        guard scanner.skip(",p=") else { throw Argon2Error.malformedHash.detail("PHC string has no ',p=' field") }
        let parallelism = try scanner.decimal(field: "p")

        guard scanner.skip("$") else { throw Argon2Error.malformedHash.detail("PHC string has no salt") }
        let salt = try Base64.decode(scanner.take(while: { $0 != UInt8(ascii: "$") }), field: "salt")
        guard scanner.skip("$") else { throw Argon2Error.malformedHash.detail("PHC string has no hash") }
        let hash = try Base64.decode(scanner.take(while: { $0 != UInt8(ascii: "$") }), field: "hash")
        guard scanner.isAtEnd else { throw Argon2Error.malformedHash.detail("PHC string has text after the hash") }

        let parameters = Argon2Parameters(memoryKiB: memory, iterations: iterations, parallelism: parallelism)
        try parameters.validate()
        guard salt.count >= Argon2id.minSaltLength else { throw Argon2Error.saltTooShort }
        guard hash.count >= Argon2id.minTagLength else {
            throw Argon2Error.invalidOutputLength.detail("PHC hash shorter than \(Argon2id.minTagLength) bytes")
        }
        self.init(parameters: parameters, salt: salt, hash: hash, version: version)
    }
}

extension PHCString {
    /// A cursor over the string's UTF-8 bytes.
    private struct Scanner {
        let bytes: [UInt8]
        var position = 0

        var isAtEnd: Bool { position == bytes.count }

        mutating func skip(_ literal: StaticString) -> Bool {
            let count = literal.utf8CodeUnitCount
            guard bytes.count - position >= count else { return false }
            let matches = literal.withUTF8Buffer { expected in
                expected.elementsEqual(bytes[position..<(position + count)])
            }
            if matches { position += count }
            return matches
        }

        mutating func take(while predicate: (UInt8) -> Bool) -> ArraySlice<UInt8> {
            let start = position
            while position < bytes.count, predicate(bytes[position]) { position += 1 }
            return bytes[start..<position]
        }

        /// A decimal as libargon2 reads it: at least one digit, no sign, no leading zero, at most 2^32 - 1.
        mutating func decimal(field: String) throws -> UInt32 {
            let digits = take(while: { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
            guard let first = digits.first else {
                throw Argon2Error.malformedHash.detail("PHC field '\(field)' is not a number")
            }
            guard first != UInt8(ascii: "0") || digits.count == 1 else {
                throw Argon2Error.malformedHash.detail("PHC field '\(field)' has a leading zero")
            }
            var value: UInt64 = 0
            for digit in digits {
                value = value * 10 + UInt64(digit - UInt8(ascii: "0"))
                guard value <= UInt64(UInt32.max) else {
                    throw Argon2Error.malformedHash.detail("PHC field '\(field)' does not fit in 32 bits")
                }
            }
            return UInt32(value)
        }
    }
}

/// Standard base64 (RFC 4648 §4) without padding, as the PHC format uses it.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var output = [UInt8]()
        output.reserveCapacity((bytes.count * 4 + 2) / 3)
        var index = 0
        while index < bytes.count {
            let b0 = UInt32(bytes[index])
            let b1 = index + 1 < bytes.count ? UInt32(bytes[index + 1]) : 0
            let b2 = index + 2 < bytes.count ? UInt32(bytes[index + 2]) : 0
            let group = b0 << 16 | b1 << 8 | b2
            let remaining = bytes.count - index
            let characters = remaining >= 3 ? 4 : remaining + 1
            for position in 0..<characters {
                output.append(alphabet[Int((group >> (18 - 6 * UInt32(position))) & 0x3F)])
            }
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes canonical unpadded base64: rejects padding, other characters, a length of 1 mod 4, and
    /// non-zero unused bits in the last character (as libargon2's `from_base64` does).
    static func decode(_ text: ArraySlice<UInt8>, field: String) throws -> [UInt8] {
        var output = [UInt8]()
        output.reserveCapacity(text.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for character in text {
            guard let value = sextet(character) else {
                throw Argon2Error.malformedHash.detail("PHC \(field) is not unpadded standard base64")
            }
            accumulator = (accumulator << 6 | value) & 0xFFFF
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        guard bits <= 4, accumulator & ((1 << UInt32(bits)) - 1) == 0 else {
            throw Argon2Error.malformedHash.detail("PHC \(field) is not canonical base64")
        }
        return output
    }

    private static func sextet(_ character: UInt8) -> UInt32? {
        switch character {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): UInt32(character - UInt8(ascii: "A"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): UInt32(character - UInt8(ascii: "a")) + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(character - UInt8(ascii: "0")) + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: nil
        }
    }
}

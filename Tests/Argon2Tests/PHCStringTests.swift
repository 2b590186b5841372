import Testing
@testable import Argon2

@Suite("PHC string format")
struct PHCStringTests {
    static let valid = "$argon2id$v=19$m=16,t=1,p=1$8Pf+BQwTGiEoLzY9REtSWQ$ao5b53NlKDIL9CXRQWfpJf2+zwAj2adRbYxV2yVpNp4"

    @Test("parses the fields of an argon2-cffi string")
    func parse() throws {
        let phc = try PHCString(parsing: "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g")
        #expect(phc.parameters == Argon2Parameters(memoryKiB: 65536, iterations: 3, parallelism: 4))
        #expect(phc.version == 19)
        #expect(phc.salt == Array("saltsalt".utf8))
        #expect(phc.hash == Array("hashhash".utf8))
    }

    @Test("encodes what it parses", arguments: generatedPHCStrings.filter { $0.encoded.contains("$v=") })
    func roundTrip(_ vector: PHCVector) throws {
        #expect(try PHCString(parsing: vector.encoded).encoded == vector.encoded)
    }

    @Test("a string without v= is version 16, as in libargon2")
    func legacyVersion() throws {
        let phc = try PHCString(parsing: "$argon2id$m=16,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g")
        #expect(phc.version == 16)
    }

    @Test("base64 of every length round-trips, unpadded", arguments: 0...10)
    func base64(length: Int) throws {
        let data = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 97 &+ 200) }
        let text = Base64.encode(data)
        #expect(!text.contains("="))
        #expect(text.count == (length * 4 + 2) / 3)
        #expect(try Base64.decode(ArraySlice(text.utf8), field: "test") == data)
    }

    struct Malformed: Sendable, CustomTestStringConvertible {
        let name: String
        let encoded: String
        let expected: Argon2Error
        var testDescription: String { name }
    }

    static let salt = "8Pf+BQwTGiEoLzY9REtSWQ"
    static let hash = "ao5b53NlKDIL9CXRQWfpJf2+zwAj2adRbYxV2yVpNp4"

    @Test("malformed strings throw, never trap", arguments: [
        Malformed(name: "empty", encoded: "", expected: .malformedHash),
        Malformed(name: "no leading $", encoded: String(valid.dropFirst()), expected: .malformedHash),
        Malformed(name: "argon2i", encoded: "$argon2i$v=19$m=16,t=1,p=1$\(salt)$\(hash)", expected: .unsupportedVariant),
        Malformed(name: "argon2d", encoded: "$argon2d$v=19$m=16,t=1,p=1$\(salt)$\(hash)", expected: .unsupportedVariant),
        Malformed(name: "bcrypt", encoded: "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW", expected: .unsupportedVariant),
        Malformed(name: "upper-case variant", encoded: "$Argon2id$v=19$m=16,t=1,p=1$\(salt)$\(hash)", expected: .unsupportedVariant),
        Malformed(name: "version 18", encoded: "$argon2id$v=18$m=16,t=1,p=1$\(salt)$\(hash)", expected: .unsupportedVersion),
        Malformed(name: "missing m", encoded: "$argon2id$v=19$t=1,p=1$\(salt)$\(hash)", expected: .malformedHash),
        Malformed(name: "fields out of order", encoded: "$argon2id$v=19$t=1,m=16,p=1$\(salt)$\(hash)", expected: .malformedHash),
        Malformed(name: "missing p", encoded: "$argon2id$v=19$m=16,t=1$\(salt)$\(hash)", expected: .malformedHash),
        Malformed(name: "keyid field", encoded: "$argon2id$v=19$m=16,t=1,p=1,keyid=AAAA$\(salt)$\(hash)", expected: .malformedHash),
        Malformed(name: "empty m", encoded: "$argon2id$v=19$m=,t=1,p=1$\(salt)$\(hash)", expected: .malformedHash),
        Malformed(name: "leading zero", encoded: "$argon2id$v=19$m=016,t=1,p=1$\(salt)$\(hash)", expected: .malformedHash),
        Malformed(name: "plus sign", encoded: "$argon2id$v=19$m=+16,t=1,p=1$\(salt)$\(hash)", expected: .malformedHash),
        Malformed(name: "m above 2^32 - 1", encoded: "$argon2id$v=19$m=4294967296,t=1,p=1$\(salt)$\(hash)", expected: .malformedHash),
        Malformed(name: "m with 30 digits", encoded: "$argon2id$v=19$m=999999999999999999999999999999,t=1,p=1$\(salt)$\(hash)", expected: .malformedHash),
        Malformed(name: "p=0", encoded: "$argon2id$v=19$m=16,t=1,p=0$\(salt)$\(hash)", expected: .invalidParameters),
        Malformed(name: "t=0", encoded: "$argon2id$v=19$m=16,t=0,p=1$\(salt)$\(hash)", expected: .invalidParameters),
        Malformed(name: "p=2^24", encoded: "$argon2id$v=19$m=4294967295,t=1,p=16777216$\(salt)$\(hash)", expected: .invalidParameters),
        Malformed(name: "m below 8p", encoded: "$argon2id$v=19$m=31,t=1,p=4$\(salt)$\(hash)", expected: .invalidParameters),
        Malformed(name: "missing hash", encoded: "$argon2id$v=19$m=16,t=1,p=1$\(salt)", expected: .malformedHash),
        Malformed(name: "missing salt and hash", encoded: "$argon2id$v=19$m=16,t=1,p=1", expected: .malformedHash),
        Malformed(name: "empty salt", encoded: "$argon2id$v=19$m=16,t=1,p=1$$\(hash)", expected: .saltTooShort),
        Malformed(name: "7-byte salt", encoded: "$argon2id$v=19$m=16,t=1,p=1$c2FsdHNhbA$\(hash)", expected: .saltTooShort),
        Malformed(name: "3-byte hash", encoded: "$argon2id$v=19$m=16,t=1,p=1$\(salt)$aGFz", expected: .invalidOutputLength),
        Malformed(name: "bad base64 character", encoded: "$argon2id$v=19$m=16,t=1,p=1$8Pf*BQwTGiEoLzY9REtSWQ$\(hash)", expected: .malformedHash),
        Malformed(name: "URL-safe base64", encoded: "$argon2id$v=19$m=16,t=1,p=1$8Pf-BQwTGiEoLzY9REtSWQ$\(hash)", expected: .malformedHash),
        Malformed(name: "padded base64", encoded: "$argon2id$v=19$m=16,t=1,p=1$\(salt)==$\(hash)", expected: .malformedHash),
        Malformed(name: "base64 length 1 mod 4", encoded: "$argon2id$v=19$m=16,t=1,p=1$c2FsdHNhbHQAA$\(hash)A", expected: .malformedHash),
        Malformed(name: "non-zero trailing base64 bits", encoded: "$argon2id$v=19$m=16,t=1,p=1$c2FsdHNhbHR$\(hash)", expected: .malformedHash),
        Malformed(name: "trailing $", encoded: valid + "$", expected: .malformedHash),
        Malformed(name: "trailing newline", encoded: valid + "\n", expected: .malformedHash),
        Malformed(name: "trailing field", encoded: valid + "$AAAA", expected: .malformedHash),
        Malformed(name: "leading space", encoded: " " + valid, expected: .malformedHash),
        Malformed(name: "longer than 1024 bytes", encoded: "$argon2id$v=19$m=16,t=1,p=1$\(salt)$" + String(repeating: "A", count: 1100), expected: .malformedHash),
        Malformed(name: "non-ASCII", encoded: "$argon2id$v=19$m=16,t=1,p=1$\(salt)é$\(hash)", expected: .malformedHash),
    ])
    func malformed(_ malformed: Malformed) {
        #expect(throws: malformed.expected) { _ = try PHCString(parsing: malformed.encoded) }
        let hasher = PasswordHasher(parameters: .init(memoryKiB: 16, iterations: 1, parallelism: 1))
        #expect(throws: malformed.expected) { _ = try hasher.verify("", against: malformed.encoded) }
        #expect(hasher.needsRehash(malformed.encoded))
    }
}

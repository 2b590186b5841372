import Testing
@testable import SnackBaseAuth

@Suite struct Base32Tests {
    /// RFC 4648 §10 test vectors, padding removed.
    static let vectors: [(String, String)] = [
        ("", ""), ("f", "MY"), ("fo", "MZXQ"), ("foo", "MZXW6"), ("foob", "MZXW6YQ"),
        ("fooba", "MZXW6YTB"), ("foobar", "MZXW6YTBOI"),
    ]

    @Test(arguments: vectors)
    func rfc4648Encode(plain: String, encoded: String) {
        #expect(Base32.encode(Array(plain.utf8)) == encoded)
    }

    @Test(arguments: vectors)
    func rfc4648DecodeUnpaddedPaddedAndLowercase(plain: String, encoded: String) {
        let bytes = Array(plain.utf8)
        #expect(Base32.decode(encoded) == bytes)
        let padding = String(repeating: "=", count: (8 - encoded.count % 8) % 8)
        #expect(Base32.decode(encoded + padding) == bytes)  // RFC form, with padding
        #expect(Base32.decode(encoded.lowercased()) == bytes)
    }

    @Test func decodeIgnoresSpacesAnywhere() {
        #expect(Base32.decode("mzxw 6ytb oi") == Array("foobar".utf8))
        #expect(Base32.decode(" MZXW6YTBOI== ") == Array("foobar".utf8))
    }

    @Test(arguments: ["MZXW1", "MZXW8", "MZXW6-YTB", "MZ\tXW", "MZXW6YTBOI\n", "MZÉXW", "0AAA"])
    func decodeRejectsForeignCharacters(_ text: String) {
        #expect(Base32.decode(text) == nil)
    }

    @Test(arguments: ["M", "MZX", "MZXW6Y", "MZXW6YTBO"])
    func decodeRejectsImpossibleLengths(_ text: String) {
        #expect(Base32.decode(text) == nil)
    }

    @Test func randomRoundTrips() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<64 {
            let bytes = (0..<length).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            let encoded = Base32.encode(bytes)
            #expect(encoded.count == (length * 8 + 4) / 5)
            #expect(!encoded.contains("="))
            #expect(encoded.allSatisfy { "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".contains($0) })
            #expect(Base32.decode(encoded) == bytes)
        }
    }

    @Test func agreesWithPythonBase64() throws {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<37).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let python = try runPython(
            "import base64, sys; print(base64.b32encode(bytes.fromhex(sys.argv[1])).decode().rstrip('='))",
            [hex(bytes)]
        )
        #expect(Base32.encode(bytes) == python)
    }
}

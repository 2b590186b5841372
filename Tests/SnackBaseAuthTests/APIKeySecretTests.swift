import Crypto
import Foundation
import Testing
@testable import SnackBaseAuth

@Suite struct APIKeySecretTests {
    static let base62 = Set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

    @Test func format() {
        let (key, prefix, digest) = APIKeySecret.generate()
        #expect(key.hasPrefix("sb_ak_"))
        #expect(key.count == 6 + 43)
        #expect(key.dropFirst(6).allSatisfy(Self.base62.contains))
        #expect(prefix.count == 12)
        #expect(key.hasPrefix(prefix))
        #expect(digest.count == 64)
        #expect(digest.allSatisfy { "0123456789abcdef".contains($0) })
        #expect(APIKeySecret.looksLikeKey(key))
    }

    @Test func digestIsSHA256HexOfTheWholeKeyPerPython() throws {
        let keys = (0..<5).map { _ in APIKeySecret.generate() }
        let python = try runPython(
            "import hashlib, sys\nfor k in sys.argv[1:]: print(hashlib.sha256(k.encode()).hexdigest())",
            keys.map(\.key)
        ).split(separator: "\n").map(String.init)
        #expect(python == keys.map(\.digest))
        #expect(python == keys.map { APIKeySecret.digest(of: $0.key) })
    }

    @Test func digestMatchesCryptoComputedDirectly() {
        let key = APIKeySecret.generate().key
        #expect(APIKeySecret.digest(of: key) == hex(SHA256.hash(data: Data(key.utf8))))
    }

    @Test func thousandKeysAreDistinct() {
        let generated = (0..<1_000).map { _ in APIKeySecret.generate() }
        #expect(Set(generated.map(\.key)).count == 1_000)
        #expect(Set(generated.map(\.digest)).count == 1_000)
        #expect(generated.allSatisfy { $0.key.count == 49 && APIKeySecret.looksLikeKey($0.key) })
    }

    /// The body is 43 base62 digits of a 256-bit number: check the conversion on
    /// known numbers, and on random ones against Python's big integers.
    @Test func base62Conversion() throws {
        #expect(APIKeySecret.base62([UInt8](repeating: 0, count: 32), length: 43) == String(repeating: "0", count: 43))
        #expect(APIKeySecret.base62([0, 61], length: 3) == "00z")
        #expect(APIKeySecret.base62([0, 62], length: 3) == "010")
        #expect(APIKeySecret.base62([1, 0], length: 3) == "048")  // 256 = 4·62 + 8
        var generator = SystemRandomNumberGenerator()
        let samples = (0..<5).map { _ in (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) } }
            + [[UInt8](repeating: 0xFF, count: 32)]
        let script = """
        import sys
        a = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
        for h in sys.argv[1:]:
            n = int(h, 16); s = ''
            for _ in range(43):
                n, r = divmod(n, 62); s = a[r] + s
            assert n == 0
            print(s)
        """
        let python = try runPython(script, samples.map(hex)).split(separator: "\n").map(String.init)
        #expect(python == samples.map { APIKeySecret.base62($0, length: 43) })
    }

    @Test(arguments: [
        "", "sb_ak_", "sb_ak_abc", "sb_ak_" + String(repeating: "a", count: 42),
        "SB_AK_" + String(repeating: "a", count: 43), "sb_pk_" + String(repeating: "a", count: 43),
        "sb_ak_" + String(repeating: "a", count: 42) + "-", "sb_ak_" + String(repeating: "a", count: 42) + " ",
        "sb_ak_" + String(repeating: "a", count: 42) + "é", " sb_ak_" + String(repeating: "a", count: 43),
        "sb_ak_" + String(repeating: "a", count: 129),
        "Bearer sb_ak_" + String(repeating: "a", count: 43),
    ])
    func looksLikeKeyRejects(_ candidate: String) {
        #expect(!APIKeySecret.looksLikeKey(candidate))
    }

    @Test func looksLikeKeyAcceptsLongerFutureKeys() {
        #expect(APIKeySecret.looksLikeKey("sb_ak_" + String(repeating: "Z", count: 43)))
        #expect(APIKeySecret.looksLikeKey("sb_ak_" + String(repeating: "9", count: 128)))
    }
}

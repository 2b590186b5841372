import Foundation
import Testing
@testable import SnackBaseAuth

@Suite struct SecretSealerTests {
    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    let serverKey = randomBytes(32)
    let seed = TOTP.generateSecret()

    @Test func roundTrip() throws {
        let sealer = try SecretSealer(secretKey: serverKey)
        let sealed = try sealer.seal(seed, associatedData: "user_1")
        #expect(sealed.hasPrefix("v1."))
        // nonce 12 + ciphertext 20 + tag 16 = 48 bytes = 64 base64 characters.
        #expect(Data(base64Encoded: String(sealed.dropFirst(3)))?.count == 12 + seed.count + 16)
        #expect(try sealer.open(sealed, associatedData: "user_1") == seed)
        // A sealer made again from the same server key opens it too (restart).
        #expect(try SecretSealer(secretKey: serverKey).open(sealed, associatedData: "user_1") == seed)
    }

    @Test func twoSealsOfTheSameSeedDiffer() throws {
        let sealer = try SecretSealer(secretKey: serverKey)
        let first = try sealer.seal(seed, associatedData: "user_1")
        let second = try sealer.seal(seed, associatedData: "user_1")
        #expect(first != second)
        #expect(try sealer.open(second, associatedData: "user_1") == seed)
    }

    @Test func tamperingWithAnyByteFails() throws {
        let sealer = try SecretSealer(secretKey: serverKey)
        let sealed = try sealer.seal(seed, associatedData: "user_1")
        let bytes = try #require(Data(base64Encoded: String(sealed.dropFirst(3))))
        for index in bytes.indices {
            for flip: UInt8 in [0x01, 0x80] {
                var changed = bytes
                changed[index] ^= flip
                let forged = "v1." + changed.base64EncodedString()
                #expect(throws: SecretSealerError.authenticationFailed, "byte \(index)") {
                    try sealer.open(forged, associatedData: "user_1")
                }
            }
        }
    }

    @Test func changingAnyCharacterOfTheStringFails() throws {
        let sealer = try SecretSealer(secretKey: serverKey)
        let sealed = Array(try sealer.seal(seed, associatedData: "user_1"))
        for index in sealed.indices {
            var changed = sealed
            changed[index] = changed[index] == "A" ? "B" : "A"
            #expect(throws: SecretSealerError.self, "character \(index)") {
                try sealer.open(String(changed), associatedData: "user_1")
            }
        }
        // Truncation and extension fail too.
        #expect(throws: SecretSealerError.self) { try sealer.open(String(sealed.dropLast(4)), associatedData: "user_1") }
        #expect(throws: SecretSealerError.self) { try sealer.open(String(sealed) + "AAAA", associatedData: "user_1") }
    }

    /// Base64 of a length not a multiple of 3 has unused bits in its last
    /// character; a string differing only there must not open either.
    @Test func nonCanonicalBase64Fails() throws {
        let sealer = try SecretSealer(secretKey: serverKey)
        let sealed = try sealer.seal(Array(seed.prefix(19)), associatedData: "user_1")  // 47 bytes
        #expect(sealed.hasSuffix("="))
        let body = Array(sealed.dropFirst(3).prefix(while: { $0 != "=" }))
        let padding = String(repeating: "=", count: sealed.count - 3 - body.count)
        var opened = 0
        for symbol in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" {
            let candidate = "v1." + String(body.dropLast()) + String(symbol) + padding
            if let seed = try? sealer.open(candidate, associatedData: "user_1") {
                #expect(seed == Array(self.seed.prefix(19)))
                opened += 1
            }
        }
        #expect(opened == 1)
    }

    @Test func wrongKeyFails() throws {
        let sealed = try SecretSealer(secretKey: serverKey).seal(seed, associatedData: "user_1")
        var otherKey = serverKey
        otherKey[0] ^= 1
        #expect(throws: SecretSealerError.authenticationFailed) {
            try SecretSealer(secretKey: otherKey).open(sealed, associatedData: "user_1")
        }
    }

    @Test func otherAssociatedDataFails() throws {
        let sealer = try SecretSealer(secretKey: serverKey)
        let sealed = try sealer.seal(seed, associatedData: "user_1")
        for other in ["user_2", "", "user_1 ", "User_1"] {
            #expect(throws: SecretSealerError.authenticationFailed, "\(other)") {
                try sealer.open(sealed, associatedData: other)
            }
        }
    }

    @Test func badVersionFails() throws {
        let sealer = try SecretSealer(secretKey: serverKey)
        let sealed = try sealer.seal(seed, associatedData: "user_1")
        let body = sealed.dropFirst(3)
        for forged in ["v2.\(body)", "V1.\(body)", "\(body)", "v1\(body)", ""] {
            #expect(throws: SecretSealerError.unsupportedVersion, "\(forged)") {
                try sealer.open(forged, associatedData: "user_1")
            }
        }
        #expect(throws: SecretSealerError.malformed) { try sealer.open("v1.", associatedData: "user_1") }
        #expect(throws: SecretSealerError.malformed) { try sealer.open("v1.!!!!", associatedData: "user_1") }
    }

    @Test func shortServerKeyIsRefused() {
        #expect(throws: SecretSealerError.secretKeyTooShort) { try SecretSealer(secretKey: Self.randomBytes(31)) }
        #expect(throws: SecretSealerError.secretKeyTooShort) { try SecretSealer(secretKey: []) }
        #expect(throws: Never.self) { try SecretSealer(secretKey: Self.randomBytes(64)) }
    }

    @Test func keyIsRedacted() throws {
        let sealer = try SecretSealer(secretKey: Array(repeating: 0x41, count: 32))
        var dumped = ""
        dump(sealer, to: &dumped)
        #expect(String(describing: sealer).contains("<redacted>"))
        #expect(String(reflecting: sealer).contains("<redacted>"))
        for text in [String(describing: sealer), String(reflecting: sealer), dumped] {
            #expect(!text.contains("SymmetricKey"))
            #expect(!text.contains("bytes"))
        }
    }
}

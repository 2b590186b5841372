import Crypto
import Foundation
import Testing
@testable import SnackBaseAuth

@Suite struct RecoveryCodesTests {
    @Test func tenDistinctWellFormedCodes() {
        let codes = RecoveryCodes.generate()
        #expect(codes.count == 10)
        #expect(Set(codes).count == 10)
        let allowed = Set("0123456789abcdefghjkmnpqrstvwxyz")
        for code in codes {
            let parts = code.split(separator: "-", omittingEmptySubsequences: false)
            #expect(parts.count == 2 && parts.allSatisfy { $0.count == 5 }, "\(code)")
            #expect(code.replacingOccurrences(of: "-", with: "").allSatisfy(allowed.contains), "\(code)")
        }
    }

    @Test func alphabetHasThirtyTwoSymbolsSoTenCarryFiftyBits() {
        #expect(Set(RecoveryCodes.alphabet).count == 32)
        #expect(RecoveryCodes.symbolCount * 5 >= 50)
        #expect(!RecoveryCodes.alphabet.contains(where: { "ilou".utf8.contains($0) }))
    }

    @Test func symbolsAreSpreadOverTheWholeAlphabet() {
        // 2,000 codes are 20,000 symbols; each of the 32 should appear ~625 times.
        var counts: [Character: Int] = [:]
        for code in RecoveryCodes.generate(count: 2_000) {
            for symbol in code where symbol != "-" { counts[symbol, default: 0] += 1 }
        }
        #expect(counts.count == 32)
        #expect(counts.values.allSatisfy { (400...850).contains($0) }, "\(counts)")
    }

    @Test func normalisationAcceptsWhatPeopleType() throws {
        let code = try #require(RecoveryCodes.generate(count: 1).first)
        let canonical = code.replacingOccurrences(of: "-", with: "")
        let spaced = code.uppercased().replacingOccurrences(of: "-", with: " ")
        for typed in [code, code.uppercased(), canonical, " \(spaced) ", "\(code.prefix(3))-\(code.dropFirst(3))"] {
            #expect(RecoveryCodes.normalize(typed) == canonical, "\(typed)")
            #expect(RecoveryCodes.digest(of: typed) == RecoveryCodes.digest(of: code), "\(typed)")
        }
    }

    @Test func lookAlikesReadAsDigits() {
        #expect(RecoveryCodes.normalize("OIL23-45678") == "01123456" + "78")
        #expect(RecoveryCodes.normalize("oil23-45678") == "0112345678")
    }

    @Test(arguments: ["", "abcde-fghj", "abcde-fghjkm", "abcde-fghju", "abcde_fghjk", "abcde-fghj!", "ábcde-fghjk"])
    func normalisationRejectsOthers(_ typed: String) {
        #expect(RecoveryCodes.normalize(typed) == nil)
        #expect(RecoveryCodes.digest(of: typed) == nil)
    }

    @Test func digestIsSHA256HexOfCanonicalCodeAndDiffers() throws {
        let codes = RecoveryCodes.generate()
        let digests = try codes.map { try #require(RecoveryCodes.digest(of: $0)) }
        #expect(Set(digests).count == 10)
        for (code, digest) in zip(codes, digests) {
            let canonical = code.replacingOccurrences(of: "-", with: "")
            #expect(digest == hex(SHA256.hash(data: Data(canonical.utf8))))
            #expect(digest.count == 64)
        }
    }
}

import Foundation
import SnackBaseCore
import Testing

@Suite struct IdentifierTests {
    @Test("ID-001 random ids from many tasks at once never repeat and use every hex digit evenly")
    func randomIDsAreDistinctAndEven() async throws {
        // 8 tasks × 2,000 ids of 16 bytes: 125 refills of the 256-byte pool, raced from several threads.
        let ids = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<8 { group.addTask { (0..<2_000).map { _ in SecureID.make("rec") } } }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(ids.count == 16_000)
        #expect(Set(ids).count == ids.count, "an id was handed out twice")
        #expect(ids.allSatisfy { $0.hasPrefix("rec_") && $0.utf8.count == 36 })
        var counts = [Int](repeating: 0, count: 16)
        for id in ids {
            for digit in id.utf8.dropFirst(4) {
                let value = Int(digit) - (digit >= 97 ? 87 : 48)
                try #require((0..<16).contains(value), "not a lower-case hex digit in \(id)")
                counts[value] += 1
            }
        }
        // 512,000 digits: each expected 32,000 times (σ ≈ 173); zeroed or repeated bytes would skew "0".
        for (digit, count) in counts.enumerated() {
            #expect((30_500...33_500).contains(count), "hex digit \(digit) appeared \(count) times")
        }
        // A value longer than one fetch's remainder is completed from the next fetch.
        for _ in 0..<20 { _ = SecureID.randomHex(bytes: 7) }
        #expect(SecureID.randomHex(bytes: 32).utf8.count == 64)
    }
}

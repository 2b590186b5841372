import Testing
@testable import Argon2

@Suite("BLAKE2b (RFC 7693)")
struct Blake2bTests {
    @Test("RFC 7693 Appendix A: BLAKE2b-512(\"abc\")")
    func appendixA() throws {
        let digest = try Blake2b.hash(Array("abc".utf8))
        #expect(hex(digest) == "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
            + "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923")
    }

    /// RFC 7693 Appendix E's self-test: unkeyed and keyed hashes of 6 input lengths at 4 digest lengths,
    /// all fed into one BLAKE2b-256 whose digest the RFC gives.
    @Test("RFC 7693 Appendix E self-test grand hash")
    func appendixE() throws {
        func sequence(_ length: Int, seed: UInt32) -> [UInt8] {
            var a = 0xDEAD_4BAD &* seed, b: UInt32 = 1
            return (0..<length).map { _ in
                let t = a &+ b
                a = b
                b = t
                return UInt8(truncatingIfNeeded: t >> 24)
            }
        }
        var grand = try Blake2b(outputLength: 32)
        for outputLength in [20, 32, 48, 64] {
            for inputLength in [0, 3, 128, 129, 255, 1024] {
                let input = sequence(inputLength, seed: UInt32(inputLength))
                grand.update(try Blake2b.hash(input, outputLength: outputLength))
                let key = sequence(outputLength, seed: UInt32(outputLength))
                grand.update(try Blake2b.hash(input, outputLength: outputLength, key: key))
            }
        }
        #expect(hex(grand.finalize()) == "c23a7800d98123bd10f506c61e29da5603d763b8bbad2e737f5e765a7bccd475")
    }

    @Test("hashlib.blake2b vectors", arguments: generatedBlake2bVectors)
    func hashlibVectors(_ vector: Blake2bVector) throws {
        let message = bytes(hex: vector.message)
        let expected = bytes(hex: vector.digest)
        #expect(try Blake2b.hash(message, outputLength: expected.count, key: bytes(hex: vector.key)) == expected)
    }

    @Test("updates split anywhere give the same digest", arguments: [0, 1, 64, 127, 128, 129, 200, 255, 256])
    func incremental(split: Int) throws {
        let message = (0..<256).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        var hasher = try Blake2b(outputLength: 64, key: Array("key".utf8))
        hasher.update(Array(message[..<split]))
        hasher.update([])
        hasher.update(Array(message[split...]))
        #expect(hasher.finalize() == (try Blake2b.hash(message, key: Array("key".utf8))))
    }

    @Test("invalid output and key lengths throw", arguments: [
        (0, 0, Argon2Error.invalidOutputLength),
        (65, 0, Argon2Error.invalidOutputLength),
        (-1, 0, Argon2Error.invalidOutputLength),
        (32, 65, Argon2Error.invalidKeyLength),
    ])
    func invalidLengths(outputLength: Int, keyLength: Int, expected: Argon2Error) {
        #expect(throws: expected) {
            _ = try Blake2b(outputLength: outputLength, key: [UInt8](repeating: 1, count: keyLength))
        }
    }

    /// H' (RFC 9106 §3.3) for T ≤ 64 is BLAKE2b-T of LE32(T) || input.
    @Test("H' with a short output is one prefixed BLAKE2b", arguments: [1, 4, 32, 64])
    func variableLengthShort(length: Int) throws {
        let input = Array("input".utf8)
        let expected = try Blake2b.hash(Argon2id.littleEndianBytes(UInt32(length)) + input, outputLength: length)
        #expect(try Blake2b.variableLengthHash([input], outputLength: length) == expected)
    }
}

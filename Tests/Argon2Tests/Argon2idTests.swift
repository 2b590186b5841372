import Testing
@testable import Argon2

@Suite("Argon2id (RFC 9106)")
struct Argon2idTests {
    /// RFC 9106 §5.3: m=32 KiB, t=3, p=4, with a secret and associated data.
    @Test("RFC 9106 §5.3 test vector")
    func rfcVector() throws {
        let tag = try Argon2id.hash(
            password: [UInt8](repeating: 0x01, count: 32), salt: [UInt8](repeating: 0x02, count: 16),
            secret: [UInt8](repeating: 0x03, count: 8), associatedData: [UInt8](repeating: 0x04, count: 12),
            parameters: Argon2Parameters(memoryKiB: 32, iterations: 3, parallelism: 4), length: 32)
        #expect(hex(tag) == "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659")
    }

    @Test("argon2-cffi (libargon2) vectors", arguments: generatedArgon2idVectors)
    func libargon2Vectors(_ vector: Argon2idVector) throws {
        let expected = bytes(hex: vector.tag)
        let tag = try Argon2id.hash(
            password: bytes(hex: vector.password), salt: bytes(hex: vector.salt),
            secret: bytes(hex: vector.secret), associatedData: bytes(hex: vector.associatedData),
            parameters: Argon2Parameters(
                memoryKiB: vector.memoryKiB, iterations: vector.iterations, parallelism: vector.parallelism),
            length: expected.count)
        #expect(hex(tag) == vector.tag)
    }

    struct InvalidCase: Sendable, CustomTestStringConvertible {
        let name: String
        let parameters: Argon2Parameters
        var salt = Array("somesalt".utf8)
        var length = 32
        let expected: Argon2Error
        var testDescription: String { name }
    }

    @Test("inputs outside RFC 9106's ranges throw", arguments: [
        InvalidCase(name: "p=0", parameters: .init(memoryKiB: 64, iterations: 1, parallelism: 0), expected: .invalidParameters),
        InvalidCase(name: "p=2^24", parameters: .init(memoryKiB: UInt32.max, iterations: 1, parallelism: 1 << 24), expected: .invalidParameters),
        InvalidCase(name: "t=0", parameters: .init(memoryKiB: 64, iterations: 0, parallelism: 1), expected: .invalidParameters),
        InvalidCase(name: "m < 8p", parameters: .init(memoryKiB: 31, iterations: 1, parallelism: 4), expected: .invalidParameters),
        InvalidCase(name: "m=0", parameters: .init(memoryKiB: 0, iterations: 1, parallelism: 1), expected: .invalidParameters),
        InvalidCase(name: "7-byte salt", parameters: .init(memoryKiB: 8, iterations: 1, parallelism: 1), salt: Array("saltsal".utf8), expected: .saltTooShort),
        InvalidCase(name: "3-byte tag", parameters: .init(memoryKiB: 8, iterations: 1, parallelism: 1), length: 3, expected: .invalidOutputLength),
        InvalidCase(name: "negative tag length", parameters: .init(memoryKiB: 8, iterations: 1, parallelism: 1), length: -1, expected: .invalidOutputLength),
    ])
    func invalidInputs(_ invalid: InvalidCase) {
        #expect(throws: invalid.expected) {
            _ = try Argon2id.hash(password: [], salt: invalid.salt, parameters: invalid.parameters, length: invalid.length)
        }
    }

    @Test("memory is rounded down to a multiple of 4p blocks")
    func geometry() {
        let geometry = Argon2id.Geometry(parameters: .init(memoryKiB: 133, iterations: 1, parallelism: 4), version: Argon2id.version)
        #expect(geometry.segmentLength == 8)
        #expect(geometry.laneLength == 32)
        #expect(geometry.blockCount == 128)
    }
}

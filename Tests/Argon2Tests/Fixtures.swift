import Testing

// The shapes of the test tables; the generated ones are in GeneratedVectors.swift.

struct Blake2bVector: Sendable, CustomTestStringConvertible {
    let name: String
    let message: String
    let key: String
    let digest: String
    var testDescription: String { name }
}

struct Argon2idVector: Sendable, CustomTestStringConvertible {
    let name: String
    let password: String
    let salt: String
    let secret: String
    let associatedData: String
    let memoryKiB: UInt32
    let iterations: UInt32
    let parallelism: UInt32
    let tag: String
    var testDescription: String { name }
}

struct PHCVector: Sendable, CustomTestStringConvertible {
    let name: String
    let password: String
    let encoded: String
    var testDescription: String { name }
}

/// Bytes from a hex literal; traps on a malformed literal, which is a bug in the test table.
func bytes(hex: String) -> [UInt8] {
    let digits = Array(hex.utf8)
    precondition(digits.count % 2 == 0, "odd-length hex literal")
    return stride(from: 0, to: digits.count, by: 2).map { index in
        UInt8(String(decoding: digits[index..<(index + 2)], as: UTF8.self), radix: 16)!
    }
}

func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var text = [UInt8]()
    for byte in bytes {
        text.append(digits[Int(byte >> 4)])
        text.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: text, as: UTF8.self)
}

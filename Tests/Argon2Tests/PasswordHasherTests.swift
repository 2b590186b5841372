import Foundation
import Testing
@testable import Argon2

@Suite("PasswordHasher")
struct PasswordHasherTests {
    static let small = Argon2Parameters(memoryKiB: 64, iterations: 2, parallelism: 2)

    @Test("hash then verify", arguments: ["correct horse battery staple", "", "pässwörd 🔑", String(repeating: "long", count: 75)])
    func roundTrip(password: String) throws {
        let hasher = PasswordHasher(parameters: Self.small)
        let encoded = try hasher.hash(password)
        #expect(encoded.hasPrefix("$argon2id$v=19$m=64,t=2,p=2$"))
        let phc = try PHCString(parsing: encoded)
        #expect(phc.salt.count == 16)
        #expect(phc.hash.count == 32)
        #expect(try hasher.verify(password, against: encoded))
        #expect(try !hasher.verify(password + "x", against: encoded))
        #expect(!hasher.needsRehash(encoded))
    }

    @Test("every hash gets a fresh salt")
    func freshSalt() throws {
        let hasher = PasswordHasher(parameters: Self.small)
        #expect(try hasher.hash("same") != hasher.hash("same"))
    }

    @Test("argon2-cffi PHC strings verify", arguments: generatedPHCStrings)
    func argon2CffiStrings(_ vector: PHCVector) throws {
        let hasher = PasswordHasher(parameters: Self.small)
        #expect(try hasher.verify(vector.password, against: vector.encoded))
        #expect(try !hasher.verify(vector.password + "!", against: vector.encoded))
    }

    @Test("a flipped bit in the stored hash does not verify")
    func tamperedHash() throws {
        let hasher = PasswordHasher(parameters: Self.small)
        var phc = try PHCString(parsing: try hasher.hash("secret"))
        phc.hash[31] ^= 1
        #expect(try !hasher.verify("secret", against: phc.encoded))
    }

    struct CapCase: Sendable, CustomTestStringConvertible {
        let name: String
        let encoded: String
        let expected: Argon2Error
        var testDescription: String { name }
    }

    @Test("stored parameters above the caps throw before allocating", arguments: [
        CapCase(name: "m=4 TiB", encoded: "$argon2id$v=19$m=4294967295,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g", expected: .memoryAboveCap),
        CapCase(name: "m just above 1 GiB", encoded: "$argon2id$v=19$m=1048577,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g", expected: .memoryAboveCap),
        CapCase(name: "t=2^32 - 1", encoded: "$argon2id$v=19$m=16,t=4294967295,p=1$c2FsdHNhbHQ$aGFzaGhhc2g", expected: .costAboveCap),
        CapCase(name: "p=1000", encoded: "$argon2id$v=19$m=8000,t=1,p=1000$c2FsdHNhbHQ$aGFzaGhhc2g", expected: .costAboveCap),
    ])
    func caps(_ cap: CapCase) {
        let hasher = PasswordHasher(parameters: Self.small)
        #expect(throws: cap.expected) { _ = try hasher.verify("password", against: cap.encoded) }
    }

    @Test("a lower memory cap applies to hashing too")
    func configuredAboveCap() {
        let hasher = PasswordHasher(parameters: Self.small, maxMemoryKiB: 32)
        #expect(throws: Argon2Error.memoryAboveCap) { _ = try hasher.hash("password") }
    }

    @Test("invalid configured parameters throw when hashing")
    func invalidConfiguration() {
        let hasher = PasswordHasher(parameters: .init(memoryKiB: 64, iterations: 0, parallelism: 1))
        #expect(throws: Argon2Error.invalidParameters) { _ = try hasher.hash("password") }
    }

    struct RehashCase: Sendable, CustomTestStringConvertible {
        let name: String
        let encoded: String
        let needsRehash: Bool
        var testDescription: String { name }
    }

    // Against m=64, t=2, p=2; salt c2FsdHNhbHRzYWx0c2FsdA is 16 bytes, the hash 32 bytes.
    static let hash32 = "ao5b53NlKDIL9CXRQWfpJf2+zwAj2adRbYxV2yVpNp4"
    @Test("needsRehash when weaker than the configuration", arguments: [
        RehashCase(name: "same parameters", encoded: "$argon2id$v=19$m=64,t=2,p=2$c2FsdHNhbHRzYWx0c2FsdA$\(hash32)", needsRehash: false),
        RehashCase(name: "stronger everywhere", encoded: "$argon2id$v=19$m=128,t=3,p=4$c2FsdHNhbHRzYWx0c2FsdA$\(hash32)", needsRehash: false),
        RehashCase(name: "less memory", encoded: "$argon2id$v=19$m=32,t=2,p=2$c2FsdHNhbHRzYWx0c2FsdA$\(hash32)", needsRehash: true),
        RehashCase(name: "fewer iterations", encoded: "$argon2id$v=19$m=64,t=1,p=2$c2FsdHNhbHRzYWx0c2FsdA$\(hash32)", needsRehash: true),
        RehashCase(name: "fewer lanes", encoded: "$argon2id$v=19$m=64,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$\(hash32)", needsRehash: true),
        RehashCase(name: "version 16", encoded: "$argon2id$v=16$m=64,t=2,p=2$c2FsdHNhbHRzYWx0c2FsdA$\(hash32)", needsRehash: true),
        RehashCase(name: "no version (16)", encoded: "$argon2id$m=64,t=2,p=2$c2FsdHNhbHRzYWx0c2FsdA$\(hash32)", needsRehash: true),
        RehashCase(name: "8-byte salt", encoded: "$argon2id$v=19$m=64,t=2,p=2$c2FsdHNhbHQ$\(hash32)", needsRehash: true),
        RehashCase(name: "16-byte hash", encoded: "$argon2id$v=19$m=64,t=2,p=2$c2FsdHNhbHRzYWx0c2FsdA$FqNTtH6w+UCkDSjd/ypJ5A", needsRehash: true),
        RehashCase(name: "argon2i", encoded: "$argon2i$v=19$m=64,t=2,p=2$c2FsdHNhbHRzYWx0c2FsdA$\(hash32)", needsRehash: true),
        RehashCase(name: "garbage", encoded: "not a hash", needsRehash: true),
    ])
    func needsRehash(_ rehash: RehashCase) {
        let hasher = PasswordHasher(parameters: Self.small)
        #expect(hasher.needsRehash(rehash.encoded) == rehash.needsRehash)
    }

    @Test("constant-time comparison", arguments: [
        ([UInt8](), [UInt8](), true), ([1, 2, 3], [1, 2, 3], true), ([1, 2, 3], [1, 2, 4], false),
        ([1, 2, 3], [1, 2], false), ([0], [128], false),
    ])
    func constantTimeEqual(lhs: [UInt8], rhs: [UInt8], equal: Bool) {
        #expect(PasswordHasher.constantTimeEqual(lhs, rhs) == equal)
    }

    /// Our hashes, across lane counts and odd memory sizes, verify in argon2-cffi (libargon2), and a wrong
    /// password is rejected there too (so the harness can fail).
    @Test("our PHC strings verify in argon2-cffi")
    func verifiesInArgon2Cffi() throws {
        let shapes: [(Argon2Parameters, String)] = [
            (.init(memoryKiB: 8, iterations: 1, parallelism: 1), "password"),
            (.init(memoryKiB: 17, iterations: 3, parallelism: 1), ""),
            (.init(memoryKiB: 67, iterations: 2, parallelism: 2), String(repeating: "p", count: 300)),
            (.init(memoryKiB: 133, iterations: 2, parallelism: 4), "pässwörd 🔑"),
            (.init(memoryKiB: 1024, iterations: 1, parallelism: 4), "correct horse battery staple"),
            (.init(memoryKiB: 99, iterations: 1, parallelism: 3), "three lanes"),
        ]
        var lines: [String] = []
        for (parameters, password) in shapes {
            let encoded = try PasswordHasher(parameters: parameters).hash(password)
            lines.append("\(encoded)\t\(hex(Array(password.utf8)))\tmatch")
            lines.append("\(encoded)\t\(hex(Array((password + "x").utf8)))\tmismatch")
        }
        guard let output = try Python.run(script: Python.verifyScript, input: lines.joined(separator: "\n") + "\n") else {
            return
        }
        let results = output.split(separator: "\n").map(String.init)
        #expect(results.count == lines.count)
        for (line, result) in zip(lines, results) {
            #expect(result == "ok", "argon2-cffi disagrees on \(line): \(result)")
        }
    }
}

/// Runs python3 with argon2-cffi, or explains why not: a failure when CI is set, a notice otherwise.
enum Python {
    static let verifyScript = """
        import sys
        import argon2
        hasher = argon2.PasswordHasher()
        for line in sys.stdin:
            encoded, password, expected = line.rstrip("\\n").split("\\t")
            try:
                actual = "match" if hasher.verify(encoded, bytes.fromhex(password)) else "mismatch"
            except argon2.exceptions.VerifyMismatchError:
                actual = "mismatch"
            except Exception as error:
                actual = "error %r" % error
            print("ok" if actual == expected else "expected %s, got %s" % (expected, actual))
        """

    /// The script's standard output, or nil when argon2-cffi is unavailable outside CI.
    static func run(script: String, input: String) throws -> String? {
        guard try execute(["-c", "import argon2"], input: "").status == 0 else {
            let message = "python3 with argon2-cffi is unavailable (pip install argon2-cffi)"
            if ProcessInfo.processInfo.environment["CI"] != nil {
                Issue.record("\(message); required when CI is set")
            } else {
                print("notice: skipping the argon2-cffi cross-check: \(message)")
            }
            return nil
        }
        let result = try execute(["-c", script], input: input)
        #expect(result.status == 0, "python3 failed: \(result.output)")
        return result.output
    }

    private static func execute(_ arguments: [String], input: String) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stdout
        do {
            try process.run()
        } catch {
            return (127, "could not start python3: \(error)")
        }
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}

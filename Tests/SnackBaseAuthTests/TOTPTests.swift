import Foundation
import Testing
@testable import SnackBaseAuth

@Suite struct TOTPTests {
    static let sha1Secret = Array("12345678901234567890".utf8)
    static let sha256Secret = Array("12345678901234567890123456789012".utf8)
    static let sha512Secret = Array("1234567890123456789012345678901234567890123456789012345678901234".utf8)

    /// RFC 6238 Appendix B: time, T (hex), SHA-1, SHA-256, SHA-512 codes.
    static let rfc6238: [(TimeInterval, Int64, String, String, String)] = [
        (59, 0x1, "94287082", "46119246", "90693936"),
        (1_111_111_109, 0x23523EC, "07081804", "68084774", "25091201"),
        (1_111_111_111, 0x23523ED, "14050471", "67062674", "99943326"),
        (1_234_567_890, 0x273EF07, "89005924", "91819424", "93441116"),
        (2_000_000_000, 0x3F940AA, "69279037", "90698825", "38618901"),
        (20_000_000_000, 0x27BC86AA, "65353130", "77737706", "47863826"),
    ]

    @Test(arguments: rfc6238)
    func rfc6238Vectors(time: TimeInterval, step: Int64, sha1: String, sha256: String, sha512: String) {
        let date = Date(timeIntervalSince1970: time)
        let one = TOTP(secret: Self.sha1Secret, digits: 8, algorithm: .sha1)
        let two = TOTP(secret: Self.sha256Secret, digits: 8, algorithm: .sha256)
        let five = TOTP(secret: Self.sha512Secret, digits: 8, algorithm: .sha512)
        #expect(one.step(at: date) == step)
        #expect(one.code(at: date) == sha1)
        #expect(two.code(at: date) == sha256)
        #expect(five.code(at: date) == sha512)
        #expect(one.verify(sha1, at: date, window: 0, lastUsedStep: nil) == step)
    }

    /// RFC 4226 Appendix D: HOTP with counters 0 through 9.
    @Test func rfc4226Vectors() {
        let expected = ["755224", "287082", "359152", "969429", "338314",
                        "254676", "287922", "162583", "399871", "520489"]
        let hotp = TOTP(secret: Self.sha1Secret)
        for (counter, code) in expected.enumerated() {
            #expect(hotp.code(forStep: Int64(counter)) == code, "counter \(counter)")
        }
    }

    @Test func stepBoundaries() {
        let totp = TOTP(secret: Self.sha1Secret)
        #expect(totp.step(at: Date(timeIntervalSince1970: 0)) == 0)
        #expect(totp.step(at: Date(timeIntervalSince1970: 29.999)) == 0)
        #expect(totp.step(at: Date(timeIntervalSince1970: 30)) == 1)
        #expect(TOTP(secret: Self.sha1Secret, period: 60).step(at: Date(timeIntervalSince1970: 119)) == 1)
    }

    /// Codes from an independent implementation (Python's hmac/hashlib/struct,
    /// secret passed as our base32 and decoded by Python's base64.b32decode).
    @Test func verifyAgainstPythonWindowAndReplay() throws {
        let secret = TOTP.generateSecret()
        let totp = TOTP(secret: secret)
        let now = Date().timeIntervalSince1970.rounded(.down)
        let offsets: [Int] = [-60, -30, 0, 30, 60]
        let script = """
        import base64, hashlib, hmac, struct, sys
        secret = sys.argv[1]
        key = base64.b32decode(secret + '=' * (-len(secret) % 8))
        now = int(sys.argv[2])
        for offset in (int(x) for x in sys.argv[3:]):
            counter = (now + offset) // 30
            mac = hmac.new(key, struct.pack('>Q', counter), hashlib.sha1).digest()
            start = mac[-1] & 0x0F
            value = struct.unpack('>I', mac[start:start + 4])[0] & 0x7FFFFFFF
            print('%d %06d' % (counter, value % 1000000))
        """
        let lines = try runPython(script, [Base32.encode(secret), String(Int(now))] + offsets.map(String.init))
            .split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        try #require(lines.count == offsets.count)
        let date = Date(timeIntervalSince1970: now)
        let current = totp.step(at: date)

        for (offset, line) in zip(offsets, lines) {
            let pythonStep = Int64(line[0])!
            let code = line[1]
            #expect(pythonStep == current + Int64(offset / 30))
            #expect(totp.code(forStep: pythonStep) == code)
            let result = totp.verify(code, at: date, lastUsedStep: nil)
            if abs(offset) <= 30 {
                #expect(result == pythonStep, "offset \(offset) must be accepted")
            } else {
                #expect(result == nil, "offset \(offset) must be refused")
            }
        }

        // Replay: the current code, once used, does not pass again.
        let code = lines[2][1]
        let used = try #require(totp.verify(code, at: date, lastUsedStep: nil))
        #expect(totp.verify(code, at: date, lastUsedStep: used) == nil)
        #expect(totp.verify(code, at: date.addingTimeInterval(30), lastUsedStep: used) == nil)
        // An earlier step is refused once a later one was used …
        #expect(totp.verify(lines[1][1], at: date, lastUsedStep: used) == nil)
        // … and the next step's code still passes.
        #expect(totp.verify(lines[3][1], at: date, lastUsedStep: used) == used + 1)
    }

    @Test func widerWindowAcceptsTwoSteps() {
        let totp = TOTP(secret: TOTP.generateSecret())
        let date = Date()
        let twoAhead = totp.code(forStep: totp.step(at: date) + 2)
        #expect(totp.verify(twoAhead, at: date, window: 2, lastUsedStep: nil) == totp.step(at: date) + 2)
        #expect(totp.verify(totp.code(at: date), at: date, window: 0, lastUsedStep: nil) == totp.step(at: date))
    }

    @Test func verifyStripsSpaces() {
        let totp = TOTP(secret: Self.sha1Secret)
        let date = Date(timeIntervalSince1970: 59)  // step 1: 287082 (RFC 4226 counter 1)
        #expect(totp.verify("287 082", at: date, window: 0, lastUsedStep: nil) == 1)
        #expect(totp.verify(" 2 8 7 0 8 2 ", at: date, window: 0, lastUsedStep: nil) == 1)
    }

    @Test(arguments: ["", "28708", "2870820", "28708a", "+87082", "-87082", "287-082",
                      "287\t082", "२८७०८२", "٢٨٧٠٨٢", "２８７０８２", "287082\n"])
    func verifyRejectsMalformed(_ code: String) {
        let totp = TOTP(secret: Self.sha1Secret)
        #expect(totp.verify(code, at: Date(timeIntervalSince1970: 59), window: 0, lastUsedStep: nil) == nil)
    }

    @Test func verifyRejectsWrongCode() {
        let totp = TOTP(secret: Self.sha1Secret)
        let date = Date(timeIntervalSince1970: 59)
        let right = totp.code(at: date)
        let wrong = String(right.dropLast()) + (right.last == "0" ? "1" : "0")
        #expect(totp.verify(wrong, at: date, lastUsedStep: nil) == nil)
        // A different secret's code does not pass either (up to a 1e-6 coincidence per step).
        let other = TOTP(secret: Array("abcdefghijabcdefghij".utf8))
        #expect(totp.verify(other.code(at: date), at: date, window: 0, lastUsedStep: nil) == nil)
    }

    @Test func generatedSecretsAreTwentyFreshBytes() {
        let secrets = (0..<100).map { _ in TOTP.generateSecret() }
        #expect(secrets.allSatisfy { $0.count == 20 })
        #expect(Set(secrets.map(hex)).count == 100)
    }

    @Test func otpauthURL() throws {
        let secret = Array("12345678901234567890".utf8)
        let url = TOTP(secret: secret).otpauthURL(issuer: "SnackBase", account: "alice+2fa@example.com")
        // Base32 of "12345678901234567890", as Python's base64.b32encode gives it.
        #expect(url == "otpauth://totp/SnackBase:alice%2B2fa%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=SnackBase")
        let components = try #require(URLComponents(string: url))
        #expect(components.scheme == "otpauth")
        #expect(components.host == "totp")
        #expect(components.path == "/SnackBase:alice+2fa@example.com")
        let items = Dictionary(uniqueKeysWithValues: (components.queryItems ?? []).map { ($0.name, $0.value ?? "") })
        #expect(items == ["secret": "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "issuer": "SnackBase"])
        #expect(Base32.decode(items["secret"]!) == secret)
    }

    @Test func otpauthURLNamesNonDefaultParameters() {
        let url = TOTP(secret: [1, 2, 3], digits: 8, period: 60, algorithm: .sha256).otpauthURL(account: "a b")
        #expect(url.hasPrefix("otpauth://totp/SnackBase:a%20b?secret="))
        #expect(url.hasSuffix("&issuer=SnackBase&algorithm=SHA256&digits=8&period=60"))
    }

    @Test func secretIsRedacted() {
        let secret = Array("SUPERSECRETSEEDBYTES".utf8)
        let totp = TOTP(secret: secret)
        var dumped = ""
        dump(totp, to: &dumped)
        for text in [String(describing: totp), String(reflecting: totp), "\(totp)", dumped] {
            #expect(text.contains("<redacted>") || text == dumped)
            #expect(!text.contains("83"))  // 'S' as a decimal byte
            #expect(!text.contains("SUPERSECRET"))
            #expect(!text.contains(Base32.encode(secret)))
        }
    }
}

import Foundation
import NIOCore
import SnackBaseCore
@testable import SnackBaseStore
import SnackBaseTesting
import Testing
import NIOFoundationCompat

@Suite("JSONValue.parse: the request body reader")
struct JSONReaderTests {
    static let valid: [String] = [
        #"{"title":"Hello","priority":3,"meta":{"a":[1,2,{"b":null}]},"done":false,"ok":true}"#,
        #"  {"a" : [ 1 , -2.5 , 1e3 , 1E-3 , -0 , 0.000001 , 12345678901234567890 , 1234567890123456 , 9007199254740993 ] } "#,
        #""quote \" backslash \\ slash \/ \b\f\n\r\t \u0000 \u00e9 \uD83D\uDE00 é 🐿""#,
        #"[]"#, #"{}"#, #"[[[[]]]]"#, "\t\n\r 2 ", #""""#, "null", "true", "-1.5e+300", "1.7976931348623157e308",
        "\u{FEFF}{\"bom\":1}",
    ]

    @Test("it reads what Foundation's decoder reads, to the same value", arguments: valid)
    func agreesWithFoundation(_ text: String) throws {
        let parsed = try JSONValue.parse(text)
        let decoded = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(parsed == decoded)
    }

    struct Invalid: Sendable, CustomTestStringConvertible {
        let name: String
        let bytes: [UInt8]
        let message: String
        let offset: Int?
        init(_ name: String, _ text: String, _ message: String, at offset: Int? = nil) {
            self.init(name, Array(text.utf8), message, at: offset)
        }
        init(_ name: String, _ bytes: [UInt8], _ message: String, at offset: Int? = nil) {
            self.name = name
            self.bytes = bytes
            self.message = message
            self.offset = offset
        }
        var testDescription: String { name }
    }

    static let invalid: [Invalid] = [
        .init("empty", "", "unexpected end", at: 0),
        .init("only space", "  ", "unexpected end", at: 2),
        .init("trailing comma in an array", "[1,]", "unexpected character", at: 3),
        .init("trailing comma in an object", #"{"a":1,}"#, "expected a key", at: 7),
        .init("duplicate key", #"{"status":"draft","status":"published"}"#, #"duplicate key "status""#, at: 18),
        .init("duplicate key spelt with an escape", #"{"a":1,"\u0061":2}"#, #"duplicate key "a""#, at: 7),
        .init("leading zero", "01", "leading zero", at: 0),
        .init("bare fraction", ".5", "unexpected character", at: 0),
        .init("fraction without digits", "1.", "invalid number", at: 0),
        .init("exponent without digits", "1e+", "invalid number", at: 0),
        .init("lone minus", "-", "invalid number", at: 0),
        .init("number out of range", "1e400", "out of range", at: 0),
        .init("NaN", "NaN", "unexpected character", at: 0),
        .init("misspelt literal", "tru", "unexpected character", at: 0),
        .init("text after the value", #"{"a":1} x"#, "after the JSON value", at: 8),
        .init("two values", "1 2", "after the JSON value", at: 2),
        .init("unterminated string", #"{"a":"abc"#, "unterminated string", at: 5),
        .init("raw control character", "\"a\u{1}b\"", "control character", at: 2),
        .init("raw newline", "\"a\nb\"", "control character", at: 2),
        .init("unknown escape", #""\x""#, "invalid escape", at: 1),
        .init("short unicode escape", #""\u12""#, "invalid \\u escape"),
        .init("lone high surrogate", #""\uD800""#, "unpaired surrogate", at: 1),
        .init("high surrogate then a letter", #""\uD800\u0041""#, "unpaired surrogate", at: 1),
        .init("lone low surrogate", #""\uDC00""#, "unpaired surrogate", at: 1),
        .init("invalid UTF-8", [0x22, 0x61, 0xFF, 0x22], "invalid UTF-8", at: 0),
        .init("truncated UTF-8", [0x22, 0xC3, 0x22], "invalid UTF-8", at: 0),
        .init("UTF-8 encoded surrogate", [0x22, 0xED, 0xA0, 0x80, 0x22], "invalid UTF-8", at: 0),
        .init("UTF-16", Array("{\"a\":1}".utf16.flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] }), "expected a key", at: 1),
        .init("single quotes", "{'a':1}", "expected a key", at: 1),
        .init("missing colon", #"{"a" 1}"#, "expected ':'", at: 5),
        .init("unclosed array", "[1, 2", "unexpected end", at: 5),
        .init("comment", "// x\n1", "unexpected character", at: 0),
    ]

    @Test("it refuses what RFC 8259 refuses and says where", arguments: invalid)
    func refuses(_ scenario: Invalid) {
        do {
            let value = try scenario.bytes.withUnsafeBytes { try JSONValue.parse($0) }
            Issue.record("parsed as \(value)")
        } catch let error as JSONSyntaxError {
            #expect(error.message.contains(scenario.message), "\(error)")
            if let offset = scenario.offset { #expect(error.offset == offset, "\(error)") }
        } catch {
            Issue.record("threw \(error)")
        }
    }

    @Test("nesting is read to 512 levels and refused past them")
    func depth() throws {
        func nested(_ depth: Int) -> String { String(repeating: "[", count: depth) + String(repeating: "]", count: depth) }
        #expect(throws: Never.self) { try JSONValue.parse(nested(JSONValue.maximumDepth)) }
        #expect { try JSONValue.parse(nested(JSONValue.maximumDepth + 1)) } throws: { ($0 as? JSONSyntaxError)?.message.contains("deeper") == true }
        let objects = String(repeating: #"{"a":"#, count: 100_000) + "1" + String(repeating: "}", count: 100_000)
        #expect { try JSONValue.parse(objects) } throws: { ($0 as? JSONSyntaxError)?.message.contains("deeper") == true }
    }

    @Test("what JSONWriter writes reads back to the same value", arguments: 0..<200)
    func roundTrip(_ seed: Int) throws {
        var random = SplitMix64(state: UInt64(seed))
        let value = Self.randomValue(depth: 0, using: &random)
        var buffer = ByteBuffer()
        JSONWriter.write(value, into: &buffer)
        let parsed = try buffer.withUnsafeReadableBytes { try JSONValue.parse($0) }
        #expect(parsed == value, "\(String(buffer: buffer))")
        #expect(parsed == (try JSONDecoder().decode(JSONValue.self, from: Data(buffer: buffer))))
    }

    @Test("audit changes are written as JSONEncoder wrote them, so old and new entries read alike", arguments: 0..<50)
    func auditChanges(_ seed: Int) throws {
        var random = SplitMix64(state: UInt64(seed) &+ 1000)
        var changes: [String: AuditChange] = [:]
        for _ in 0..<Int.random(in: 0...6, using: &random) {
            let old: JSONValue? = Bool.random(using: &random) ? nil : Self.randomValue(depth: 1, using: &random)
            changes[Self.randomString(using: &random)] = AuditChange(old: old, new: Self.randomValue(depth: 1, using: &random))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(AuditLog.encode(changes) == String(decoding: try encoder.encode(changes), as: UTF8.self))
    }

    static func randomValue(depth: Int, using random: inout SplitMix64) -> JSONValue {
        switch Int.random(in: 0..<(depth > 3 ? 4 : 6), using: &random) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &random))
        case 2:
            switch Int.random(in: 0..<4, using: &random) {
            case 0: return .number(Double(Int.random(in: -1_000_000...1_000_000, using: &random)))
            case 1: return .number(Double.random(in: -1e6...1e6, using: &random))
            case 2:
                // Any finite, normal magnitude, either sign.
                let magnitude = Double(bitPattern: UInt64.random(in: 0x0010_0000_0000_0000...0x7FE0_0000_0000_0000, using: &random))
                return .number(Bool.random(using: &random) ? magnitude : -magnitude)
            default: return .number(Double(Int64.random(in: -(1 << 60)...(1 << 60), using: &random)))
            }
        case 3: return .string(randomString(using: &random))
        case 4: return .array((0..<Int.random(in: 0...4, using: &random)).map { _ in randomValue(depth: depth + 1, using: &random) })
        default:
            var object: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...4, using: &random) { object[randomString(using: &random)] = randomValue(depth: depth + 1, using: &random) }
            return .object(object)
        }
    }

    static func randomString(using random: inout SplitMix64) -> String {
        let pieces = ["a", "Z", "\"", "\\", "/", "\n", "\t", "\u{0}", "\u{1f}", "\u{7f}", "é", "🐿", "\u{2028}", " ", "0", "\u{FEFF}"]
        return String((0..<Int.random(in: 0...8, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined())
    }
}

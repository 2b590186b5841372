import Foundation
import NIOCore
import SnackBaseCore
import SnackBaseStore
import Testing
import NIOFoundationCompat

@Suite("JSONWriter: values and list pages")
struct JSONWriterTests {
    static let samples: [(String, JSONValue)] = [
        ("escapes", .string("quote \" backslash \\ newline \n tab \t nul \u{0} bell \u{7} slash / é 🐿")),
        ("numbers", .array([.number(0), .number(-3), .number(2.5), .number(1e300), .number(9_007_199_254_740_993), .number(-0.000001)])),
        ("nested", .object(["b": .array([.null, .bool(true), .bool(false)]), "a": .object(["z": .string("")])])),
        ("empty", .object([:])),
    ]

    @Test("what it writes parses back to the same value, as JSONEncoder's output does", arguments: samples.indices)
    func roundTrip(_ index: Int) throws {
        let (_, value) = Self.samples[index]
        var buffer = ByteBuffer()
        JSONWriter.write(value, into: &buffer)
        let written = Data(buffer: buffer)
        let decoded = try JSONDecoder().decode(JSONValue.self, from: written)
        let viaEncoder = try JSONDecoder().decode(JSONValue.self, from: try JSONEncoder().encode(value))
        #expect(decoded == viaEncoder)
        #expect(try JSONSerialization.jsonObject(with: written, options: [.fragmentsAllowed]) is Any)
    }
}

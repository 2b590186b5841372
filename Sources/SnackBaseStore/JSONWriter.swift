import NIOCore
import SnackBaseCore

/// A small, allocation-light JSON serializer for records, which are the bulk of what the API
/// sends (a list page is 50 records), and for the changes an audit entry records. Keys are written
/// in sorted order, so answers are stable. Produces the same JSON as `JSONEncoder` with
/// `[.sortedKeys, .withoutEscapingSlashes]` would for ``JSONValue`` (integral numbers below 2^53
/// without a fraction), checked by `JSONWriterTests`.
public enum JSONWriter {
    public static func write(_ value: JSONValue, into out: inout ByteBuffer) {
        switch value {
        case .null: out.writeStaticString("null")
        case .bool(let flag): _ = flag ? out.writeStaticString("true") : out.writeStaticString("false")
        case .number(let number): writeNumber(number, into: &out)
        case .string(let text): writeString(text, into: &out)
        case .array(let values):
            out.writeInteger(UInt8(ascii: "["))
            for (index, element) in values.enumerated() {
                if index > 0 { out.writeInteger(UInt8(ascii: ",")) }
                write(element, into: &out)
            }
            out.writeInteger(UInt8(ascii: "]"))
        case .object(let object): writeObject(object, into: &out)
        }
    }

    public static func writeObject(_ object: [String: JSONValue], into out: inout ByteBuffer) {
        out.writeInteger(UInt8(ascii: "{"))
        for (index, key) in object.keys.sorted().enumerated() {
            if index > 0 { out.writeInteger(UInt8(ascii: ",")) }
            writeString(key, into: &out)
            out.writeInteger(UInt8(ascii: ":"))
            write(object[key]!, into: &out)
        }
        out.writeInteger(UInt8(ascii: "}"))
    }

    public static func object(_ object: [String: JSONValue]) -> ByteBuffer {
        var out = ByteBuffer()
        out.reserveCapacity(512)
        writeObject(object, into: &out)
        return out
    }

    public static func writeNumber(_ number: Double, into out: inout ByteBuffer) {
        if number.rounded() == number, abs(number) < 9.007_199_254_740_992e15 {
            out.writeString(String(Int64(number)))
        } else if number.isFinite {
            out.writeString(String(number))
        } else {
            out.writeStaticString("null")
        }
    }

    public static func writeString(_ text: String, into out: inout ByteBuffer) {
        // Scan the UTF-8 bytes (contiguous in a native string: no copy) and write each run that
        // needs no escape at once.
        var text = text
        text.withUTF8 { bytes in
            out.writeInteger(UInt8(ascii: "\""))
            var start = 0
            for index in bytes.indices where needsEscape(bytes[index]) {
                out.writeBytes(UnsafeBufferPointer(rebasing: bytes[start..<index]))
                writeEscape(bytes[index], into: &out)
                start = index + 1
            }
            out.writeBytes(UnsafeBufferPointer(rebasing: bytes[start...]))
            out.writeInteger(UInt8(ascii: "\""))
        }
    }

    @inline(__always)
    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20
    }

    private static func writeEscape(_ byte: UInt8, into out: inout ByteBuffer) {
        switch byte {
        case UInt8(ascii: "\""): out.writeStaticString("\\\"")
        case UInt8(ascii: "\\"): out.writeStaticString("\\\\")
        case 0x0A: out.writeStaticString("\\n")
        case 0x0D: out.writeStaticString("\\r")
        case 0x09: out.writeStaticString("\\t")
        case 0x08: out.writeStaticString("\\b")
        case 0x0C: out.writeStaticString("\\f")
        default:
            let hex: StaticString = "0123456789abcdef"
            out.writeStaticString("\\u00")
            out.writeInteger(hex.utf8Start[Int(byte >> 4)])
            out.writeInteger(hex.utf8Start[Int(byte & 0x0f)])
        }
    }
}

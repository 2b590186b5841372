import NIOCore
import SnackBaseCore

/// A small, allocation-light JSON serializer for records, which are the bulk of what the API
/// sends (a list page is 50 records). Keys are written in sorted order, so answers are stable.
/// Produces the same JSON as `JSONEncoder` would for ``JSONValue`` (integral numbers below 2^53
/// without a fraction), checked by `JSONWriterTests`.
enum JSONWriter {
    static func write(_ value: JSONValue, into out: inout ByteBuffer) {
        switch value {
        case .null: out.writeStaticString("null")
        case .bool(let flag): flag ? out.writeStaticString("true") : out.writeStaticString("false")
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

    static func writeObject(_ object: [String: JSONValue], into out: inout ByteBuffer) {
        out.writeInteger(UInt8(ascii: "{"))
        for (index, key) in object.keys.sorted().enumerated() {
            if index > 0 { out.writeInteger(UInt8(ascii: ",")) }
            writeString(key, into: &out)
            out.writeInteger(UInt8(ascii: ":"))
            write(object[key]!, into: &out)
        }
        out.writeInteger(UInt8(ascii: "}"))
    }

    /// `{"items":[…],"total":n,"skip":n,"limit":n}`
    static func page(_ items: [[String: JSONValue]], total: Int, skip: Int, limit: Int) -> ByteBuffer {
        var out = ByteBuffer()
        out.reserveCapacity(256 + items.count * 512)
        out.writeStaticString("{\"items\":[")
        for (index, item) in items.enumerated() {
            if index > 0 { out.writeInteger(UInt8(ascii: ",")) }
            writeObject(item, into: &out)
        }
        out.writeString("],\"limit\":\(limit),\"skip\":\(skip),\"total\":\(total)}")
        return out
    }

    static func object(_ object: [String: JSONValue]) -> ByteBuffer {
        var out = ByteBuffer()
        out.reserveCapacity(512)
        writeObject(object, into: &out)
        return out
    }

    static func writeNumber(_ number: Double, into out: inout ByteBuffer) {
        if number.rounded() == number, abs(number) < 9.007_199_254_740_992e15 {
            out.writeString(String(Int64(number)))
        } else if number.isFinite {
            out.writeString(String(number))
        } else {
            out.writeStaticString("null")
        }
    }

    static func writeString(_ text: String, into out: inout ByteBuffer) {
        out.writeInteger(UInt8(ascii: "\""))
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var start = text.utf8.startIndex
        let utf8 = text.utf8
        var index = start
        while index != utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 {
                out.writeSubstring(text[start..<index])
                switch byte {
                case UInt8(ascii: "\""): out.writeStaticString("\\\"")
                case UInt8(ascii: "\\"): out.writeStaticString("\\\\")
                case 0x0A: out.writeStaticString("\\n")
                case 0x0D: out.writeStaticString("\\r")
                case 0x09: out.writeStaticString("\\t")
                case 0x08: out.writeStaticString("\\b")
                case 0x0C: out.writeStaticString("\\f")
                default:
                    out.writeStaticString("\\u00")
                    out.writeInteger(hex[Int(byte >> 4)])
                    out.writeInteger(hex[Int(byte & 0x0f)])
                }
                start = utf8.index(after: index)
            }
            index = utf8.index(after: index)
        }
        out.writeSubstring(text[start..<utf8.endIndex])
        out.writeInteger(UInt8(ascii: "\""))
    }
}

import Hummingbird

/// A request's query string decoded as an HTML form (`application/x-www-form-urlencoded`), the way
/// every HTTP library and browser encodes one (api.md, Conventions): `+` is a space and `%XX` a
/// UTF-8 byte, so `filter=status+%3D%3D+%22draft%22` is `status == "draft"`.
///
/// Hummingbird's `uri.queryParameters` decodes `%XX` but keeps `+`, which turned every filter that
/// Python's `requests`, axios or a form sent with a space into a 400. Decoding follows the WHATWG URL
/// standard's form parser: a `%` not followed by two hex digits stays as it is, and bytes that are
/// not UTF-8 become U+FFFD. The first of repeated names is the one a lookup sees.
public struct FormQuery: Sendable {
    /// Every name and value in the order sent.
    public let pairs: [(name: String, value: String)]

    public init(_ request: Request) {
        self.init(query: request.uri.query ?? "")
    }

    public init(query: String) {
        var pairs: [(name: String, value: String)] = []
        for part in query.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            if let equals = part.firstIndex(of: UInt8(ascii: "=")) {
                pairs.append((Self.decode(part[part.startIndex..<equals]), Self.decode(part[part.index(after: equals)...])))
            } else {
                pairs.append((Self.decode(part), ""))
            }
        }
        self.pairs = pairs
    }

    /// The first value sent under `name`.
    public subscript(name: String) -> String? {
        pairs.first { $0.name == name }?.value
    }

    /// One name or value: `+` to a space, `%XX` to its byte, the bytes read as UTF-8.
    static func decode(_ bytes: Substring.UTF8View.SubSequence) -> String {
        // The common case (nothing encoded) copies once.
        guard bytes.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "%") }) else { return String(Substring(bytes)) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"),
                      let high = bytes.index(index, offsetBy: 1, limitedBy: bytes.endIndex), high < bytes.endIndex,
                      let low = bytes.index(high, offsetBy: 1, limitedBy: bytes.endIndex), low < bytes.endIndex,
                      let h = hexValue(bytes[high]), let l = hexValue(bytes[low]) {
                out.append(h << 4 | l)
                index = low
            } else {
                out.append(byte)
            }
            index = bytes.index(after: index)
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// The small encoders MailMessage needs: RFC 2047 encoded-words, quoted-printable (RFC 2045),
/// base64, line-ending normalisation and the RFC 5322 date. Pure functions, no Foundation.
enum MIMEEncoding {
    /// Replaces CR, LF and every other control character by a space, so a header value
    /// can never end a header line early (header injection).
    static func neutralizeHeaderText(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for s in text.unicodeScalars {
            if s.value < 0x20 || s.value == 0x7F || (0x80...0x9F).contains(s.value) || s == "\u{2028}" || s == "\u{2029}" || s == "\u{85}" {
                out.append(" ")
            } else {
                out.append(s)
            }
        }
        return String(out).trimmingSpaces()
    }

    /// Whether a header text can go out as-is (printable ASCII, no encoded-word look-alikes, short).
    static func isPlainHeaderText(_ text: String) -> Bool {
        text.utf8.count <= 70 && !text.contains("=?") && text.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F }
    }

    /// `=?UTF-8?B?…?=` words of at most 64 characters each, never splitting a Unicode scalar.
    static func encodedWords(_ text: String) -> [String] {
        var words: [String] = []
        var chunk: [UInt8] = []
        for s in text.unicodeScalars {
            let bytes = Array(String(s).utf8)
            if chunk.count + bytes.count > 39 {
                words.append("=?UTF-8?B?" + base64(chunk) + "?=")
                chunk.removeAll(keepingCapacity: true)
            }
            chunk.append(contentsOf: bytes)
        }
        if !chunk.isEmpty || words.isEmpty { words.append("=?UTF-8?B?" + base64(chunk) + "?=") }
        return words
    }

    /// A header value ready to follow `Name: `: plain text or folded encoded-words.
    static func headerText(_ text: String) -> String {
        let cleaned = neutralizeHeaderText(text)
        if isPlainHeaderText(cleaned) { return cleaned }
        return encodedWords(cleaned).joined(separator: "\r\n ")
    }

    private static let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func base64<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var it = bytes.makeIterator()
        while let b0 = it.next() {
            let b1 = it.next(), b2 = it.next()
            out.append(base64Alphabet[Int(b0 >> 2)])
            out.append(base64Alphabet[Int((b0 & 0x03) << 4 | (b1 ?? 0) >> 4)])
            out.append(b1.map { base64Alphabet[Int(($0 & 0x0F) << 2 | (b2 ?? 0) >> 6)] } ?? UInt8(ascii: "="))
            out.append(b2.map { base64Alphabet[Int($0 & 0x3F)] } ?? UInt8(ascii: "="))
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Splits text into lines on CRLF, lone CR or lone LF.
    static func lines(_ text: String) -> [Substring.UTF8View] {
        var result: [Substring.UTF8View] = []
        let utf8 = text.utf8
        var start = utf8.startIndex
        var i = start
        while i != utf8.endIndex {
            let b = utf8[i]
            if b == UInt8(ascii: "\r") || b == UInt8(ascii: "\n") {
                result.append(Substring(text)[start..<i].utf8)
                var next = utf8.index(after: i)
                if b == UInt8(ascii: "\r"), next != utf8.endIndex, utf8[next] == UInt8(ascii: "\n") { next = utf8.index(after: next) }
                i = next
                start = i
            } else {
                i = utf8.index(after: i)
            }
        }
        result.append(Substring(text)[start..<utf8.endIndex].utf8)
        return result
    }

    /// Quoted-printable (RFC 2045 §6.7) of UTF-8 text, CRLF line endings, lines ≤ 76 characters.
    static func quotedPrintable(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        let allLines = lines(text)
        for (n, line) in allLines.enumerated() {
            var lineLength = 0
            let bytes = Array(line)
            for (i, b) in bytes.enumerated() {
                let isLast = i == bytes.count - 1
                var token: [UInt8]
                if (b >= 33 && b <= 126 && b != UInt8(ascii: "=")) || ((b == 0x20 || b == 0x09) && !isLast) {
                    token = [b]
                } else {
                    token = [UInt8(ascii: "="), hex[Int(b >> 4)], hex[Int(b & 0x0F)]]
                }
                // Keep room for a soft break "=" (76 incl. "="); the last token of a line needs no "=".
                let limit = isLast ? 76 : 75
                if lineLength + token.count > limit {
                    out.append(contentsOf: [UInt8(ascii: "="), 13, 10])
                    lineLength = 0
                }
                out.append(contentsOf: token)
                lineLength += token.count
            }
            if n != allLines.count - 1 { out.append(contentsOf: [13, 10]) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// RFC 5322 date in UTC, e.g. `Wed, 02 Dec 2026 04:18:43 +0000`.
    static func rfc5322Date(secondsSince1970 t: Int64) -> String {
        let (y, m, d, hh, mm, ss, wd) = civil(t)
        let days = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        return "\(days[wd]), \(pad(d)) \(months[m - 1]) \(y) \(pad(hh)):\(pad(mm)):\(pad(ss)) +0000"
    }

    /// `20261202T041843Z`-style stamp for file names.
    static func compactTimestamp(secondsSince1970 t: Int64) -> String {
        let (y, m, d, hh, mm, ss, _) = civil(t)
        return "\(y)\(pad(m))\(pad(d))T\(pad(hh))\(pad(mm))\(pad(ss))Z"
    }

    private static func pad(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }

    /// Proleptic Gregorian civil date from Unix time (H. Hinnant's days_from_civil inverse).
    /// Weekday index 0 = Thursday (1970-01-01).
    private static func civil(_ t: Int64) -> (Int, Int, Int, Int, Int, Int, Int) {
        var days = t / 86_400
        var secs = t % 86_400
        if secs < 0 { secs += 86_400; days -= 1 }
        let wd = Int(((days % 7) + 7) % 7)
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return (Int(y), Int(m), Int(d), Int(secs / 3600), Int(secs % 3600 / 60), Int(secs % 60), wd)
    }

    /// Random lowercase hex, `byteCount` bytes of entropy.
    static func randomHex(byteCount: Int) -> String {
        var rng = SystemRandomNumberGenerator()
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for _ in 0..<byteCount {
            let b = UInt8.random(in: 0...255, using: &rng)
            out.append(hex[Int(b >> 4)]); out.append(hex[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension String {
    func trimmingSpaces() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { $0 != " " }) else { return "" }
        let last = scalars.lastIndex(where: { $0 != " " })!
        return String(scalars[first...last])
    }
}

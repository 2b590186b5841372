/// RFC 3339 date-times in the one canonical form rules compare: UTC, milliseconds,
/// `YYYY-MM-DDTHH:MM:SS.mmmZ` — so that text order is time order, in Swift and in both databases.
public enum RuleDateTime {
    /// Parses an RFC 3339 date-time (`T`/`t`/space separator, `Z`/`z` or a `±HH:MM` offset, 0–9 fraction
    /// digits, truncated to milliseconds) and returns it in canonical UTC form, or nil. Leap seconds
    /// (`:60`) and years outside 0000–9999 after conversion to UTC are rejected.
    ///
    /// `canonical("2024-03-01T10:00:00+02:00") == "2024-03-01T08:00:00.000Z"`
    public static func canonical(_ text: String) -> String? {
        let b = Array(text.utf8)
        var i = 0
        func digits(_ count: Int) -> Int? {
            guard i + count <= b.count else { return nil }
            var value = 0
            for k in 0..<count {
                let d = b[i + k]
                guard d >= 0x30 && d <= 0x39 else { return nil }
                value = value * 10 + Int(d - 0x30)
            }
            i += count
            return value
        }
        func expect(_ chars: String) -> Bool {
            guard i < b.count, chars.utf8.contains(b[i]) else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), expect("-"), let month = digits(2), expect("-"), let day = digits(2),
              expect("Tt "), let hour = digits(2), expect(":"), let minute = digits(2), expect(":"),
              let second = digits(2) else { return nil }
        var millis = 0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var count = 0
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                if count < 3 { millis = millis * 10 + Int(b[i] - 0x30) }
                count += 1
                i += 1
            }
            guard count >= 1, count <= 9 else { return nil }
            for _ in min(count, 3)..<3 { millis *= 10 }
        }
        var offsetMinutes = 0
        if expect("Zz") {
        } else if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            guard let offsetHour = digits(2), expect(":"), let offsetMinute = digits(2),
                  offsetHour <= 23, offsetMinute <= 59 else { return nil }
            offsetMinutes = sign * (offsetHour * 60 + offsetMinute)
        } else {
            return nil
        }
        guard i == b.count, (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
              hour <= 23, minute <= 59, second <= 59 else { return nil }
        var totalMinutes = daysFromCivil(year: year, month: month, day: day) * 1440 + hour * 60 + minute - offsetMinutes
        let days = floorDiv(totalMinutes, 1440)
        totalMinutes -= days * 1440
        let (y, m, d) = civilFromDays(days)
        guard (0...9999).contains(y) else { return nil }
        return format(y, m, d, totalMinutes / 60, totalMinutes % 60, second, millis)
    }

    /// The canonical form of a point in time given as milliseconds since 1970-01-01T00:00:00Z
    /// (e.g. the request time), or nil outside years 0000–9999.
    public static func canonical(unixMilliseconds: Int64) -> String? {
        guard unixMilliseconds > -62_167_219_200_000, unixMilliseconds < 253_402_300_800_000 else { return nil }
        let ms = Int(unixMilliseconds)
        let days = floorDiv(ms, 86_400_000)
        var rest = ms - days * 86_400_000
        let millis = rest % 1000
        rest /= 1000
        let (y, m, d) = civilFromDays(days)
        return format(y, m, d, rest / 3600, (rest / 60) % 60, rest % 60, millis)
    }

    private static func format(_ y: Int, _ m: Int, _ d: Int, _ h: Int, _ mi: Int, _ s: Int, _ ms: Int) -> String {
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(h, 2)):\(pad(mi, 2)):\(pad(s, 2)).\(pad(ms, 3))Z"
    }

    private static func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }

    private static func isLeap(_ year: Int) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 (Howard Hinnant's algorithm).
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    private static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}

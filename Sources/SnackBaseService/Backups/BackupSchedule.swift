import Foundation

/// When scheduled backups run (`SNACKBASE_BACKUP_SCHEDULE`): `daily@HH:MM` (UTC) or `every <n>m|h|d`.
///
/// ```swift
/// let schedule = try BackupSchedule(parsing: "every 6h")
/// schedule.next(after: Date())   // six hours from now
/// ```
public enum BackupSchedule: Sendable, Equatable {
    case daily(hour: Int, minute: Int)
    case every(seconds: Int)

    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public init(parsing text: String) throws(ParseError) {
        let text = text.trimmingCharacters(in: .whitespaces).lowercased()
        let expected = "expected daily@HH:MM (UTC) or every <n>m, <n>h or <n>d, got '\(text.prefix(40))'"
        if text.hasPrefix("daily@") {
            let parts = text.dropFirst("daily@".count).split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCII) }),
                  let hour = Int(parts[0]), let minute = Int(parts[1]), (0...23).contains(hour), (0...59).contains(minute)
            else { throw ParseError(description: expected) }
            self = .daily(hour: hour, minute: minute)
            return
        }
        if text.hasPrefix("every ") {
            let amount = text.dropFirst("every ".count).trimmingCharacters(in: .whitespaces)
            guard let unit = amount.last, let count = Int(amount.dropLast()), amount.dropLast().allSatisfy(\.isASCII), count >= 1 else {
                throw ParseError(description: expected)
            }
            let seconds: Int
            switch unit {
            case "m": seconds = 60
            case "h": seconds = 3600
            case "d": seconds = 86400
            default: throw ParseError(description: expected)
            }
            guard count <= 366 * 86400 / seconds else { throw ParseError(description: "at most every 366d, got '\(text.prefix(40))'") }
            self = .every(seconds: count * seconds)
            return
        }
        throw ParseError(description: expected)
    }

    /// The first run strictly after `date`.
    public func next(after date: Date) -> Date {
        switch self {
        case .every(let seconds):
            return date.addingTimeInterval(TimeInterval(seconds))
        case .daily(let hour, let minute):
            let now = Int(date.timeIntervalSince1970.rounded(.down))
            let day = now - ((now % 86400) + 86400) % 86400
            var next = day + hour * 3600 + minute * 60
            if next <= now { next += 86400 }
            return Date(timeIntervalSince1970: TimeInterval(next))
        }
    }
}

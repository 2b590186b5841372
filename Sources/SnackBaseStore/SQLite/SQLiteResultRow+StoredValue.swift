import SnackBaseCore
import SQLiteNIO

extension SQLiteResultRow {
    /// The column as a ``StoredValue`` of `type` when SQLite holds exactly that kind of value
    /// (or NULL); nil for anything else, which the caller decodes the general way.
    func storedValue(_ column: String, as type: FieldType) -> StoredValue? {
        guard let offset = names.index[column] else { return nil }
        switch (type, values[offset]) {
        case (.number, .float(let number)): return .number(number)
        case (.number, .integer(let number)): return .number(Double(number))
        case (.number, .null): return .number(nil)
        case (.boolean, .integer(let flag)) where flag == 0 || flag == 1: return .bool(flag == 1)
        case (.boolean, .null): return .bool(nil)
        case (.text, .text(let text)), (.datetime, .text(let text)), (.email, .text(let text)),
             (.url, .text(let text)), (.json, .text(let text)), (.reference, .text(let text)):
            return .text(text)
        case (.text, .null), (.datetime, .null), (.email, .null), (.url, .null), (.json, .null), (.reference, .null):
            return .text(nil)
        default: return nil
        }
    }
}

import Foundation
import NIOCore
import SnackBaseCore

/// Records as CSV (RFC 4180), for `GET /records/{collection}/export?format=csv` and the import of a
/// CSV body: a header row of field names, then one row per record.
///
/// - A cell is quoted when it holds a comma, a quote, a line break or leading or trailing spaces.
/// - An empty cell is no value: absent on import (the field's default, or null), null on export.
///   CSV has no way to tell an empty text from none.
/// - Booleans are `true` and `false`; a `json` field's cell is its JSON text.
/// - A text that starts with `=`, `+`, `-`, `@`, a tab, a carriage return or `'` is written with a
///   `'` before it, so that a spreadsheet shows it instead of running it as a formula (OWASP, CSV
///   injection). An import drops that one `'` from a text field's cell: the round trip is exact.
enum RecordCSV {
    // MARK: writing

    /// The cell of one value as the JSON of a record shows it (nil: not shown to the caller);
    /// `json`: the value of a `json` field, whose cell is always JSON text (a string too).
    static func cell(_ value: JSONValue?, json: Bool) -> String {
        switch value {
        case nil, .null?: return ""
        case let value? where json: return jsonText(value)
        case .bool(let flag)?: return flag ? "true" : "false"
        case .number(let number)?:
            if number.rounded() == number, abs(number) < 9.007_199_254_740_992e15 { return String(Int64(number)) }
            return String(number)
        case .string(let text)?: return guardedAgainstFormulas(text)
        case .array?, .object?: return jsonText(value!)
        }
    }

    static func guardedAgainstFormulas(_ text: String) -> String {
        guard let first = text.unicodeScalars.first, formulaStarts.contains(first) else { return text }
        return "'" + text
    }

    private static let formulaStarts: Set<Unicode.Scalar> = ["=", "+", "-", "@", "\t", "\r", "'"]

    private static let jsonEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }()

    static func jsonText(_ value: JSONValue) -> String {
        // JSONValue encodes without failing (no non-finite numbers are ever stored).
        (try? jsonEncoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    /// Appends one row (CRLF-terminated, as RFC 4180 has it).
    static func writeRow(_ cells: [String], into out: inout ByteBuffer) {
        for (index, cell) in cells.enumerated() {
            if index > 0 { out.writeInteger(UInt8(ascii: ",")) }
            if needsQuotes(cell) {
                out.writeInteger(UInt8(ascii: "\""))
                out.writeString(cell.replacingOccurrences(of: "\"", with: "\"\""))
                out.writeInteger(UInt8(ascii: "\""))
            } else {
                out.writeString(cell)
            }
        }
        out.writeString("\r\n")
    }

    private static func needsQuotes(_ cell: String) -> Bool {
        cell.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }
            || cell.first == " " || cell.last == " "
    }

    // MARK: reading

    /// One row of a CSV body: the line it starts on (from 1) and its cells.
    struct Row {
        let line: Int
        let cells: [String]
    }

    /// The rows of `bytes` (UTF-8, a BOM skipped), blank lines skipped; a quote left open is a 400.
    static func rows(_ bytes: ByteBuffer) throws -> [Row] {
        var view = bytes.readableBytesView[...]
        if view.starts(with: [0xEF, 0xBB, 0xBF]) { view = view.dropFirst(3) }
        var rows: [Row] = []
        var cells: [String] = []
        var cell: [UInt8] = []
        var quoted = false, wasQuoted = false
        var line = 1, rowLine = 1
        var index = view.startIndex
        func endCell() {
            cells.append(String(decoding: cell, as: UTF8.self))
            cell.removeAll(keepingCapacity: true)
            wasQuoted = false
        }
        func endRow() {
            endCell()
            if !(cells.count == 1 && cells[0].isEmpty) { rows.append(Row(line: rowLine, cells: cells)) }
            cells.removeAll()
        }
        while index < view.endIndex {
            let byte = view[index]
            index = view.index(after: index)
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if index < view.endIndex, view[index] == UInt8(ascii: "\"") {
                        cell.append(byte)
                        index = view.index(after: index)
                    } else {
                        quoted = false
                    }
                } else {
                    if byte == UInt8(ascii: "\n") { line += 1 }
                    cell.append(byte)
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                guard cell.isEmpty, !wasQuoted else {
                    throw SnackBaseError.badRequest("CSV line \(line): a quote inside an unquoted cell; quote the cell and double the quote")
                }
                quoted = true
                wasQuoted = true
            case UInt8(ascii: ","):
                endCell()
            case UInt8(ascii: "\r") where index < view.endIndex && view[index] == UInt8(ascii: "\n"):
                break
            case UInt8(ascii: "\n"):
                endRow()
                line += 1
                rowLine = line
            default:
                guard !wasQuoted else {
                    throw SnackBaseError.badRequest("CSV line \(line): text after a quoted cell's closing quote")
                }
                cell.append(byte)
            }
        }
        guard !quoted else { throw SnackBaseError.badRequest("CSV line \(rowLine): a quoted cell is never closed") }
        if !cell.isEmpty || !cells.isEmpty || wasQuoted { endRow() }
        return rows
    }

    /// A row as the JSON body a create takes: each non-empty cell read as its field's type (a
    /// column that names no field is passed on as text, for the create's validation to refuse).
    static func body(_ row: Row, header: [String], collection: CollectionSchema) -> Result<[String: JSONValue], SnackBaseError> {
        guard row.cells.count == header.count else {
            return .failure(SnackBaseError.validation(field: "line", "has \(row.cells.count) cells; the header has \(header.count)"))
        }
        var body: [String: JSONValue] = [:]
        var problems: [SnackBaseError.Detail] = []
        for (name, cell) in zip(header, row.cells) where !cell.isEmpty {
            switch collection.field(name)?.type {
            case .number?:
                if let number = Double(cell.trimmingCharacters(in: .whitespaces)), number.isFinite {
                    body[name] = .number(number)
                } else {
                    problems.append(.init(field: name, message: "must be a number"))
                }
            case .boolean?:
                switch cell.trimmingCharacters(in: .whitespaces).lowercased() {
                case "true": body[name] = .bool(true)
                case "false": body[name] = .bool(false)
                default: problems.append(.init(field: name, message: "must be true or false"))
                }
            case .json?:
                if let value = try? JSONBody.value(of: ByteBuffer(string: cell)) {
                    body[name] = value
                } else {
                    problems.append(.init(field: name, message: "must be JSON text"))
                }
            case .text?, .datetime?, .email?, .url?, .reference?, nil:
                body[name] = .string(cell.hasPrefix("'") ? String(cell.dropFirst()) : cell)
            }
        }
        guard problems.isEmpty else { return .failure(SnackBaseError.validation(problems)) }
        return .success(body)
    }
}

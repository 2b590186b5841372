import PostgresKit
import PostgresNIO
import SQLKit
import SnackBaseCore
import Synchronization

/// A row of PostgreSQL's answer, as ``OpenConnectionDatabase`` hands it on: a record's columns are read
/// straight from their cells when they hold the type the field is stored as (``storedValue(_:as:)``,
/// as `SQLiteResultRow` does for SQLite), and everything else through PostgresKit's `SQLRow`, made
/// when first asked. PostgresKit's decoding looks up each value's conformance at run time and builds a
/// coding path for it: a page of fifty records spent 13 % of the server's CPU in S6 there.
final class PostgresResultRow: SQLRow, Sendable {
    private let row: PostgresRow
    private let cells: PostgresRandomAccessRow
    private let general = Mutex<(any SQLRow)?>(nil)

    init(_ row: PostgresRow) {
        self.row = row
        self.cells = PostgresRandomAccessRow(row)
    }

    /// PostgresKit's row over the same cells, for any decoding but a stored value's.
    private var generalRow: any SQLRow {
        general.withLock { general in
            if let general { return general }
            let made = row.sql()
            general = made
            return made
        }
    }

    var allColumns: [String] { cells.map(\.columnName) }
    func contains(column: String) -> Bool { cells.contains(column) }
    func decodeNil(column: String) throws -> Bool { !cells.contains(column) || cells[column].bytes == nil }
    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D { try generalRow.decode(column: column, as: type) }

    /// The column as a ``StoredValue`` of `type` when its cell holds what that type is stored as
    /// (`DOUBLE PRECISION`, `BOOLEAN`, `TEXT`) or NULL; nil for anything else, which the caller decodes
    /// the general way.
    func storedValue(_ column: String, as type: FieldType) -> StoredValue? {
        guard cells.contains(column) else { return nil }
        let cell = cells[column]
        switch type {
        case .number:
            if cell.bytes == nil { return .number(nil) }
            guard cell.dataType == .float8, let number = try? cell.decode(Double.self) else { return nil }
            return .number(number)
        case .boolean:
            if cell.bytes == nil { return .bool(nil) }
            guard cell.dataType == .bool, let flag = try? cell.decode(Bool.self) else { return nil }
            return .bool(flag)
        case .text, .datetime, .email, .url, .json, .reference:
            if cell.bytes == nil { return .text(nil) }
            guard cell.dataType == .text || cell.dataType == .varchar, let text = try? cell.decode(String.self) else { return nil }
            return .text(text)
        }
    }
}

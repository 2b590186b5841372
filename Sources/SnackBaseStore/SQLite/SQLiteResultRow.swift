import SQLKit
import SQLiteKit
import SQLiteNIO

/// One result row, decoded the way SQLiteKit decodes its own rows.
struct SQLiteResultRow: SQLRow {
    let names: SQLiteColumnNames
    let values: [SQLiteData]

    var allColumns: [String] { names.names }

    func contains(column: String) -> Bool {
        names.index[column] != nil
    }

    func value(_ column: String) throws -> SQLiteData {
        guard let offset = names.index[column] else { throw MissingColumn(column: column) }
        return values[offset]
    }

    func decodeNil(column: String) throws -> Bool {
        if case .null = try value(column) { return true }
        return false
    }

    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
        let data = try value(column)
        // The common shapes first; anything else goes through SQLiteKit's decoder.
        switch data {
        case .text(let text):
            if let text = text as? D { return text }
            if let text = Optional(text) as? D { return text }
        case .float(let double):
            if let double = double as? D { return double }
            if let double = Optional(double) as? D { return double }
        case .integer(let integer):
            if let integer = integer as? D { return integer }
            if let integer = Optional(integer) as? D { return integer }
        case .null:
            if let none = Optional<String>.none as? D { return none }
            if let none = Optional<Double>.none as? D { return none }
        case .blob:
            break
        }
        return try SQLiteDataDecoder().decode(D.self, from: data)
    }

    struct MissingColumn: Error, CustomStringConvertible {
        let column: String
        var description: String { "no column \(column) in the result" }
    }
}

import SQLKit
import SnackBaseCore
import Foundation

/// One versioned step of the schema. Statements are written once, with `{BOOL}` and `{REAL}`
/// standing for the column types that differ between SQLite and PostgreSQL; what cannot be
/// written once (triggers, say) goes in `sqlite` or `postgres`, run after the shared statements.
struct Migration: Sendable {
    let version: Int
    let name: String
    let statements: [String]
    var sqlite: [String] = []
    var postgres: [String] = []

    func sql(for kind: DatabaseKind) -> [String] {
        let specific: [String]
        switch kind {
        case .sqlite: specific = sqlite
        case .postgres: specific = postgres
        }
        return (statements + specific).map { statement in
            switch kind {
            case .sqlite:
                statement.replacingOccurrences(of: "{BOOL}", with: "INTEGER").replacingOccurrences(of: "{REAL}", with: "REAL")
            case .postgres:
                statement.replacingOccurrences(of: "{BOOL}", with: "BOOLEAN").replacingOccurrences(of: "{REAL}", with: "DOUBLE PRECISION")
            }
        }
    }
}

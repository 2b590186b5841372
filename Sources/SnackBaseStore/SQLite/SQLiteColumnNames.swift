/// The column names of one statement's results, shared by all its rows.
final class SQLiteColumnNames: Sendable {
    let names: [String]
    let index: [String: Int]
    /// How many times SQLite had re-prepared the statement when the names were read.
    let preparation: Int32

    init(_ names: [String], preparation: Int32) {
        self.names = names
        self.preparation = preparation
        self.index = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }
}

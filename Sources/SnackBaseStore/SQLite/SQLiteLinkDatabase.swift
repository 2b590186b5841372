import Logging
import NIOCore
import SQLKit
import SQLiteKit
import SQLiteNIO

/// SQLKit's view of a ``SQLiteLink``: the same serializer, dialect and bind encoding as
/// SQLiteKit, executed synchronously through the link.
struct SQLiteLinkDatabase: SQLDatabase {
    enum Target: Sendable {
        /// The write connection, inside a transaction that holds it.
        case writer(SQLiteLink)
        /// Any idle read connection, per statement.
        case readers(SQLiteReaderPool)
    }

    let target: Target
    let logger: Logger
    let eventLoop: any EventLoop
    var dialect: any SQLDialect { SQLiteDialect() }
    var queryLogLevel: Logger.Level? { .trace }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        eventLoop.makeCompletedFuture { try run(query, onRow) }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        try run(query, onRow)
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await closure(self)
    }

    private func run(_ query: any SQLExpression, _ onRow: (any SQLRow) -> ()) throws {
        var serializer = SQLSerializer(database: self)
        query.serialize(to: &serializer)
        // As SQLKit's drivers do: the statement's text at trace level (the bound values are not logged).
        logger.log(level: .trace, "Executing query", metadata: ["sql": .string(serializer.sql)])
        let encoder = SQLiteDataEncoder()
        let binds = try serializer.binds.map { bind -> SQLiteData in
            switch bind {
            case let text as String: .text(text)
            case let double as Double: .float(double)
            case let integer as Int: .integer(integer)
            default: try encoder.encode(bind)
            }
        }
        switch target {
        case .writer(let link):
            try link.run(serializer.sql, binds) { onRow($0) }
        case .readers(let pool):
            try pool.withLink { try $0.run(serializer.sql, binds) { onRow($0) } }
        }
    }
}

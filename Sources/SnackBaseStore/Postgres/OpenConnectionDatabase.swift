import Logging
import NIOCore
import PostgresKit
import PostgresNIO
import SQLKit

/// A connection's `SQLDatabase` whose statements are never lost on a closed connection.
///
/// PostgresNIO hands a query to its channel without a promise for the hand-over: handed to a
/// channel that has closed (the server went away between two statements), the query is dropped
/// and its answer never comes, so the request waits forever (scripts/outage-test met it once in
/// about twenty runs: one create sent as PostgreSQL stopped got no answer). Here each statement is
/// handed over on the connection's event loop, right after seeing the channel open there: the
/// channel closes on that loop too, so between the look and the hand-over it cannot, and a query the
/// channel has taken is answered or failed by PostgresNIO when it closes. A closed connection fails
/// the statement at once with ``DatabaseUnavailable``.
struct OpenConnectionDatabase: SQLDatabase {
    let base: any SQLDatabase
    let connection: PostgresConnection

    init(_ connection: PostgresConnection, queryLogLevel: Logger.Level? = .debug) {
        self.connection = connection
        self.base = connection.sql(queryLogLevel: queryLogLevel)
    }

    var logger: Logger { base.logger }
    var eventLoop: any EventLoop { base.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { base.version }
    var dialect: any SQLDialect { base.dialect }
    var queryLogLevel: Logger.Level? { base.queryLogLevel }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        let loop = connection.eventLoop
        let connection = connection, base = base
        guard loop.inEventLoop else {
            return loop.flatSubmit {
                connection.isClosed ? loop.makeFailedFuture(DatabaseUnavailable()) : base.execute(sql: query, onRow)
            }
        }
        return connection.isClosed ? loop.makeFailedFuture(DatabaseUnavailable()) : base.execute(sql: query, onRow)
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        try await execute(sql: query, onRow).get()
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await closure(self)
    }
}

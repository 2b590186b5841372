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
        let send = statement(query, onRow)
        guard loop.inEventLoop else { return loop.flatSubmit(send) }
        return send()
    }

    /// Hands `query` to the connection, on its loop, unless it has closed. Through PostgresNIO itself when
    /// every bound value is one of its own types (what PostgresKit does for them too), so that the rows come
    /// as ``PostgresResultRow``s; else through PostgresKit.
    private func statement(
        _ query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()
    ) -> @Sendable () -> EventLoopFuture<Void> {
        let connection = connection, base = base, logger = logger
        var serializer = SQLSerializer(database: self)
        query.serialize(to: &serializer)
        var bindings = PostgresBindings(capacity: serializer.binds.count)
        for bind in serializer.binds {
            if (bind as? any OptionalValue)?.isNone == true {
                bindings.appendNull()
            } else if let value = bind as? any PostgresThrowingDynamicTypeEncodable, (try? bindings.append(value, context: .default)) != nil {
                continue
            } else {
                return { connection.isClosed ? connection.eventLoop.makeFailedFuture(DatabaseUnavailable()) : base.execute(sql: query, onRow) }
            }
        }
        let prepared = PostgresQuery(unsafeSQL: serializer.sql, binds: bindings)
        if let level = base.queryLogLevel {
            logger.log(level: level, "Executing query", metadata: ["sql": .string(serializer.sql)])
        }
        return {
            guard !connection.isClosed else { return connection.eventLoop.makeFailedFuture(DatabaseUnavailable()) }
            return connection.query(prepared, logger: logger) { row in onRow(PostgresResultRow(row)) }.map { _ in }
        }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        try await execute(sql: query, onRow).get()
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await closure(self)
    }
}

/// An `Optional`, whatever it wraps: a bound value that is `nil` is bound as NULL.
private protocol OptionalValue {
    var isNone: Bool { get }
}

extension Optional: OptionalValue {
    fileprivate var isNone: Bool { self == nil }
}

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
///
/// A ``Preparable`` statement runs as a named prepared statement (``PreparedStatements``) when `prepares`
/// and the caller runs on the connection's event loop (the server with one CPU, where every task runs on
/// its one loop); elsewhere unnamed, as any other.
struct OpenConnectionDatabase: SQLDatabase {
    let base: any SQLDatabase
    let connection: PostgresConnection
    let prepares: Bool

    init(_ connection: PostgresConnection, queryLogLevel: Logger.Level? = .debug, prepares: Bool = false) {
        self.connection = connection
        self.base = connection.sql(queryLogLevel: queryLogLevel)
        self.prepares = prepares
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
        guard let (bindings, _) = Self.bindings(of: serializer.binds) else {
            return { connection.isClosed ? connection.eventLoop.makeFailedFuture(DatabaseUnavailable()) : base.execute(sql: query, onRow) }
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

    /// `binds` encoded by PostgresNIO, with their types' numbers (0 for NULL, whose type PostgreSQL infers);
    /// nil when one is not a PostgresNIO type (PostgresKit then binds them all).
    private static func bindings(of binds: [any Encodable & Sendable]) -> (PostgresBindings, [UInt32])? {
        var bindings = PostgresBindings(capacity: binds.count)
        var types: [UInt32] = []
        types.reserveCapacity(binds.count)
        for bind in binds {
            if (bind as? any OptionalValue)?.isNone == true {
                bindings.appendNull()
                types.append(0)
            } else if let value = bind as? any PostgresThrowingDynamicTypeEncodable, (try? bindings.append(value, context: .default)) != nil {
                types.append(value.psqlType.rawValue)
            } else {
                return nil
            }
        }
        return (bindings, types)
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        if prepares, query is any Preparable, connection.eventLoop.inEventLoop {
            do {
                return try await executeNamed(query, onRow)
            } catch is NamedStatement.NotSent {
                // Unnamed, below.
            }
        }
        try await execute(sql: query, onRow).get()
    }

    /// Runs `query` as a named prepared statement; throws ``NamedStatement/NotSent`` when it was not sent.
    private func executeNamed(_ query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        var serializer = SQLSerializer(database: self)
        query.serialize(to: &serializer)
        let sql = serializer.sql
        guard let (bindings, types) = Self.bindings(of: serializer.binds) else { throw NamedStatement.NotSent() }
        let text = sql + "\u{0}" + types.map(String.init).joined(separator: ",")
        guard let name = PreparedStatements.name(of: text) else { throw NamedStatement.NotSent() }
        if let level = base.queryLogLevel {
            logger.log(level: level, "Executing query", metadata: ["sql": .string(sql), "statement": .string(name)])
        }
        do {
            try await NamedStatement.$current.withValue(.init(name: name, sql: sql)) {
                let rows = try await connection.execute(NamedStatement(bindings: bindings, connection: connection), logger: logger)
                for try await row in rows { onRow(PostgresResultRow(row)) }
            }
        } catch let error as NamedStatement.NotSent {
            throw error
        } catch let error as DatabaseUnavailable {
            throw error
        } catch {
            if !PreparedStatements.isRunFailure(error) { PreparedStatements.renew(text) }
            throw error
        }
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

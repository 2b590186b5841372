import PostgresNIO
import SQLKit
import Synchronization

/// A statement PostgreSQL may keep parsed and planned on each connection (a named prepared
/// statement, ``PreparedStatements``); on SQLite, and wherever it is not prepared, it runs as any other.
///
/// Only for statements whose answer has no rows (a record's `INSERT`) or rows of a shape no table
/// decides (the transaction's opening `SELECT set_config(…)`): PostgreSQL refuses to run a prepared
/// statement whose rows would change shape (a column added to a table under a `SELECT *`: "cached plan
/// must not change result type").
///
/// And only where the caller waits for the answer before its next statement (``OpenConnectionDatabase``'s
/// `async` path; the future-based one sends it unnamed): where a name is not prepared on the connection
/// yet, PostgresNIO queues the preparation, and the run only once the preparation is answered, behind
/// whatever was queued meanwhile. A statement sent without waiting (the audit appends, with the `COMMIT`
/// right behind them) would run after the `COMMIT`, outside its transaction; PreparedStatementTests met it.
protocol Preparable: SQLExpression {}

/// `expression`, ``Preparable``.
struct Prepared: Preparable {
    let expression: any SQLExpression

    func serialize(to serializer: inout SQLSerializer) { expression.serialize(to: &serializer) }
}

/// The names of the statements prepared on PostgreSQL's connections.
///
/// On PostgreSQL each statement sent unnamed is parsed, analysed and planned by the server, and
/// described back, every time; a named one is parsed once per connection and then only bound and run
/// (PostgresNIO keeps, per connection, which names it has prepared). On S3 a create's `INSERT` is about
/// half the statements.
///
/// A name stands for one text: the SQL and the types of its binds (PostgreSQL fixes a prepared
/// statement's parameter types when it parses it, so the same SQL bound with an integer one time and a
/// double the next must be two statements, or the double's bytes would be read as an integer's). Names
/// are numbers from a counter and never reused in the process, so two texts never share one (a hash
/// could collide, and a create would then run another collection's `INSERT`).
///
/// PostgresNIO remembers a failed preparation under its name for the connection's life and fails every
/// later use of the name there. A statement's failure other than a constraint's (which only its run can
/// meet: a duplicate value, a missing value) may have been its preparation's (a table not there yet, a
/// transaction already aborted), so the text then gets a new name, prepared afresh where it is used next.
enum PreparedStatements {
    /// Names given at most in the process (each is prepared once on every connection that runs it, where
    /// PostgreSQL keeps it until the connection closes); past it, statements go unnamed, as before.
    static let limit = 512

    private struct Registry {
        var names: [String: Int] = [:]
        var next = 0
    }

    private static let registry = Mutex(Registry())

    /// The name of `text`, or nil when the names are used up.
    static func name(of text: String) -> String? {
        registry.withLock { registry in
            if let number = registry.names[text] { return "snackbase_\(number)" }
            guard registry.next < limit else { return nil }
            registry.names[text] = registry.next
            registry.next += 1
            return "snackbase_\(registry.next - 1)"
        }
    }

    /// Gives `text` a new name the next time it is used, after a failure that may have been its preparation's.
    static func renew(_ text: String) {
        _ = registry.withLock { $0.names.removeValue(forKey: text) }
    }

    /// Whether a failure of a prepared statement can only have come from running it, never from preparing
    /// it: an integrity constraint's (class 23) or a transaction's rollback (class 40: a deadlock, a
    /// serialization failure).
    static func isRunFailure(_ error: any Error) -> Bool {
        guard let error = error as? PSQLError, error.code == .server,
              let state = error.serverInfo?[.sqlState] else { return false }
        return state.hasPrefix("23") || state.hasPrefix("40")
    }
}

/// One run of a named statement through PostgresNIO's prepared statements, whose name and SQL PostgresNIO
/// reads from the type: here from ``current``, set around the run.
///
/// ``makeBindings()`` is called by PostgresNIO just before it hands the statement to the connection's
/// channel, in the same stretch of code: it refuses unless that runs on the connection's event loop and the
/// connection is open there. The channel closes on that loop too, so it cannot close in between, and a
/// statement handed to a closed channel (which PostgresNIO drops without an answer) is never sent.
struct NamedStatement: PostgresPreparedStatement {
    struct Text: Sendable {
        let name: String
        let sql: String
    }

    /// The statement was not sent (off the connection's event loop, a bind PostgresNIO does not encode, the
    /// names used up): it goes unnamed.
    struct NotSent: Error {}

    typealias Row = PostgresRow

    @TaskLocal static var current = Text(name: "", sql: "")
    static var name: String { current.name }
    static var sql: String { current.sql }

    let bindings: PostgresBindings
    let connection: PostgresConnection

    func makeBindings() throws -> PostgresBindings {
        guard connection.eventLoop.inEventLoop else { throw NotSent() }
        guard !connection.isClosed else { throw DatabaseUnavailable() }
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

import PostgresNIO
import SQLiteNIO

/// Errors of the storage layer that callers act on.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    case configuration(String)
    case migrationFailed(String)

    public var description: String {
        switch self {
        case .configuration(let message): message
        case .migrationFailed(let message): "migration failed: \(message)"
        }
    }
}

/// The database cannot be reached now: no connection came within the wait, or the connection was
/// lost during the request. Nothing of the request is committed, unless the connection dropped
/// while its COMMIT was on the way (the one case no client of any database can tell apart).
/// The API answers 503 with Retry-After; the pool reconnects by itself.
public struct DatabaseUnavailable: Error, Sendable, Equatable {
    public init() {}
}

/// The database's disk (or its quota) is full: SQLite answered SQLITE_FULL, or PostgreSQL
/// `disk_full` (53100). The write is rolled back; reads go on; writes work again once there is space.
public struct StorageFull: Error, Sendable, Equatable {
    public init() {}
}

/// True when `error` says the connection to PostgreSQL is gone or the server is shutting down or
/// starting (SQLSTATE classes 08 and 57P), as opposed to an error in the statement.
public func isConnectionLoss(_ error: any Error) -> Bool {
    guard let error = error as? PSQLError else { return false }
    switch error.code {
    case .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown, .poolClosed:
        return true
    case .server:
        guard let state = error.serverInfo?[.sqlState] else { return false }
        return state.hasPrefix("08") || state.hasPrefix("57P")
    default:
        return false
    }
}

/// True when `error` is the database refusing a write for want of disk space.
public func isStorageFull(_ error: any Error) -> Bool {
    if let error = error as? SQLiteFailure {
        return error.code & 0xFF == 13 /* SQLITE_FULL */
    }
    if let error = error as? SQLiteError {
        return error.reason == .full
    }
    if let error = error as? PSQLError {
        return error.serverInfo?[.sqlState] == "53100"
    }
    return false
}

/// True when `error` is the database refusing a duplicate value of a unique key;
/// callers turn that into a 409 instead of checking first (which would race).
public func isUniqueViolation(_ error: any Error) -> Bool {
    if let error = error as? SQLiteFailure {
        return error.isUniqueViolation
    }
    if let error = error as? SQLiteError {
        switch error.reason {
        case .constraintUniqueFailed, .constraintPrimaryKeyFailed: return true
        case .constraint: return error.message.contains("UNIQUE")
        default: return false
        }
    }
    if let error = error as? PSQLError {
        return error.serverInfo?[.sqlState] == "23505"
    }
    return false
}

/// True when `error` is the database refusing a table or index name that another table or index
/// already has (PostgreSQL also when two long names agree in their first 63 bytes).
public func isDuplicateRelation(_ error: any Error) -> Bool {
    if let error = error as? SQLiteFailure {
        return error.code == 1 /* SQLITE_ERROR */ && (error.message.hasSuffix("already exists") || error.message.hasPrefix("there is already"))
    }
    if let error = error as? PSQLError {
        return error.serverInfo?[.sqlState] == "42P07"
    }
    return false
}

/// Every random draw of a new account id was taken or retired (``AccountRepository/freshID(on:drawing:)``):
/// the `XX####` space is close to full. docs/api.md says what an operator does then.
public struct AccountIDsExhausted: Error, Sendable {
    public init() {}
}

/// A record query named a column that its collection's schema does not have (in a compiled
/// condition or a sort). The API refuses unknown fields before a query is built, so reaching this
/// is a programming error, not a client's: the store refuses rather than put an identifier that
/// is not in the schema into SQL.
public struct UnknownColumn: Error, Sendable, Equatable {
    public let name: String

    public init(name: String) {
        self.name = name
    }
}

/// Role names that name no role of the account they were looked up in
/// (``RoleRepository/ids(forNames:in:on:)``), so a role of another account is never granted.
public struct UnknownRoles: Error, Sendable, Equatable {
    /// The unknown names, sorted, each once.
    public let names: [String]

    public init(names: [String]) {
        self.names = names
    }
}

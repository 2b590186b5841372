import PostgresNIO
import SQLiteNIO

/// Errors of the storage layer that callers act on.
public enum StoreError: Error, Sendable, Equatable {
    case configuration(String)
    case migrationFailed(String)
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

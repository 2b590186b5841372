import Logging
import SQLKit

/// Which database engine a ``Database`` runs on; the few places where SQL differs ask this.
public enum DatabaseKind: String, Sendable {
    case sqlite, postgres
}

/// The storage the server runs on. Work happens in closures that receive one session
/// (`any SQLDatabase`): ``read(_:)`` for queries that need no transaction, ``transaction(_:)``
/// for every change, so that writes that belong together (and, later, their audit entry)
/// commit or roll back as one.
///
/// ```swift
/// let user = try await database.transaction { db in
///     try await UserRepository.insert(user, in: scope, on: db)
/// }
/// ```
public protocol Database: Sendable {
    var kind: DatabaseKind { get }
    /// Runs `body` inside one transaction on one connection; commits when it returns,
    /// rolls back when it throws. `footprint` is what `body` may change, for what is remembered
    /// under the ``writeGeneration``: `.everything` unless it writes the records of one collection
    /// in one account and nothing else that is ever remembered.
    /// `carry`, for creates where totals are remembered: what they add to them (``TotalsCarry``).
    func transaction<T: Sendable>(
        touching footprint: WriteGeneration.Footprint, carrying carry: TotalsCarry?, _ body: @escaping @Sendable (any SQLDatabase) async throws -> T
    ) async throws -> T
    /// Runs `body` with a session for reads.
    func read<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    /// ``read(_:)`` for a body that may be answered wholly from ``rememberedReads``: where a session
    /// costs something before its first statement (PostgreSQL leases a connection), `body` first runs
    /// without one, and runs again in ``read(_:)`` if it sends a statement. So `body` must do nothing
    /// but reads (no effect that running it twice would repeat).
    func readRemembered<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T
    /// Advanced by every write transaction, where every write passes through this process (SQLite);
    /// nil elsewhere. What is read under it may be remembered until the next write.
    var writeGeneration: WriteGeneration? { get }
    /// Record reads (list pages and totals, records by id) remembered until the next write (where there is a ``writeGeneration``).
    var rememberedReads: RememberedReads? { get }
    /// True when the database answers a trivial query.
    func ping() async -> Bool
    func shutdown() async
}

extension Database {
    public func readRemembered<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await read(body)
    }

    /// A transaction that changes what `footprint` says and carries no totals.
    public func transaction<T: Sendable>(touching footprint: WriteGeneration.Footprint, _ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await transaction(touching: footprint, carrying: nil, body)
    }

    /// A transaction that may change anything (``Database/transaction(touching:_:)`` with `.everything`).
    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await transaction(touching: .everything, carrying: nil, body)
    }
}

import Foundation
import SnackBaseAccess
import SnackBaseCore
import SnackBaseStore
import Synchronization

/// The permission cache of security-model.md §5: each account's roles and permissions, with every
/// rule already parsed and checked against its collection, kept for a TTL (5 minutes by default).
/// Any change to roles, permissions or collection schemas invalidates the affected entries before
/// the change's response is sent, so the very next request sees it.
///
/// A lock, not an actor: every request asks for a policy, and a hit is a dictionary lookup. As an
/// actor each hit cost two executor switches, each a trip through the event loop's queue.
public final class PolicyCache: Sendable {
    private struct Entry {
        let policy: AccessPolicy
        let loadedAt: ContinuousClock.Instant
        let generation: Int
    }
    private struct State {
        var entries: [AccountID: Entry] = [:]
        /// Bumped by every invalidation, so a load that raced with a change is not cached.
        var generation = 0
        var hits = 0
        var misses = 0
    }

    private let ttl: Duration
    private let state = Mutex(State())

    public init(ttl: Duration = .seconds(300)) {
        self.ttl = ttl
    }

    public var hits: Int { state.withLock { $0.hits } }
    public var misses: Int { state.withLock { $0.misses } }

    public func policy(for account: AccountID, database: any Database) async throws -> AccessPolicy {
        let now = ContinuousClock.now
        let cached = state.withLock { state -> (policy: AccessPolicy?, generation: Int) in
            if let entry = state.entries[account], now - entry.loadedAt < ttl, entry.generation == state.generation {
                state.hits += 1
                return (entry.policy, state.generation)
            }
            state.misses += 1
            return (nil, state.generation)
        }
        if let policy = cached.policy { return policy }
        let policy = try await Self.load(account, database: database)
        state.withLock { state in
            if state.generation == cached.generation {
                state.entries[account] = Entry(policy: policy, loadedAt: now, generation: cached.generation)
            }
        }
        return policy
    }

    public func invalidate(_ account: AccountID) {
        state.withLock { state in
            state.generation += 1
            state.entries[account] = nil
        }
    }

    public func invalidateAll() {
        state.withLock { state in
            state.generation += 1
            state.entries.removeAll()
        }
    }

    static func load(_ account: AccountID, database: any Database) async throws -> AccessPolicy {
        let scope = AccountScope(account)
        let (roles, permissions, collections) = try await database.read { db in
            let roles = try await RoleRepository.all(in: scope, on: db)
            let permissions = try await PermissionRepository.forRoles(roles.map(\.id), in: scope, on: db)
            let collections = try await CollectionRepository.all(on: db)
            return (roles, permissions, collections)
        }
        let roleNames = Dictionary(uniqueKeysWithValues: roles.map { ($0.id, $0.name) })
        let collectionsByName = Dictionary(uniqueKeysWithValues: collections.map { ($0.name, $0) })
        var byRole: [String: [String: CompiledPermission]] = [:]
        for permission in permissions {
            guard let roleName = roleNames[permission.roleID] else { continue }
            byRole[roleName, default: [:]][permission.collection] = CompiledPermission(
                permission, roleName: roleName, collection: collectionsByName[permission.collection]
            )
        }
        return AccessPolicy(permissionsByRole: byRole)
    }
}

/// The collections, cached in memory and reloaded after any schema change, each with the writer
/// of its records' JSON (built once per load, not per request). A lock, not an actor, for the
/// reason ``PolicyCache`` gives: a record request looks collections up twice.
public final class CollectionCatalog: Sendable {
    private typealias Loaded = (schemas: [String: CollectionSchema], writers: [String: RecordCodec.Writer])
    private struct State {
        var loaded: Loaded?
        /// Advanced by every invalidation: a load that was reading while one happened is returned to
        /// its caller but not kept, since it may hold the schema from before the change.
        var generation = 0
    }
    private let state = Mutex(State())

    public init() {}

    public func find(_ name: String, database: any Database) async throws -> CollectionSchema? {
        try await all(database: database)[name]
    }

    /// The collection named `name` and the writer of its records, from the same load.
    func record(_ name: String, database: any Database) async throws -> (schema: CollectionSchema, writer: RecordCodec.Writer)? {
        let loaded = try await load(database: database)
        guard let schema = loaded.schemas[name], let writer = loaded.writers[name] else { return nil }
        return (schema, writer)
    }

    public func all(database: any Database) async throws -> [String: CollectionSchema] {
        try await load(database: database).schemas
    }

    private func load(database: any Database) async throws -> Loaded {
        let (cached, started) = state.withLock { ($0.loaded, $0.generation) }
        if let cached { return cached }
        let rows = try await database.read { db in try await CollectionRepository.all(on: db) }
        let schemas = Dictionary(uniqueKeysWithValues: rows.map { ($0.name, $0) })
        let loaded: Loaded = (schemas, schemas.mapValues { RecordCodec.Writer(collection: $0) })
        state.withLock { state in
            if state.generation == started { state.loaded = loaded }
        }
        return loaded
    }

    public func invalidate() {
        state.withLock { state in
            state.generation += 1
            state.loaded = nil
        }
    }
}

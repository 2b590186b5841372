import Foundation
import SnackBaseAccess
import SnackBaseCore
import SnackBaseStore

/// The permission cache of security-model.md §5: each account's roles and permissions, with every
/// rule already parsed and checked against its collection, kept for a TTL (5 minutes by default).
/// Any change to roles, permissions or collection schemas invalidates the affected entries before
/// the change's response is sent, so the very next request sees it.
public actor PolicyCache {
    private struct Entry {
        let policy: AccessPolicy
        let loadedAt: ContinuousClock.Instant
        let generation: Int
    }

    private let ttl: Duration
    private var entries: [AccountID: Entry] = [:]
    /// Bumped by every invalidation, so a load that raced with a change is not cached.
    private var generation = 0
    public private(set) var hits = 0
    public private(set) var misses = 0

    public init(ttl: Duration = .seconds(300)) {
        self.ttl = ttl
    }

    public func policy(for account: AccountID, database: any Database) async throws -> AccessPolicy {
        if let entry = entries[account], ContinuousClock.now - entry.loadedAt < ttl, entry.generation == generation {
            hits += 1
            return entry.policy
        }
        misses += 1
        let started = generation
        let policy = try await Self.load(account, database: database)
        if started == generation {
            entries[account] = Entry(policy: policy, loadedAt: .now, generation: generation)
        }
        return policy
    }

    public func invalidate(_ account: AccountID) {
        generation += 1
        entries[account] = nil
    }

    public func invalidateAll() {
        generation += 1
        entries.removeAll()
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
/// of its records' JSON (built once per load, not per request).
public actor CollectionCatalog {
    private var collections: [String: CollectionSchema]?
    private var writers: [String: RecordCodec.Writer] = [:]
    /// Advanced by every invalidation: a load that was reading while one happened is returned to
    /// its caller but not kept, since it may hold the schema from before the change.
    private var generation = 0

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

    private func load(database: any Database) async throws -> (schemas: [String: CollectionSchema], writers: [String: RecordCodec.Writer]) {
        if let collections { return (collections, writers) }
        let started = generation
        let loaded = try await database.read { db in try await CollectionRepository.all(on: db) }
        let schemas = Dictionary(uniqueKeysWithValues: loaded.map { ($0.name, $0) })
        let writers = schemas.mapValues { RecordCodec.Writer(collection: $0) }
        if generation == started {
            collections = schemas
            self.writers = writers
        }
        return (schemas, writers)
    }

    public func invalidate() {
        generation += 1
        collections = nil
        writers = [:]
    }
}

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
        package let policy: AccessPolicy
        package let loadedAt: ContinuousClock.Instant
        package let generation: Int
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

    package static func load(_ account: AccountID, database: any Database) async throws -> AccessPolicy {
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

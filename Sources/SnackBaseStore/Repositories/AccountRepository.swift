import SQLKit
import SnackBaseCore

/// Accounts themselves. Only the registration path and the superadmin path reach these writes.
public enum AccountRepository {
    public static func insert(_ account: Account, on db: any SQLDatabase) async throws {
        try await db.raw("""
            INSERT INTO accounts (id, slug, name, created_at, updated_at)
            VALUES (\(bind: account.id.rawValue), \(bind: account.slug), \(bind: account.name), \(bind: account.createdAt), \(bind: account.updatedAt))
            """).run()
    }

    /// An id for a new account: never the system's, never one in use, and never one that ever was —
    /// a deleted account's audit chain outlives it under its id, and a new account drawing that id
    /// would read (and continue) the old tenant's history.
    public static func freshID(on db: any SQLDatabase, drawing draw: () -> AccountID = AccountID.random) async throws -> AccountID {
        for _ in 0..<freshIDAttempts {
            let id = draw()
            guard !id.isSystem, try await find(id: id, on: db) == nil else { continue }
            try await RowSecurity.enter(AccountScope(id), on: db)
            let history = try await db.raw("SELECT 1 AS found FROM audit_log WHERE account_id = \(bind: id.rawValue) LIMIT 1").first()
            if history == nil { return id }
        }
        throw AccountIDsExhausted()
    }

    /// Random draws before ``freshID(on:drawing:)`` gives up. With a fraction f of the 6,760,000
    /// `XX####` ids taken (or retired), all of them miss with probability f^100: one in 10^10 at 80 %.
    public static let freshIDAttempts = 100

    public static func find(id: AccountID, on db: any SQLDatabase) async throws -> Account? {
        try await db.raw("SELECT * FROM accounts WHERE id = \(bind: id.rawValue)").first().map(decode)
    }

    /// Finds an account by its id (`AB1001`) or its slug.
    public static func find(idOrSlug: String, on db: any SQLDatabase) async throws -> Account? {
        if let id = AccountID(idOrSlug) { return try await find(id: id, on: db) }
        return try await db.raw("SELECT * FROM accounts WHERE slug = \(bind: idOrSlug)").first().map(decode)
    }

    public static func list(skip: Int, limit: Int, on db: any SQLDatabase) async throws -> (items: [Account], total: Int) {
        let rows = try await db.raw("SELECT * FROM accounts ORDER BY created_at, id LIMIT \(bind: limit) OFFSET \(bind: skip)").all()
        let total = try await db.raw("SELECT COUNT(*) AS n FROM accounts").first()?.decode(column: "n", as: Int.self) ?? 0
        return (try rows.map(decode), total)
    }

    public static func update(_ account: Account, on db: any SQLDatabase) async throws {
        try await db.raw("UPDATE accounts SET name = \(bind: account.name), updated_at = \(bind: account.updatedAt) WHERE id = \(bind: account.id.rawValue)").run()
    }

    /// Deletes the account; every tenant table cascades from it.
    public static func delete(_ id: AccountID, on db: any SQLDatabase) async throws {
        try await db.raw("DELETE FROM accounts WHERE id = \(bind: id.rawValue)").run()
    }

    static func decode(_ row: any SQLRow) throws -> Account {
        let rawID = try row.decode(column: "id", as: String.self)
        guard let id = AccountID(rawID) else { throw StoreError.configuration("malformed account id in database") }
        return Account(
            id: id,
            slug: try row.decode(column: "slug", as: String.self),
            name: try row.decode(column: "name", as: String.self),
            createdAt: try row.decode(column: "created_at", as: String.self),
            updatedAt: try row.decode(column: "updated_at", as: String.self)
        )
    }
}

import SnackBaseCore
import SnackBaseStore

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
    package func record(_ name: String, database: any Database) async throws -> (schema: CollectionSchema, writer: RecordCodec.Writer)? {
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

import SnackBaseCore
import SnackBaseStore

/// Moving schemas between servers (operations.md): export every collection, import a list of them.
extension CollectionService {
    /// One collection as it is imported: a name, a description and its fields.
    package struct Imported: Sendable {
        package let name: String
        package let description: String?
        package let fields: [FieldSchema]

        package init(name: String, description: String?, fields: [FieldSchema]) {
            self.name = name
            self.description = description
            self.fields = fields
        }
    }

    /// How an import treats a collection that already exists.
    package enum ImportMode: String, Sendable {
        /// Every collection must be new.
        case create
        /// An existing collection gains the fields it lacks; a field it has keeps its definition, and
        /// one of another type is a problem. Nothing is ever dropped.
        case merge
    }

    /// Creates (or, merging, extends) every collection in one transaction, or nothing: every problem
    /// found is answered in one 422, each detail naming `collections.<index>.…`.
    package func importCollections(_ imported: [Imported], mode: ImportMode, by principal: Principal) async throws -> (created: [String], extended: [String]) {
        let existing = try await services.collections.all(database: services.database)
        var problems: [SnackBaseError.Detail] = []
        var seen: Set<String> = []
        // Reference targets may be collections of the same import.
        let known = Set(existing.keys).union(imported.map(\.name))
        var creates: [CollectionSchema] = []
        var updates: [(old: CollectionSchema, new: CollectionSchema, defaults: [String: StoredValue])] = []
        let now = Timestamp.now()
        for (index, item) in imported.enumerated() {
            let path = "collections.\(index)"
            if !CollectionSchema.isValidName(item.name) {
                problems.append(.init(field: path + ".name", message: "must match ^[a-z][a-z0-9_]{0,62}$"))
                continue
            }
            if !seen.insert(item.name).inserted {
                problems.append(.init(field: path + ".name", message: "\(item.name) appears twice"))
                continue
            }
            problems += Self.problems(in: item.fields, collectionName: item.name, known: known).map {
                .init(field: path + "." + ($0.field ?? "schema"), message: $0.message)
            }
            guard let old = existing[item.name] else {
                creates.append(CollectionSchema(id: SecureID.make("col"), name: item.name, description: item.description ?? "",
                                                fields: item.fields, createdAt: now, updatedAt: now))
                continue
            }
            switch mode {
            case .create:
                problems.append(.init(field: path + ".name", message: "a collection named \(item.name) already exists"))
            case .merge:
                var new = old
                var defaults: [String: StoredValue] = [:]
                for (fieldIndex, field) in item.fields.enumerated() {
                    if let before = old.field(field.name) {
                        if before.type != field.type {
                            problems.append(.init(field: "\(path).schema.fields.\(fieldIndex).type",
                                                  message: "\(item.name).\(field.name) is \(before.type.rawValue) here, not \(field.type.rawValue)"))
                        }
                        continue
                    }
                    if field.required && (field.default == nil || field.default == .null) {
                        problems.append(.init(field: "\(path).schema.fields.\(fieldIndex).required",
                                              message: "a required field added to an existing collection needs a default"))
                    }
                    if let value = field.default, value != .null, let stored = try? RecordCodec.stored(value, for: field) { defaults[field.name] = stored }
                    new.fields.append(field)
                }
                if let description = item.description { new.description = description }
                if new.fields.count > 200 { problems.append(.init(field: path + ".schema.fields", message: "at most 200 fields")) }
                if new.fields != old.fields || new.description != old.description {
                    new.updatedAt = now
                    updates.append((old, new, defaults))
                }
            }
        }
        guard problems.isEmpty else { throw SnackBaseError.validation(problems) }
        let kind = services.database.kind
        let toCreate = creates
        let toUpdate = updates
        try await services.database.transaction { db in
            for collection in toCreate {
                do {
                    try await CollectionRepository.create(collection, kind: kind, on: db)
                } catch where isUniqueViolation(error) || isDuplicateRelation(error) {
                    throw SnackBaseError.conflict("The collection name \(collection.name) cannot be used: a collection or index already has its table name")
                }
                try await AuditLog.append(AuditEvent("collection.create", in: principal.accountID, by: principal, status: 201, collection: collection.name,
                                                     recordID: collection.id, changes: collection.createdChanges), on: db)
            }
            for change in toUpdate {
                try await CollectionRepository.update(from: change.old, to: change.new, defaults: change.defaults, kind: kind, on: db)
                try await AuditLog.append(AuditEvent("collection.update", in: principal.accountID, by: principal, status: 200, collection: change.new.name,
                                                     recordID: change.new.id, changes: AuditChange.diff(change.old.auditFields, change.new.auditFields)), on: db)
            }
        }
        await services.schemaChanged()
        return (toCreate.map(\.name), toUpdate.map(\.new.name))
    }
}

import SnackBaseAccess
import SnackBaseCore
import SnackBaseStore

/// The collections: the superadmin defines them (create, change, delete); any signed-in user reads
/// names and schemas. Every change drops every cached schema and policy
/// (``AppServices/schemaChanged()``) before it returns.
package struct CollectionService: Sendable {
    let services: AppServices

    package init(services: AppServices) {
        self.services = services
    }

    /// A collection as written, and the rules of its permissions (in every account) that no longer
    /// check against its schema.
    package typealias Written = (collection: CollectionSchema, warnings: [String])

    package func create(name: String, description: String?, fields: [FieldSchema], by principal: Principal) async throws -> Written {
        var problems: [SnackBaseError.Detail] = []
        if !CollectionSchema.isValidName(name) {
            problems.append(.init(field: "name", message: "must match ^[a-z][a-z0-9_]{0,62}$"))
        }
        let existing = try await services.collections.all(database: services.database)
        problems += Self.problems(in: fields, collectionName: name, known: Set(existing.keys))
        guard problems.isEmpty else { throw SnackBaseError.validation(problems) }
        let now = Timestamp.now()
        let collection = CollectionSchema(id: SecureID.make("col"), name: name, description: description ?? "",
                                          fields: fields, createdAt: now, updatedAt: now)
        let kind = services.database.kind
        let warnings = try await services.database.transaction { db in
            do {
                try await CollectionRepository.create(collection, kind: kind, on: db)
            } catch where isUniqueViolation(error) {
                throw SnackBaseError.conflict("A collection named \(collection.name) already exists")
            } catch where isDuplicateRelation(error) {
                // Its table name is taken by another collection's index (`posts` has `col_posts_by_account_created`)
                // or, on PostgreSQL, by a collection whose name starts with the same 59 characters.
                throw SnackBaseError.conflict("The collection name \(collection.name) cannot be used: its table name is taken by another collection's table or index")
            }
            try await AuditLog.append(AuditEvent("collection.create", in: principal.accountID, by: principal, status: 201, collection: collection.name,
                                                 recordID: collection.id, changes: collection.createdChanges), on: db)
            return try await PermissionRepository.naming(collection: collection.name, on: db)
        }.flatMap { Self.warnings($0, collection: collection) }
        await services.schemaChanged()
        return (collection, warnings)
    }

    /// Every collection, by name.
    package func list() async throws -> [CollectionSchema] {
        try await services.collections.all(database: services.database).values.sorted { $0.name < $1.name }
    }

    package func get(name: String) async throws -> CollectionSchema {
        guard let collection = try await services.collections.find(name, database: services.database) else {
            throw SnackBaseError.notFound("Collection")
        }
        return collection
    }

    /// Changes the description and the fields (nil leaves them). A field's type never changes;
    /// dropping fields deletes their data, so it needs `confirmed` (`?confirm=true`).
    package func update(name: String, description: String?, fields: [FieldSchema]?, confirmed: Bool, by principal: Principal) async throws -> Written {
        let old = try await get(name: name)
        var new = old
        if let description { new.description = description }
        if let fields {
            let known = Set(try await services.collections.all(database: services.database).keys)
            var problems = Self.problems(in: fields, collectionName: old.name, known: known)
            for field in fields {
                if let before = old.field(field.name), before.type != field.type {
                    problems.append(.init(field: field.name, message: "cannot change type from \(before.type.rawValue) to \(field.type.rawValue); drop and re-add the field"))
                }
            }
            guard problems.isEmpty else { throw SnackBaseError.validation(problems) }
            let dropped = old.fields.map(\.name).filter { name in !fields.contains { $0.name == name } }
            if !dropped.isEmpty, !confirmed {
                throw SnackBaseError.badRequest("Dropping field(s) \(dropped.joined(separator: ", ")) deletes their data; repeat with ?confirm=true")
            }
            new.fields = fields
        }
        new.updatedAt = Timestamp.now()
        let updated = new
        let kind = services.database.kind
        // Defaults were checked against their fields by `problems(in:)` above.
        var defaults: [String: StoredValue] = [:]
        for field in updated.fields {
            if let value = field.default, value != .null { defaults[field.name] = try RecordCodec.stored(value, for: field) }
        }
        let warnings = try await services.database.transaction { [defaults] db in
            do {
                try await CollectionRepository.update(from: old, to: updated, defaults: defaults, kind: kind, on: db)
            } catch where isUniqueViolation(error) {
                // A field made unique while records of one account share a value: the index cannot be built.
                throw SnackBaseError.conflict("Records of one account share a value of a field made unique; make the values distinct first")
            } catch let refused as CollectionRepository.ValuesTooLongForUnique {
                // PostgreSQL could not index them; both databases refuse alike.
                throw SnackBaseError.validation(refused.fields.map { name in
                    .init(field: "schema.fields.\(updated.fields.firstIndex { $0.name == name } ?? 0).unique",
                          message: "records with a value of \(name) over \(FieldSchema.uniqueValueLimit) bytes exist; shorten them first")
                })
            } catch let refused as CollectionRepository.RecordsWithoutValue {
                // Stored records would break the new `required`: nothing is changed.
                throw SnackBaseError.validation(refused.fields.map { name in
                    .init(field: "schema.fields.\(updated.fields.firstIndex { $0.name == name } ?? 0).required",
                          message: "records without a value for \(name) exist; give the field a default or fill them first")
                })
            }
            try await AuditLog.append(AuditEvent("collection.update", in: principal.accountID, by: principal, status: 200, collection: updated.name,
                                                 recordID: updated.id, changes: AuditChange.diff(old.auditFields, updated.auditFields)), on: db)
            return try await PermissionRepository.naming(collection: updated.name, on: db)
        }.flatMap { Self.warnings($0, collection: updated) }
        await services.schemaChanged()
        return (updated, warnings)
    }

    /// Deletes a collection and its records in every account; that needs `confirmed` (`?confirm=true`).
    package func delete(name: String, confirmed: Bool, by principal: Principal) async throws {
        let collection = try await get(name: name)
        guard confirmed else {
            throw SnackBaseError.badRequest("Deleting a collection deletes its records in every account; repeat with ?confirm=true")
        }
        try await services.database.transaction { db in
            // A reference field of another collection naming this one would be left pointing nowhere.
            let referencing = try await CollectionRepository.all(on: db).flatMap { other in
                other.name == collection.name ? [] : other.fields
                    .filter { $0.type == .reference && $0.options?.collection == collection.name }
                    .map { "\(other.name).\($0.name)" }
            }
            guard referencing.isEmpty else {
                throw SnackBaseError.conflict("\(collection.name) is referenced by \(referencing.joined(separator: ", ")); drop those fields or collections first")
            }
            try await CollectionRepository.delete(collection, on: db)
            try await AuditLog.append(AuditEvent("collection.delete", in: principal.accountID, by: principal, status: 204, collection: collection.name,
                                                 recordID: collection.id, changes: collection.deletedChanges), on: db)
        }
        await services.schemaChanged()
    }

    /// Problems with a field list: names, duplicates, reference targets and defaults.
    static func problems(in fields: [FieldSchema], collectionName: String, known: Set<String>) -> [SnackBaseError.Detail] {
        var problems: [SnackBaseError.Detail] = []
        var seen: Set<String> = []
        if fields.count > 200 { problems.append(.init(field: "schema.fields", message: "at most 200 fields")) }
        for (index, field) in fields.enumerated() {
            let path = "schema.fields.\(index)"
            if !CollectionSchema.isValidName(field.name) {
                problems.append(.init(field: path + ".name", message: "must match ^[a-z][a-z0-9_]{0,62}$"))
            } else if CollectionSchema.systemFields.contains(field.name) {
                problems.append(.init(field: path + ".name", message: "\(field.name) is a system field"))
            } else if !seen.insert(field.name).inserted {
                problems.append(.init(field: path + ".name", message: "\(field.name) appears twice"))
            }
            for problem in field.options?.problems(for: field.type) ?? [] {
                problems.append(.init(field: path + ".options." + problem.option, message: problem.message))
            }
            if field.type == .reference {
                let target = field.options?.collection ?? ""
                if target != collectionName && !known.contains(target) {
                    problems.append(.init(field: path + ".options.collection", message: "must name an existing collection"))
                }
            }
            if let value = field.default, value != .null {
                do {
                    _ = try RecordCodec.stored(value, for: field)
                } catch let problem as RecordCodec.FieldProblem {
                    problems.append(.init(field: path + ".default", message: problem.message))
                } catch {
                    problems.append(.init(field: path + ".default", message: "is invalid"))
                }
            }
        }
        return problems
    }

    /// The rules of these permissions that no longer check against the collection's new schema.
    /// Such a rule denies (its permission compiles it as locked); it is listed so the superadmin sees what broke.
    static func warnings(_ permission: Permission, collection: CollectionSchema) -> [String] {
        CompiledPermission(permission, roleName: "", collection: collection).lockedRules.map {
            "permission \(permission.id) (account \(permission.accountID.rawValue)) \($0); it now denies"
        }
    }
}

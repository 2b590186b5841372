import SnackBaseCore
import SnackBaseRules

/// Field-level security (security-model.md §4): which fields of a record a set of granting
/// permissions lets the caller read or write. The answer is the union over the permissions.
public enum FieldMask {
    /// readable(P, R) = (P.fields, or every field) − P.excluded_fields − fields whose read rule is false.
    /// `id` is always readable; the other system fields only when `fields` is absent or lists them.
    /// Nil means every field (some permission restricts nothing).
    public static func readable(_ permissions: [CompiledPermission], collection: CollectionSchema, context: RuleContext, record: [String: RuleValue]) -> Set<String>? {
        var union: Set<String> = ["id"]
        // A granting permission that limits no field shows every field (the loop below would reach
        // `fields == all` for it too, after building the sets).
        for compiled in permissions where compiled.limitsNoField {
            return nil
        }
        let all = Set(CollectionSchema.systemFields + collection.fields.map(\.name))
        for compiled in permissions {
            var fields = listed(by: compiled.permission, within: all)
            for (field, state) in compiled.fieldReadRules where fields.contains(field) {
                if !state.holds(context, record: record, data: nil) { fields.remove(field) }
            }
            if fields == all { return nil }
            union.formUnion(fields)
        }
        return union
    }

    /// What a permission lists of `all`: its `fields` (every one when absent) less its `excluded_fields`.
    static func listed(by permission: Permission, within all: Set<String>) -> Set<String> {
        var fields = permission.fields.map { Set($0).intersection(all) } ?? all
        fields.subtract(permission.excludedFields)
        return fields
    }

    /// writable(P, R): the same over user fields, with the write rules. System fields are never written
    /// from a request. Nil means every user field.
    public static func writable(_ permissions: [CompiledPermission], collection: CollectionSchema, context: RuleContext, record: [String: RuleValue], data: [String: RuleValue]?) -> Set<String>? {
        let all = Set(collection.fields.map(\.name))
        var union: Set<String> = []
        for compiled in permissions {
            var fields = listed(by: compiled.permission, within: all)
            for (field, state) in compiled.fieldWriteRules where fields.contains(field) {
                if !state.holds(context, record: record, data: data) { fields.remove(field) }
            }
            if fields == all { return nil }
            union.formUnion(fields)
        }
        return union
    }
}

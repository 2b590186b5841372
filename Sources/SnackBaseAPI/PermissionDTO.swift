import SnackBaseCore

/// A permission as the API shows it.
struct PermissionDTO: Encodable, Sendable {
    let id: String
    let roleId: String
    let role: String?
    let collection: String
    let create: Bool
    let read: Bool
    let update: Bool
    let delete: Bool
    let fields: [String]?
    let excludedFields: [String]
    let rules: [String: String]
    let fieldRules: [String: FieldRule]
    let createdAt: String
    let updatedAt: String

    init(_ permission: Permission, roleName: String?) {
        id = permission.id
        roleId = permission.roleID
        role = roleName
        collection = permission.collection
        create = permission.create
        read = permission.read
        update = permission.update
        delete = permission.delete
        fields = permission.fields
        excludedFields = permission.excludedFields
        rules = permission.rules
        fieldRules = permission.fieldRules
        createdAt = permission.createdAt
        updatedAt = permission.updatedAt
    }
}

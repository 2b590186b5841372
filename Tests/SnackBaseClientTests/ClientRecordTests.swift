import Foundation
import SnackBaseClient
import Testing

/// Records, lists, errors and the admin resources through the Swift client, against a live server.
@Suite("SnackBaseClient: records and resources", .serialized)
struct ClientRecordTests {
    @Test("CL-REC-001: records create, get, update (PATCH), replace (PUT), delete, decoded into the caller's type")
    func typedCRUD() async throws {
        try await LiveServer.run { server in
            try await server.createPosts()
            let posts = try await server.register("typed-co").records("posts", as: Post.self)
            let created = try await posts.create(Post(title: "Hello", status: "draft", views: 1))
            let id = try #require(created.id)
            #expect(created.title == "Hello" && created.status == "draft" && created.views == 1 && created.createdAt != nil)
            #expect(try await posts.get(id) == created)
            let patched = try await posts.update(id, ["status": "published"])
            #expect(patched.status == "published" && patched.title == "Hello")
            let replaced = try await posts.replace(id, Post(title: "Replaced"))
            #expect(replaced.title == "Replaced" && replaced.status == nil && replaced.views == nil, "PUT replaces every user field")
            try await posts.delete(id)
            let gone = await #expect(throws: SnackBaseClientError.self) { try await posts.get(id) }
            #expect(gone?.status == 404)
        }
    }

    @Test("CL-REC-002: records as dynamic JSON; fields narrows get")
    func dynamicCRUD() async throws {
        try await LiveServer.run { server in
            try await server.createPosts()
            let posts = try await server.register("dynamic-co").records("posts")
            let created = try await posts.create(["title": "Dyn", "views": 42, "status": nil] as JSONValue)
            let id = try #require(created["id"]?.stringValue)
            #expect(created["title"] == "Dyn" && created["views"]?.intValue == 42 && created["account_id"]?.stringValue != nil)
            let slim = try await posts.get(id, fields: ["id", "title"])
            #expect(slim.objectValue.map { Set($0.keys) } == ["id", "title"])
            let updated = try await posts.update(id, ["views": 43] as JSONValue)
            #expect(updated["views"]?.intValue == 43)
            #expect(try updated.decode(as: Post.self).views == 43, "dynamic JSON decodes into a type later")
            try await posts.delete(id)
        }
    }

    @Test("CL-REC-003: list with a filter holding spaces, quotes and non-ASCII letters; sort, fields, paging, equality shortcuts")
    func list() async throws {
        try await LiveServer.run { server in
            try await server.createPosts()
            let posts = try await server.register("list-co").records("posts", as: Post.self)
            let titles = [#"He said "hi" & left"#, "Grüße aus Köln 🍿", "a+b=c?", "plain one", "plain two"]
            for (index, title) in titles.enumerated() {
                _ = try await posts.create(Post(title: title, status: index.isMultiple(of: 2) ? "draft" : "published", views: index))
            }
            for title in titles {
                let escaped = title.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                let page = try await posts.list(ListQuery(filter: "title == \"\(escaped)\""))
                #expect(page.total == 1 && page.items.first?.title == title, "\(title): \(page.items.map(\.title))")
            }
            let drafts = try await posts.list(ListQuery(filter: #"status == "draft" && views > 0"#, sort: ["-views"]))
            #expect(drafts.items.map(\.views) == [4, 2])
            let page = try await posts.list(ListQuery(sort: ["views"], skip: 1, limit: 2))
            #expect(page.total == 5 && page.skip == 1 && page.limit == 2 && page.items.map(\.views) == [1, 2])
            let slim = try await server.register("list-co2").records("posts").list(ListQuery(fields: ["id", "title"]))
            #expect(slim.total == 0, "another account's records are not listed")
            let fields = try await posts.list(ListQuery(fields: ["id", "title"], limit: 1))
            #expect(fields.items.first?.views == nil && fields.items.first?.status == nil)
            let shortcut = try await posts.list(ListQuery(sort: ["views"], equals: ["status": "published"]))
            #expect(shortcut.items.map(\.views) == [1, 3])
        }
    }

    @Test("CL-ERR-001: errors carry status, message and details: 400 (position), 401, 403, 404, 409, 422 (field)")
    func errors() async throws {
        try await LiveServer.run { server in
            try await server.createPosts()
            let admin = try await server.register("errors-co")
            let posts = admin.records("posts")
            func failure(_ call: @Sendable () async throws -> Void) async -> SnackBaseClientError? {
                do { try await call(); return nil } catch { return error as? SnackBaseClientError }
            }
            let bad = await failure { _ = try await posts.list(ListQuery(filter: #"status == "draft"#)) }
            #expect(bad?.status == 400 && bad?.details.contains { $0.position != nil } == true, "\(String(describing: bad))")
            #expect(await failure { _ = try await server.client().auth.me() }?.status == 401)
            let forbidden = await failure { _ = try await admin.accounts.list() }
            #expect(forbidden?.status == 403 && forbidden?.error == "Forbidden" && forbidden?.message.isEmpty == false)
            #expect(await failure { _ = try await posts.get("rec_doesnotexist") }?.status == 404)
            try await admin.roles.create(["name": "auditor"] as JSONValue)
            let conflict = await failure { _ = try await admin.roles.create(["name": "auditor"] as JSONValue) }
            #expect(conflict?.status == 409)
            let invalid = await failure { _ = try await posts.create(["views": 1] as JSONValue) }
            #expect(invalid?.status == 422 && invalid?.details.contains { $0.field == "title" } == true, "\(String(describing: invalid))")
            let unreachable = await failure { _ = try await SnackBaseClient(baseURL: URL(string: "http://127.0.0.1:1")!).health() }
            #expect(unreachable?.status == 0)
        }
    }

    @Test("CL-ADM-001: collections, users, roles, permissions, explain and the audit log")
    func resources() async throws {
        try await LiveServer.run { server in
            let root = try await server.superadmin()
            try await server.createPosts()
            #expect(try await root.collections.get("posts")["name"] == "posts")
            try await root.collections.update("posts", ["description": "Posts"] as JSONValue)
            #expect(items(try await root.collections.list()).contains { $0["name"] == "posts" })

            let admin = try await server.register("admin-co")
            let user = try await admin.users.create(["email": "ed@admin-co.test", "password": .string(LiveServer.password), "roles": ["editor"]] as JSONValue)
            let userID = try #require(user["id"]?.stringValue)
            #expect(items(try await admin.users.list()).count == 2)
            #expect(try await admin.users.get(userID)["email"] == "ed@admin-co.test")
            try await admin.users.update(userID, ["roles": ["viewer"]] as JSONValue)
            #expect(try await admin.users.get(userID)["roles"] == ["viewer"])

            let role = try await admin.roles.create(["name": "writer", "description": "writes posts"] as JSONValue)
            let roleID = try #require(role["id"]?.stringValue)
            try await admin.roles.update(roleID, ["description": "writes"] as JSONValue)
            #expect(try await admin.roles.get(roleID)["description"] == "writes")
            let permission = try await admin.permissions.create(["role_id": .string(roleID), "collection": "posts", "read": true, "create": true] as JSONValue)
            let permissionID = try #require(permission["id"]?.stringValue)
            #expect(items(try await admin.roles.permissions(of: roleID)).count == 1)
            try await admin.permissions.update(permissionID, ["update": true] as JSONValue)
            #expect(try await admin.permissions.get(permissionID)["update"] == true)
            try await admin.permissions.replace(permissionID, ["role_id": .string(roleID), "collection": "posts", "read": true] as JSONValue)
            #expect(try await admin.permissions.get(permissionID)["create"] == false)
            #expect(items(try await admin.permissions.list(["role_id": roleID])).count == 1)
            let badRule = await #expect(throws: SnackBaseClientError.self) {
                try await admin.permissions.update(permissionID, ["rules": ["read": "status =="]] as JSONValue)
            }
            #expect(badRule?.status == 400 && badRule?.details.contains { $0.position != nil } == true)

            try await admin.users.update(userID, ["roles": ["writer"]] as JSONValue)
            let why = try await admin.explain(userID: userID, collection: "posts", operation: "delete")
            #expect(why["allowed"] == false && why["status"]?.intValue == 403 && why["reason"]?.stringValue?.isEmpty == false, "\(why)")
            #expect(try await admin.explain(userID: userID, collection: "posts", operation: "read")["allowed"] == true)
            let held = await #expect(throws: SnackBaseClientError.self) { try await admin.roles.delete(roleID) }
            #expect(held?.status == 409)
            try await admin.roles.delete(roleID, force: true)
            try await admin.users.delete(userID)
            #expect(try await admin.users.get(userID)["is_active"] == false)

            let log = try await admin.audit.list(["action": "user.create"])
            let entry = try #require(log.items.first)
            #expect(log.total >= 1 && entry["action"] == "user.create")
            #expect(try await admin.audit.get(try #require(entry["id"]?.stringValue))["id"] == entry["id"])
            #expect(try await admin.audit.verify()["valid"] == true)
            #expect(try await admin.audit.export(format: "jsonl").contains("user.create"))
            #expect(try await admin.audit.export(format: "csv").contains("user.create"))
            try await root.collections.delete("posts")
            let deleted = await #expect(throws: SnackBaseClientError.self) { try await root.collections.get("posts") }
            #expect(deleted?.status == 404)
        }
    }
}

/// The items of a list answer, whether a page or a bare array.
func items(_ answer: JSONValue) -> [JSONValue] { answer["items"]?.arrayValue ?? answer.arrayValue ?? [] }

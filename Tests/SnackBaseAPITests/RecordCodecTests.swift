import Foundation
import NIOCore
@testable import SnackBaseAPI
import SnackBaseCore
import SnackBaseService
import SnackBaseStore
import Testing
import NIOFoundationCompat

@Suite("RecordCodec.Writer: the record serializer")
struct RecordCodecTests {
    @Test("a record is written as the object of its visible, requested fields, keys sorted, JSON fields parsed")
    func record() throws {
        let collection = CollectionSchema(id: "col_1", name: "notes", description: "", fields: [
            FieldSchema(name: "title", type: .text), FieldSchema(name: "score", type: .number),
            FieldSchema(name: "done", type: .boolean), FieldSchema(name: "meta", type: .json),
        ], createdAt: "2026-01-01T00:00:00.000Z", updatedAt: "2026-01-01T00:00:00.000Z")
        let record: StoredRecord = [
            "id": .text("rec_1"), "account_id": .text("AB1234"), "created_at": .text("2026-01-01T00:00:00.000Z"),
            "updated_at": .text("2026-01-02T00:00:00.000Z"), "created_by": .text(nil), "updated_by": .text("usr_1"),
            "title": .text("quote \" and \n é"), "score": .number(2.5), "done": .bool(nil), "meta": .text(#"{"b":[1,true],"a":null}"#),
        ]
        let everything: [String: JSONValue] = [
            "id": .string("rec_1"), "account_id": .string("AB1234"), "created_at": .string("2026-01-01T00:00:00.000Z"),
            "updated_at": .string("2026-01-02T00:00:00.000Z"), "created_by": .null, "updated_by": .string("usr_1"),
            "title": .string("quote \" and \n é"), "score": .number(2.5), "done": .null,
            "meta": .object(["b": .array([.number(1), .bool(true)]), "a": .null]),
        ]
        let writer = RecordCodec.Writer(collection: collection)
        func written(_ visible: Set<String>?, _ requested: Set<String>?) -> Data {
            Data(buffer: writer.object(record, visible: visible, requested: requested))
        }
        func expected(_ keys: Set<String>) -> Data {
            Data(buffer: JSONWriter.object(everything.filter { keys.contains($0.key) }))
        }
        #expect(written(nil, nil) == expected(Set(everything.keys)))
        #expect(written(["id", "title", "meta"], nil) == expected(["id", "title", "meta"]))
        // `fields` narrows what is visible and always keeps the id; it never shows a hidden field.
        #expect(written(["id", "title"], ["score", "title"]) == expected(["id", "title"]))
        #expect(written(nil, ["score"]) == expected(["id", "score"]))
    }
}

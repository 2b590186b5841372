import Foundation
import NIOCore
import SnackBaseCore
import SnackBaseRules
import SnackBaseStore

/// Converts records between the wire (JSON), the store (typed columns) and the rule engine
/// (rule values), and validates request bodies against a collection's schema.
package enum RecordCodec {
    package enum Mode {
        /// Every field: missing ones take their default, required ones must be present.
        case create
        /// Every user field is replaced: missing ones become their default or null.
        case replace
        /// Only the fields sent change.
        case patch
    }

    /// The user-field values of a request body, validated; system fields are dropped (the caller
    /// checks `account_id` first). Throws a 422 naming every bad field.
    package static func validate(_ body: [String: JSONValue], collection: CollectionSchema, mode: Mode) throws -> (values: StoredRecord, sent: Set<String>) {
        var problems: [SnackBaseError.Detail] = []
        var values: StoredRecord = [:]
        var sent: Set<String> = []
        for key in body.keys.sorted() where !CollectionSchema.systemFields.contains(key) && collection.field(key) == nil {
            problems.append(.init(field: key, message: "is not a field of \(collection.name)"))
        }
        for field in collection.fields {
            let given = body[field.name]
            if given != nil { sent.insert(field.name) }
            var value = given
            if value == nil {
                switch mode {
                case .patch: continue
                case .create, .replace: value = field.default
                }
            }
            guard let value, value != .null else {
                if field.required {
                    problems.append(.init(field: field.name, message: "is required"))
                } else if mode != .patch || given != nil {
                    values[field.name] = .null(for: field.type)
                }
                continue
            }
            do {
                values[field.name] = try stored(value, for: field)
            } catch let problem as FieldProblem {
                problems.append(.init(field: field.name, message: problem.message))
            }
        }
        guard problems.isEmpty else { throw SnackBaseError.validation(problems) }
        return (values, sent)
    }

    package struct FieldProblem: Error {
        package let message: String
    }

    /// One field value, checked against its type and options (and, for a unique field, its length).
    package static func stored(_ value: JSONValue, for field: FieldSchema) throws -> StoredValue {
        let stored = try typed(value, for: field)
        if field.unique, case .text(let text?) = stored, text.utf8.count > FieldSchema.uniqueValueLimit {
            throw FieldProblem(message: "must be at most \(FieldSchema.uniqueValueLimit) bytes, as the value of a unique field")
        }
        return stored
    }

    private static func typed(_ value: JSONValue, for field: FieldSchema) throws -> StoredValue {
        let options = field.options
        if case .string(let text) = value, text.unicodeScalars.contains("\u{0}") {
            throw FieldProblem(message: "must not contain the NUL character")
        }
        switch (field.type, value) {
        case (.text, .string(let text)):
            if let max = options?.maxLength, text.count > max { throw FieldProblem(message: "must be at most \(max) characters") }
            if let allowed = options?.values, !allowed.contains(text) { throw FieldProblem(message: "must be one of \(allowed.joined(separator: ", "))") }
            return .text(text)
        case (.number, .number(let number)):
            guard number.isFinite else { throw FieldProblem(message: "must be a finite number") }
            if let min = options?.min, number < min { throw FieldProblem(message: "must be at least \(min)") }
            if let max = options?.max, number > max { throw FieldProblem(message: "must be at most \(max)") }
            return .number(number)
        case (.boolean, .bool(let flag)):
            return .bool(flag)
        case (.datetime, .string(let text)):
            guard let canonical = RuleDateTime.canonical(text) else { throw FieldProblem(message: "must be an RFC 3339 date-time") }
            return .text(canonical)
        case (.email, .string(let text)):
            guard Validation.isValidEmail(text) else { throw FieldProblem(message: "must be an e-mail address") }
            return .text(text)
        case (.url, .string(let text)):
            guard let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
                  let host = url.host, !host.isEmpty
            else { throw FieldProblem(message: "must be an http or https URL") }
            return .text(text)
        case (.reference, .string(let id)):
            guard !id.isEmpty, id.count <= 64 else { throw FieldProblem(message: "must be a record id") }
            return .text(id)
        case (.json, _):
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let data = try encoder.encode(value)
            guard data.count <= 256 * 1024 else { throw FieldProblem(message: "must be at most 256 KiB of JSON") }
            return .text(String(decoding: data, as: UTF8.self))
        case (.text, _), (.number, _), (.boolean, _), (.datetime, _), (.email, _), (.url, _), (.reference, _):
            throw FieldProblem(message: "must be \(expected(field.type)), not \(value.typeName)")
        }
    }

    package static func expected(_ type: FieldType) -> String {
        switch type {
        case .text, .email, .url, .datetime: "a string"
        case .reference: "a record id (string)"
        case .number: "a number"
        case .boolean: "a boolean"
        case .json: "JSON"
        }
    }

    /// The record as rules see it.
    package static func ruleValues(_ record: StoredRecord, collection: CollectionSchema) -> [String: RuleValue] {
        var out: [String: RuleValue] = [:]
        out.reserveCapacity(record.count)
        for (column, value) in record {
            // Only a text's type matters (a datetime compares as one); a user field's type first, then the system fields'.
            guard case .text(let text?) = value else {
                out[column] = ruleValue(value, type: .text)
                continue
            }
            let isDatetime = if let field = collection.fields.firstIndex(where: { $0.name == column }) {
                collection.fields[field].type == .datetime
            } else {
                column == "created_at" || column == "updated_at"
            }
            out[column] = isDatetime ? .datetime(text) : .text(text)
        }
        return out
    }

    package static func ruleValue(_ value: StoredValue, type: FieldType) -> RuleValue {
        switch value {
        case .text(nil), .number(nil), .bool(nil): return .null
        case .number(let number?): return .number(number)
        case .bool(let flag?): return .bool(flag)
        case .text(let text?):
            switch type {
            case .datetime: return .datetime(text)
            case .text, .email, .url, .reference, .json, .number, .boolean: return .text(text)
            }
        }
    }

    /// Writes a collection's records as the API shows them, straight from the stored values: no
    /// dictionary of JSON values is built per record (a list page is fifty of them). Keys come out
    /// in sorted order, as ``JSONWriter`` writes any object.
    package struct Writer {
        private struct Column {
            let name: String
            /// `"name":`, encoded once.
            let key: ByteBuffer
            let isJSON: Bool
        }
        private let columns: [Column]

        package init(collection: CollectionSchema) {
            columns = (CollectionSchema.systemFields + collection.fields.map(\.name)).sorted().map { name in
                var key = ByteBuffer()
                JSONWriter.writeString(name, into: &key)
                key.writeInteger(UInt8(ascii: ":"))
                return Column(name: name, key: key, isJSON: collection.field(name)?.type == .json)
            }
        }

        /// The record limited to `visible` (nil: every field) and to `requested` (the `fields`
        /// parameter, nil: every field; `id` is always kept). Hidden fields are absent.
        package func write(_ record: StoredRecord, visible: Set<String>?, requested: Set<String>?, into out: inout ByteBuffer) {
            out.writeInteger(UInt8(ascii: "{"))
            var first = true
            for column in columns {
                guard let value = record[column.name], visible?.contains(column.name) ?? true,
                      column.name == "id" || requested?.contains(column.name) ?? true
                else { continue }
                if !first { out.writeInteger(UInt8(ascii: ",")) }
                first = false
                out.writeImmutableBuffer(column.key)
                switch value {
                case .text(nil), .number(nil), .bool(nil): out.writeStaticString("null")
                case .number(let number?): JSONWriter.writeNumber(number, into: &out)
                case .bool(let flag?): _ = flag ? out.writeStaticString("true") : out.writeStaticString("false")
                case .text(let text?):
                    if column.isJSON {
                        JSONWriter.write((try? JSONValue.parse(text)) ?? .null, into: &out)
                    } else {
                        JSONWriter.writeString(text, into: &out)
                    }
                }
            }
            out.writeInteger(UInt8(ascii: "}"))
        }

        /// One record as a response body.
        package func object(_ record: StoredRecord, visible: Set<String>?, requested: Set<String>?) -> ByteBuffer {
            var out = ByteBuffer()
            out.reserveCapacity(512)
            write(record, visible: visible, requested: requested, into: &out)
            return out
        }
    }
}

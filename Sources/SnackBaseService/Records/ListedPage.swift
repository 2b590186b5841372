import NIOCore
import SnackBaseAccess
import SnackBaseCore
import SnackBaseRules
import SnackBaseStore

/// One page of a record list, and what it takes to show each record as the caller may see it.
package struct ListedPage: Sendable {
    let page: RecordPage
    package let total: Int
    /// Derived once per remembered page (SQLite); nil when the page was read for this request alone.
    let prepared: [PreparedRecord]?
    /// How each record's fields are decided; nil for the superadmin (every field of every record).
    let filter: ReadFilter?
    /// The fields of each record the caller may see (nil: every field), as decided by `filter`, kept
    /// with a remembered page for the callers with the same ``ReadFilter/decisionKey``; nil: decided here.
    let decided: [Set<String>?]?
    /// `fields`: what the caller asked to see, within what they may.
    let requested: Set<String>?
    let target: RecordTarget

    package var count: Int { page.records.count }

    /// Writes record `index` through the caller's mask.
    package func write(_ index: Int, into out: inout ByteBuffer) {
        let record = page.records[index]
        let collection = target.scope.collection
        let visible = decided.map { $0[index] }
            ?? filter?.visibleFields(of: prepared?[index].ruleValues ?? RecordCodec.ruleValues(record, collection: collection), collection: collection)
        if visible == nil && requested == nil, let everyField = prepared?[index].everyField {
            out.writeImmutableBuffer(everyField)
        } else {
            target.writer.write(record, visible: visible, requested: requested, into: &out)
        }
    }
}

/// What a list derives from one stored record alone: its values for the rule engine (to decide what
/// the caller may see of it) and its JSON with every field (what a caller who may see everything gets).
struct PreparedRecord: Sendable {
    let ruleValues: [String: RuleValue]
    let everyField: ByteBuffer

    /// Those of `page`'s records, derived once for every request that reads the page before the next write.
    static func all(of page: RecordPage, collection: CollectionSchema, writer: RecordCodec.Writer) -> [PreparedRecord] {
        page.derived { record in
            PreparedRecord(ruleValues: RecordCodec.ruleValues(record, collection: collection), everyField: writer.object(record, visible: nil, requested: nil))
        }
    }
}

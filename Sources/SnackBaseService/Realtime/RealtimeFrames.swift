import Foundation
import NIOCore
import SnackBaseAccess
import SnackBaseCore
import SnackBaseRules
import SnackBaseStore

extension RealtimeHub {
    /// The Server-Sent Events frames of a stream (realtime.md "Events").
    package enum Frames {
        static let ping = ByteBuffer(string: ": ping\n\n")
        static let reset = ByteBuffer(string: "event: reset\ndata: {}\n\n")
        /// The first bytes of every stream: a comment, so that clients and proxies see the stream start.
        package static let opening = ByteBuffer(string: ": snackbase realtime\nretry: 2000\n\n")

        /// An id without an event: sets the client's last event id, dispatches nothing.
        static func position(_ id: UInt64) -> ByteBuffer { ByteBuffer(string: "id: \(id)\n\n") }

        static func closed(_ reason: RealtimeStream.CloseReason) -> ByteBuffer {
            ByteBuffer(string: "event: closed\ndata: {\"reason\":\(json(reason.rawValue))}\n\n")
        }

        /// The frame of `change` for one caller, or nil when the caller may not see it: created or
        /// updated when it may read the record after the write (through its field mask), hidden when
        /// it may read it only before, deleted when it could read it before.
        static func event(
            _ change: RecordChange, id: UInt64, principal: Principal, policy: AccessPolicy, schema: CollectionSchema, writer: RecordCodec.Writer,
            filter: CheckedRule?, now: String
        ) -> ByteBuffer? {
            func readable(_ record: StoredRecord?) -> Set<String>?? {
                guard let record else { return nil }
                let values = RecordCodec.ruleValues(record, collection: schema)
                let decision = policy.decide(.read, by: principal, on: schema, record: values, now: now)
                guard decision.verdict == .allowed else { return nil }
                if let filter {
                    switch filter.residual(context: AccessPolicy.ruleContext(principal, operation: .read, now: now)) {
                    case .always: break
                    case .never: return nil
                    case .filter(let condition): guard condition.matches(record: values) else { return nil }
                    }
                }
                return .some(decision.readableFields)
            }
            let name: String
            var record: ByteBuffer
            switch change.kind {
            case .created:
                guard let after = change.after, let fields = readable(after) else { return nil }
                name = "record.created"
                record = writer.object(after, visible: fields, requested: nil)
            case .updated:
                if let after = change.after, let fields = readable(after) {
                    name = "record.updated"
                    record = writer.object(after, visible: fields, requested: nil)
                } else if readable(change.before) != nil {
                    name = "record.hidden"
                    record = ByteBuffer(string: "{\"id\":\(json(change.recordID))}")
                } else {
                    return nil
                }
            case .deleted:
                guard readable(change.before) != nil else { return nil }
                name = "record.deleted"
                record = ByteBuffer(string: "{\"id\":\(json(change.recordID))}")
            }
            var frame = ByteBuffer()
            frame.reserveCapacity(record.readableBytes + 96)
            frame.writeString("id: \(id)\nevent: \(name)\ndata: {\"collection\":\(json(change.collection)),\"record\":")
            frame.writeBuffer(&record)
            frame.writeString(",\"at\":\(json(change.at))}\n\n")
            return frame
        }

        /// `text` as a JSON string (control characters escaped, so a frame's `data` stays one line).
        static func json(_ text: String) -> String {
            var out = "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                default:
                    if scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029 {
                        out += String(format: "\\u%04x", scalar.value)
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
            return out + "\""
        }
    }
}

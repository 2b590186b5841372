import Foundation
import NIOCore
import SQLKit
import Synchronization
import SnackBaseAuth
import SnackBaseCore
import SnackBaseStore

/// Carries committed record changes between the processes that share one PostgreSQL database
/// (realtime.md "Limits and operation"), over the ``ChangeFeed``.
///
/// A write publishes its change inside its transaction (``publish(_:on:)``); PostgreSQL delivers it
/// to every process's listener, this one's included, when the transaction commits, in commit order,
/// and never when it rolls back. The listener hands it to the process's ``RealtimeHub``.
///
/// The message holds whole records, not yet masked for anyone, and any role that can connect to
/// the database can LISTEN on any channel and NOTIFY on it. So it is sealed with AES-GCM under a
/// key derived from the server's secret: another database role reads nothing of it and cannot
/// forge one (what does not open is treated as lost messages: every stream gets `reset`).
package struct RealtimeRelay: Sendable {
    static let info = "snackbase realtime change v1"
    static let associatedData = "realtime change"
    private let feed: any ChangeFeed
    private let sealer: SecretSealer
    private let own = OwnChanges(limit: 4_096)

    /// - Parameter sealer: the server's sealer; the relay derives a key of its own from it.
    package init(feed: any ChangeFeed, sealer: SecretSealer) {
        self.feed = feed
        self.sealer = sealer.derived(info: Self.info)
    }

    /// Inside the write's transaction `db`: sends `change` when it commits.
    package func publish(_ change: RecordChange, on db: any SQLDatabase) async throws {
        let sealed = try sealer.seal(WireChange.encode(change), associatedData: Self.associatedData)
        try await feed.publishRecordChange(sealed, account: change.accountID, on: db)
        own.keep(change, as: sealed)
    }

    /// How many published changes are kept, not yet received back.
    package var keptChanges: Int { own.count }

    /// The change a received message carries; nil when it does not open or does not decode. A message
    /// this process published is the change it kept, not opened and decoded again.
    package func open(_ message: String) -> RecordChange? {
        if let change = own.take(message) { return change }
        guard let json = try? sealer.open(message, associatedData: Self.associatedData) else { return nil }
        return WireChange.decode(json)
    }
}

/// A ``RecordChange`` as JSON: `{"kind", "account", "collection", "id", "before"?, "after"?, "at"}`,
/// a record's value keeping its type even when null (``StoredValue``), as `["t", text]`,
/// `["n", number]` or `["b", bool]`. Written with ``JSONWriter`` and read with `JSONValue.parse`
/// (`Codable` through Foundation's encoder and decoder was 5 % of a create's CPU on PostgreSQL, and
/// as much again in every other process that opens it); the same JSON as the `Codable` form of before,
/// so processes of either build read each other's.
enum WireChange {
    static func encode(_ change: RecordChange) -> [UInt8] {
        var object: [String: JSONValue] = [
            "kind": .string(kind(change.kind)), "account": .string(change.accountID.rawValue), "collection": .string(change.collection),
            "id": .string(change.recordID), "at": .string(change.at),
        ]
        if let before = change.before { object["before"] = record(before) }
        if let after = change.after { object["after"] = record(after) }
        let buffer = JSONWriter.object(object)
        return Array(buffer.readableBytesView)
    }

    /// The change `json` describes; nil for anything else (a missing or mistyped field, an unknown kind or tag).
    static func decode(_ json: [UInt8]) -> RecordChange? {
        let parsed = json.withUnsafeBytes { bytes in Result { () throws(JSONSyntaxError) in try JSONValue.parse(bytes) } }
        guard case .success(.object(let object)) = parsed,
              case .string(let kindName)? = object["kind"], let kind = kind(kindName),
              case .string(let accountText)? = object["account"], let account = AccountID(accountText),
              case .string(let collection)? = object["collection"], case .string(let id)? = object["id"], case .string(let at)? = object["at"]
        else { return nil }
        var before: StoredRecord?, after: StoredRecord?
        if let value = object["before"] {
            guard let decoded = record(value) else { return nil }
            before = decoded
        }
        if let value = object["after"] {
            guard let decoded = record(value) else { return nil }
            after = decoded
        }
        return RecordChange(kind: kind, accountID: account, collection: collection, recordID: id, before: before, after: after, at: at)
    }

    private static func kind(_ kind: RecordChange.Kind) -> String {
        switch kind {
        case .created: "created"
        case .updated: "updated"
        case .deleted: "deleted"
        }
    }

    private static func kind(_ name: String) -> RecordChange.Kind? {
        switch name {
        case "created": .created
        case "updated": .updated
        case "deleted": .deleted
        default: nil
        }
    }

    private static func record(_ record: StoredRecord) -> JSONValue {
        .object(record.mapValues { value in
            switch value {
            case .text(let text): .array([.string("t"), text.map(JSONValue.string) ?? .null])
            case .number(let number): .array([.string("n"), number.map(JSONValue.number) ?? .null])
            case .bool(let bool): .array([.string("b"), bool.map(JSONValue.bool) ?? .null])
            }
        })
    }

    private static func record(_ value: JSONValue) -> StoredRecord? {
        guard case .object(let fields) = value else { return nil }
        var record: StoredRecord = [:]
        for (name, field) in fields {
            guard case .array(let pair) = field, pair.count == 2, case .string(let tag) = pair[0] else { return nil }
            switch (tag, pair[1]) {
            case ("t", .null): record[name] = .text(nil)
            case ("t", .string(let text)): record[name] = .text(text)
            case ("n", .null): record[name] = .number(nil)
            case ("n", .number(let number)): record[name] = .number(number)
            case ("b", .null): record[name] = .bool(nil)
            case ("b", .bool(let bool)): record[name] = .bool(bool)
            default: return nil
            }
        }
        return record
    }
}

/// The changes this process published, by their sealed message (unique: each seal has a random
/// nonce), until its listener receives them back: on PostgreSQL every process receives its own
/// changes too (to see them in the one commit order), and opening and decoding them again was a
/// tenth of a create's CPU. A change whose transaction rolled back is never received; it is
/// forgotten once `limit` newer ones were kept, and a change forgotten so is opened like any other.
final class OwnChanges: Sendable {
    private struct Kept {
        var changes: [String: RecordChange] = [:]
        /// The messages in the order they were kept, as a ring of `limit` slots.
        var order: [String?]
        var next = 0
    }

    private let kept: Mutex<Kept>

    init(limit: Int) {
        kept = Mutex(Kept(order: Array(repeating: nil, count: max(1, limit))))
    }

    func keep(_ change: RecordChange, as message: String) {
        kept.withLock { kept in
            if let oldest = kept.order[kept.next] { kept.changes[oldest] = nil }
            kept.order[kept.next] = message
            kept.next = (kept.next + 1) % kept.order.count
            kept.changes[message] = change
        }
    }

    /// The change kept as `message`, forgotten now (it is received once).
    func take(_ message: String) -> RecordChange? {
        kept.withLock { kept in kept.changes.removeValue(forKey: message) }
    }

    var count: Int { kept.withLock { $0.changes.count } }
}

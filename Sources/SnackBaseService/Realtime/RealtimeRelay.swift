import Foundation
import SQLKit
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

    /// - Parameter sealer: the server's sealer; the relay derives a key of its own from it.
    package init(feed: any ChangeFeed, sealer: SecretSealer) {
        self.feed = feed
        self.sealer = sealer.derived(info: Self.info)
    }

    /// Inside the write's transaction `db`: sends `change` when it commits.
    package func publish(_ change: RecordChange, on db: any SQLDatabase) async throws {
        let json = try JSONEncoder().encode(WireChange(change))
        let sealed = try sealer.seal(Array(json), associatedData: Self.associatedData)
        try await feed.publishRecordChange(sealed, account: change.accountID, on: db)
    }

    /// The change a received message carries; nil when it does not open or does not decode.
    package func open(_ message: String) -> RecordChange? {
        guard let json = try? sealer.open(message, associatedData: Self.associatedData),
              let wire = try? JSONDecoder().decode(WireChange.self, from: Data(json))
        else { return nil }
        return wire.change
    }
}

/// A ``RecordChange`` as JSON. A value keeps its type even when null (``StoredValue``), as
/// `["t", text]`, `["n", number]` or `["b", bool]`.
private struct WireChange: Codable {
    let kind: String
    let account: String
    let collection: String
    let id: String
    let before: [String: WireValue]?
    let after: [String: WireValue]?
    let at: String

    init(_ change: RecordChange) {
        switch change.kind {
        case .created: kind = "created"
        case .updated: kind = "updated"
        case .deleted: kind = "deleted"
        }
        account = change.accountID.rawValue
        collection = change.collection
        id = change.recordID
        before = change.before?.mapValues(WireValue.init)
        after = change.after?.mapValues(WireValue.init)
        at = change.at
    }

    var change: RecordChange? {
        let kind: RecordChange.Kind
        switch self.kind {
        case "created": kind = .created
        case "updated": kind = .updated
        case "deleted": kind = .deleted
        default: return nil
        }
        guard let account = AccountID(account) else { return nil }
        return RecordChange(kind: kind, accountID: account, collection: collection, recordID: id,
                            before: before?.mapValues(\.value), after: after?.mapValues(\.value), at: at)
    }
}

private struct WireValue: Codable {
    let value: StoredValue

    init(_ value: StoredValue) { self.value = value }

    init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        let tag = try container.decode(String.self)
        let isNull = try container.decodeNil()
        switch tag {
        case "t": value = .text(isNull ? nil : try container.decode(String.self))
        case "n": value = .number(isNull ? nil : try container.decode(Double.self))
        case "b": value = .bool(isNull ? nil : try container.decode(Bool.self))
        default: throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown value type")
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        switch value {
        case .text(let text): try container.encode("t"); try container.encode(text)
        case .number(let number): try container.encode("n"); try container.encode(number)
        case .bool(let bool): try container.encode("b"); try container.encode(bool)
        }
    }
}

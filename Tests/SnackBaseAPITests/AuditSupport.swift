import Crypto
import Foundation
import SnackBaseCore
import SnackBaseService
import SnackBaseStore
import Testing

extension TestApp {
    /// Every audit entry of one account (every account's when nil), oldest first, read straight from the store.
    func auditEntries(account: String? = nil, action: String? = nil) async throws -> [AuditEntry] {
        let scope = account.flatMap(AccountID.init).map(AccountScope.init)
        let filter = AuditFilter(account: scope, action: action)
        let (items, _) = try await services.database.read { db in try await AuditLog.list(filter, skip: 0, limit: 10_000, on: db) }
        return items.reversed()
    }

    /// The one entry with `action` in `account`'s chain; a test failure when there is not exactly one.
    func onlyEntry(_ action: String, account: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> AuditEntry {
        let entries = try await auditEntries(account: account, action: action)
        #expect(entries.count == 1, "\(action) in \(account): \(entries.count) entries", sourceLocation: sourceLocation)
        return try #require(entries.first, sourceLocation: sourceLocation)
    }

    /// How many entries the whole log holds.
    func auditCount() async throws -> Int {
        try await auditEntries().count
    }
}

extension AuditEntry {
    /// `changes` as JSON.
    var changeSet: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(changes.utf8))) as? [String: Any] ?? [:]
    }

    func change(_ field: String) -> (old: Any?, new: Any?)? {
        guard let change = changeSet[field] as? [String: Any] else { return nil }
        return (change["old"].flatMap { $0 is NSNull ? nil : $0 }, change["new"].flatMap { $0 is NSNull ? nil : $0 })
    }
}

/// An independent implementation of docs/audit.md's hash, written from the document rather than
/// from AuditChain, so a test can check that what the server stores is what an auditor recomputes.
enum AuditorHash {
    static func recompute(previous: String, fields: [String?]) -> String {
        var message = Data(previous.utf8)
        for field in fields {
            if let field {
                let bytes = Data(field.utf8)
                message += Data("\(bytes.count):".utf8) + bytes + Data(",".utf8)
            } else {
                message += Data("-,".utf8)
            }
        }
        return SHA256.hash(data: message).map { String(format: "%02x", $0) }.joined()
    }
}

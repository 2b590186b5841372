import SQLKit

/// Code that runs around record writes, inside the write's transaction: a before-hook may change
/// the record or abort the write by throwing; an after-hook sees what was written (and may write
/// more in the same transaction, as the audit log does).
///
/// ```swift
/// struct Uppercase: RecordHook {
///     func before(_ event: inout RecordEvent, on db: any SQLDatabase) async throws {
///         if case .text(let title?) = event.record["title"] { event.record["title"] = .text(title.uppercased()) }
///     }
/// }
/// ```
public protocol RecordHook: Sendable {
    func before(_ event: inout RecordEvent, on db: any SQLDatabase) async throws
    func after(_ event: RecordEvent, on db: any SQLDatabase) async throws
}

extension RecordHook {
    public func before(_ event: inout RecordEvent, on db: any SQLDatabase) async throws {}
    public func after(_ event: RecordEvent, on db: any SQLDatabase) async throws {}
}

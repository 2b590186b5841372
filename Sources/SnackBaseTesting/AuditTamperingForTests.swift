import SQLKit
import SnackBaseStore

/// Test support, and nothing else: lets a test play the attacker who has direct write access to
/// the database file or server. Never called by the server or the CLI.
package enum AuditTamperingForTests {
    /// Removes the triggers that make `audit_log` append-only.
    package static func dropAppendOnlyTriggers(on db: any SQLDatabase) async throws {
        let on = db.dialect.name == "postgresql" ? " ON audit_log" : ""
        try await RowSecurity.bypassing(.tamperingForTests, on: db) { db in
            for trigger in ["audit_log_no_update", "audit_log_no_delete"] {
                try await db.raw(SQLQueryString("DROP TRIGGER IF EXISTS \(trigger)\(on)")).run()
            }
        }
    }

    /// Overwrites the reason of one entry behind the application's back.
    package static func overwriteReason(id: String, with reason: String, on db: any SQLDatabase) async throws {
        try await RowSecurity.bypassing(.tamperingForTests, on: db) { db in
            try await db.raw("UPDATE audit_log SET reason = \(bind: reason) WHERE id = \(bind: id)").run()
        }
    }

    /// Deletes one entry behind the application's back.
    package static func delete(id: String, on db: any SQLDatabase) async throws {
        try await RowSecurity.bypassing(.tamperingForTests, on: db) { db in
            try await db.raw("DELETE FROM audit_log WHERE id = \(bind: id)").run()
        }
    }
}

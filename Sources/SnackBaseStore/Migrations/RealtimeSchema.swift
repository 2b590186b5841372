/// Migration 7: the outbox of realtime record changes too large for one PostgreSQL notification
/// (realtime.md "Limits and operation": LISTEN/NOTIFY carries fewer than 8,000 bytes).
///
/// A write whose change does not fit stores it here, in its own transaction, and notifies the row's
/// id instead; every process's listener reads the row by that id. Rows are tenant rows under the
/// `account_isolation` policy (the listener reads a row inside its account) and are deleted by
/// later large writes of the same account once they are ten minutes old. SQLite has no other
/// processes and no table.
enum RealtimeSchema {
    static let outboxTable = "realtime_outbox"

    static var postgres: [String] {
        [
            """
            CREATE TABLE realtime_outbox (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                message TEXT NOT NULL,
                created_at TIMESTAMPTZ NOT NULL DEFAULT now())
            """,
            "CREATE INDEX realtime_outbox_by_account_time ON realtime_outbox (account_id, created_at)",
        ] + RowSecurity.protect(quotedTable: "\"\(outboxTable)\"", privileges: "SELECT, INSERT, DELETE")
    }
}

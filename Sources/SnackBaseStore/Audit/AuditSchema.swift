/// The audit table (migration 3). `account_id` has no foreign key on purpose: an account's entries
/// outlive the account. The database itself refuses UPDATE and DELETE (and, on PostgreSQL, TRUNCATE)
/// on the table, so even a bug or a stray statement in the server cannot rewrite history; the hash
/// chain (``AuditChain``) catches what is done behind the database's back.
enum AuditSchema {
    static let statements = [
        """
        CREATE TABLE audit_log (
            id TEXT PRIMARY KEY,
            account_id TEXT NOT NULL,
            sequence BIGINT NOT NULL,
            actor_id TEXT, actor_email TEXT,
            action TEXT NOT NULL,
            collection TEXT, record_id TEXT,
            outcome TEXT NOT NULL CHECK (outcome IN ('allowed', 'denied', 'error')),
            status BIGINT, reason TEXT,
            changes TEXT NOT NULL,
            request_id TEXT, ip TEXT, user_agent TEXT,
            created_at TEXT NOT NULL,
            previous_hash TEXT NOT NULL, hash TEXT NOT NULL,
            UNIQUE (account_id, sequence))
        """,
        "CREATE INDEX audit_log_by_account_time ON audit_log (account_id, created_at)",
        "CREATE INDEX audit_log_by_account_action ON audit_log (account_id, action)",
        "CREATE INDEX audit_log_by_account_actor ON audit_log (account_id, actor_id)",
        "CREATE INDEX audit_log_by_account_record ON audit_log (account_id, collection, record_id)",
        "CREATE INDEX audit_log_by_time ON audit_log (created_at)",
    ]

    static let sqlite = [
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    ]

    static let postgres = [
        """
        CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_log is append-only';
        END
        $$
        """,
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()",
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()",
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()",
    ]
}

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

    /// PostgreSQL only (migration 8): one append to an account's chain in one statement, so that the
    /// account's lock is never held across a trip to the server (``AuditLog/append(_:on:)``). It takes
    /// the chain's lock, then reads the head in a statement of its own (a PL/pgSQL statement after the
    /// lock sees what committed before it: READ COMMITTED takes a new snapshot for each), and inserts
    /// the entry with the hash of ``AuditChain``: `sha256(previous_hash || canonical)`, where the server
    /// passes the canonical bytes of the fields before and after `sequence` and the sequence's netstring
    /// (`<n>:<digits>,`, ASCII) is made here. It runs as its caller (the application role, under the
    /// account's row-level security policy).
    static let appendFunction = [
        """
        CREATE FUNCTION snackbase_audit_append(
            chain_lock BIGINT, entry_id TEXT, entry_account_id TEXT, entry_actor_id TEXT, entry_actor_email TEXT,
            entry_action TEXT, entry_collection TEXT, entry_record_id TEXT, entry_outcome TEXT, entry_status BIGINT,
            entry_reason TEXT, entry_changes TEXT, entry_request_id TEXT, entry_ip TEXT, entry_user_agent TEXT,
            entry_created_at TEXT, canonical_before BYTEA, canonical_after BYTEA
        ) RETURNS VOID LANGUAGE plpgsql VOLATILE SET search_path FROM CURRENT AS $$
        DECLARE
            head_sequence BIGINT;
            head_hash TEXT;
            next_sequence BIGINT;
            previous TEXT;
        BEGIN
            PERFORM pg_advisory_xact_lock(chain_lock);
            SELECT a.sequence, a.hash INTO head_sequence, head_hash FROM audit_log a
                WHERE a.account_id = entry_account_id ORDER BY a.sequence DESC LIMIT 1;
            next_sequence := COALESCE(head_sequence, 0) + 1;
            previous := COALESCE(head_hash, repeat('0', 64));
            INSERT INTO audit_log (id, account_id, sequence, actor_id, actor_email, action, collection, record_id, outcome, status,
                reason, changes, request_id, ip, user_agent, created_at, previous_hash, hash)
            VALUES (entry_id, entry_account_id, next_sequence, entry_actor_id, entry_actor_email, entry_action, entry_collection,
                entry_record_id, entry_outcome, entry_status, entry_reason, entry_changes, entry_request_id, entry_ip,
                entry_user_agent, entry_created_at, previous,
                encode(sha256(convert_to(previous, 'UTF8') || canonical_before
                    || convert_to(length(next_sequence::text) || ':' || next_sequence::text || ',', 'UTF8') || canonical_after), 'hex'));
        END
        $$
        """,
    ]
}

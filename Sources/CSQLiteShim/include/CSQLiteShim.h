#ifndef SNACKBASE_CSQLITESHIM_H
#define SNACKBASE_CSQLITESHIM_H

/// Turns on SQLite's query planner stability guarantee (SQLITE_DBCONFIG_ENABLE_QPSG) for one
/// connection, so that a cached prepared statement is never re-prepared because a bound value
/// changed. `sqlite3_db_config` and `sqlite3_config` are variadic, which Swift cannot call; these
/// are the calls we need.
/// Returns SQLite's result code.
int snackbase_sqlite_enable_qpsg(void *db);

/// Sets how many bytes of a statement or savepoint journal SQLite keeps in memory before it
/// writes the journal to a temporary file (SQLITE_CONFIG_STMTJRNL_SPILL, 64 KiB by default).
/// Process-wide, and only possible before SQLite is first used: afterwards SQLite refuses it
/// with SQLITE_MISUSE and keeps its setting. Returns SQLite's result code.
int snackbase_sqlite_set_statement_journal_spill(int bytes);

/// After each commit on `db`, writes the number of frames in its write-ahead log to `*frames`
/// (through `sqlite3_wal_hook`, which also turns off the connection's automatic checkpoints).
/// A null `frames` removes the hook.
void snackbase_sqlite_count_wal_frames(void *db, int *frames);

/// Keeps up to `bytes` of free memory at the top of each of the C allocator's heaps instead of handing
/// it back to the system (glibc's M_TRIM_THRESHOLD, 128 KiB by default), process-wide. Returns 1 when
/// set, 0 where the allocator is not glibc's.
int snackbase_keep_free_heap_tops(int bytes);

#endif

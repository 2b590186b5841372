#include "CSQLiteShim.h"
#include <stdlib.h> // defines __GLIBC__ under glibc
#if defined(__GLIBC__)
#include <malloc.h>
#endif

// SQLiteNIO's copy of SQLite prefixes every symbol with `sqlite_nio_`; it is linked into the same binary.
extern int sqlite_nio_sqlite3_db_config(void *db, int op, ...);
extern int sqlite_nio_sqlite3_config(int op, ...);
extern void *sqlite_nio_sqlite3_wal_hook(void *db, int (*hook)(void *, void *, const char *, int), void *context);

#define SNACKBASE_SQLITE_DBCONFIG_ENABLE_QPSG 1007
#define SNACKBASE_SQLITE_CONFIG_STMTJRNL_SPILL 26

int snackbase_sqlite_enable_qpsg(void *db) {
    return sqlite_nio_sqlite3_db_config(db, SNACKBASE_SQLITE_DBCONFIG_ENABLE_QPSG, 1, (int *)0);
}

int snackbase_sqlite_set_statement_journal_spill(int bytes) {
    return sqlite_nio_sqlite3_config(SNACKBASE_SQLITE_CONFIG_STMTJRNL_SPILL, bytes);
}

static int snackbase_store_wal_frames(void *frames, void *db, const char *name, int count) {
    (void)db;
    (void)name;
    *(int *)frames = count;
    return 0;
}

void snackbase_sqlite_count_wal_frames(void *db, int *frames) {
    sqlite_nio_sqlite3_wal_hook(db, frames ? snackbase_store_wal_frames : 0, frames);
}

int snackbase_keep_free_heap_tops(int bytes) {
#if defined(__GLIBC__)
    return mallopt(M_TRIM_THRESHOLD, bytes);
#else
    (void)bytes;
    return 0;
#endif
}

#include "CSQLiteShim.h"

// SQLiteNIO's copy of SQLite prefixes every symbol with `sqlite_nio_`; it is linked into the same binary.
extern int sqlite_nio_sqlite3_db_config(void *db, int op, ...);

#define SNACKBASE_SQLITE_DBCONFIG_ENABLE_QPSG 1007

int snackbase_sqlite_enable_qpsg(void *db) {
    return sqlite_nio_sqlite3_db_config(db, SNACKBASE_SQLITE_DBCONFIG_ENABLE_QPSG, 1, (int *)0);
}

#ifndef SNACKBASE_CSQLITESHIM_H
#define SNACKBASE_CSQLITESHIM_H

/// Turns on SQLite's query planner stability guarantee (SQLITE_DBCONFIG_ENABLE_QPSG) for one
/// connection, so that a cached prepared statement is never re-prepared because a bound value
/// changed. `sqlite3_db_config` is variadic, which Swift cannot call; this is the one call.
/// Returns SQLite's result code.
int snackbase_sqlite_enable_qpsg(void *db);

#endif

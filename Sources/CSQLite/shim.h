// What Swift cannot import from sqlite3.h on its own.
#ifndef MODELWATCH_CSQLITE_SHIM_H
#define MODELWATCH_CSQLITE_SHIM_H

#include <sqlite3.h>

/// `SQLITE_TRANSIENT` is a macro that casts -1 to a function pointer, which Swift cannot import:
/// binding with it tells SQLite to copy the bytes before the call returns.
static inline sqlite3_destructor_type mw_sqlite_transient(void) {
    return SQLITE_TRANSIENT;
}

#endif

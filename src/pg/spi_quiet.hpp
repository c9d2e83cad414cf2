// Running a generated statement through SPI without echoing it: an error
// raised while it is planned or run (a permission, a row-level security
// policy's own error, a cancel) is reported with one CONTEXT line naming
// the API call instead of the generated SQL, which can be long and is of
// no use to the caller. Plain C control flow: call it from PostgreSQL
// code, not inside C++ frames with live destructors.
#pragma once

#include "pg_prelude.hpp"

namespace rushdb::pg {

// SPI_execute_with_args(sql, nargs, types, values, no nulls, read_only, 0);
// returns its result code. `context` replaces the statement in CONTEXT;
// `saved_context_stack` is restored before the error is re-raised.
int spi_execute_quiet(const char* sql, int nargs, Oid* types, Datum* values, bool read_only, const char* context,
                      ErrorContextCallback* saved_context_stack);

}  // namespace rushdb::pg

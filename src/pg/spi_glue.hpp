// Running SQL through SPI: the one set of helpers every file of src/pg that
// runs SQL uses. Two kinds, by the frame they are called from:
//
//  * Plain C frames (an extern "C" entry point with no live C++ objects):
//    spi_connect, spi_prepare_kept and spi_execute_quiet raise PostgreSQL
//    errors directly (ereport / longjmp).
//  * C++ frames (inside guarded(), with destructors to run): SpiTransaction,
//    spi_run, spi_text and spi_datum run PostgreSQL through pg_call, so an
//    error arrives as a PgError exception and C++ objects unwind normally.
//
// Every statement run with them is the extension's own, with schema-qualified
// names under a pinned search_path; values go in as parameters.
#pragma once

#include <string>
#include <vector>

#include "pg_prelude.hpp"

extern "C" {
#include "executor/spi.h"
}

namespace rushdb::pg {

// ---------------------------------------------------------------------------
// From plain C frames.

// SPI_connect, or ERROR "SPI_connect failed".
void spi_connect();

// SPI_prepare kept for the life of the backend (SPI_keepplan), or ERROR
// "SPI_prepare failed: <reason>". For a plan held in a static.
SPIPlanPtr spi_prepare_kept(const char* sql, int nargs, Oid* types);

// Running a generated statement without echoing it: an error raised while it
// is planned or run (a permission, a row-level security policy's own error,
// a cancel) is reported with one CONTEXT line naming the API call instead of
// the generated SQL, which can be long and is of no use to the caller.
// SPI_execute_with_args(sql, nargs, types, values, no nulls, read_only, 0);
// returns its result code. `context` replaces the statement in CONTEXT;
// `saved_context_stack` is restored before the error is re-raised.
int spi_execute_quiet(const char* sql, int nargs, Oid* types, Datum* values, bool read_only, const char* context,
                      ErrorContextCallback* saved_context_stack);

// ---------------------------------------------------------------------------
// From C++ frames (throw PgError).

// One transaction of a background worker, with SPI connected and a snapshot
// pushed: commit() commits it; leaving the scope without commit() (an
// exception unwinding) rolls it back. `activity` is shown in
// pg_stat_activity meanwhile. A failed rollback exits the process: nothing
// safe is left to do then.
class SpiTransaction {
public:
    explicit SpiTransaction(const char* activity);
    void commit();
    ~SpiTransaction();
    SpiTransaction(const SpiTransaction&) = delete;
    SpiTransaction& operator=(const SpiTransaction&) = delete;

private:
    static void abort();
    bool done_ = false;
};

// A parameter of spi_run: its type, value and nullness.
struct SpiArg {
    Oid type;
    Datum value;
    bool null = false;
};

// Runs `sql` (read-write, no row limit) with `args` as $1, $2, ...; raises
// "<who>: query failed (<code>): <sql>" unless SPI returns `expected`.
// Returns SPI_processed; the rows stay in SPI_tuptable.
uint64 spi_run(const char* who, const char* sql, const std::vector<SpiArg>& args, int expected);

// Column `col` (1-based) of row `row` of SPI_tuptable: as text (empty for
// NULL), and as a Datum.
std::string spi_text(uint64 row, int col);
Datum spi_datum(uint64 row, int col, bool* isnull);

}  // namespace rushdb::pg

#include "spi_glue.hpp"

#include "boundary.hpp"

extern "C" {
#include "access/xact.h"
#include "pgstat.h"
#include "storage/ipc.h"
#include "utils/snapmgr.h"
}

namespace rushdb::pg {

// ---------------------------------------------------------------------------
// From plain C frames.

void spi_connect() {
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
}

SPIPlanPtr spi_prepare_kept(const char* sql, int nargs, Oid* types) {
    SPIPlanPtr plan = SPI_prepare(sql, nargs, types);
    if (plan == nullptr) elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
    SPI_keepplan(plan);
    return plan;
}

int spi_execute_quiet(const char* sql, int nargs, Oid* types, Datum* values, bool read_only, const char* context,
                      ErrorContextCallback* saved_context_stack) {
    MemoryContext caller = CurrentMemoryContext;
    int rc = 0;
    PG_TRY();
    { rc = SPI_execute_with_args(sql, nargs, types, values, nullptr, read_only, 0); }
    PG_CATCH();
    {
        MemoryContextSwitchTo(caller);
        ErrorData* e = CopyErrorData();
        FlushErrorState();
        e->internalquery = nullptr;
        e->internalpos = 0;
        e->cursorpos = 0;
        e->context = pstrdup(context);
        error_context_stack = saved_context_stack;
        ReThrowError(e);
    }
    PG_END_TRY();
    return rc;
}

// ---------------------------------------------------------------------------
// From C++ frames.

SpiTransaction::SpiTransaction(const char* activity) {
    try {
        pg_call([&] {
            SetCurrentStatementStartTimestamp();
            StartTransactionCommand();
            if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
            PushActiveSnapshot(GetTransactionSnapshot());
            pgstat_report_activity(STATE_RUNNING, activity);
        });
    } catch (...) {
        abort();
        throw;
    }
}

void SpiTransaction::commit() {
    pg_call([] {
        SPI_finish();
        PopActiveSnapshot();
        CommitTransactionCommand();
        pgstat_report_activity(STATE_IDLE, nullptr);
    });
    done_ = true;
}

SpiTransaction::~SpiTransaction() {
    if (!done_) abort();
}

void SpiTransaction::abort() {
    // Unwinding from an error: PostgreSQL's error state was flushed by
    // pg_call; the transaction (with SPI and snapshots) is rolled back.
    PG_TRY();
    {
        AbortCurrentTransaction();
        pgstat_report_activity(STATE_IDLE, nullptr);
    }
    PG_CATCH();
    {
        // Rolling back failed: nothing safe is left to do but exit.
        EmitErrorReport();
        proc_exit(1);
    }
    PG_END_TRY();
}

uint64 spi_run(const char* who, const char* sql, const std::vector<SpiArg>& args, int expected) {
    std::vector<Oid> types;
    std::vector<Datum> values;
    std::vector<char> nulls;
    for (const SpiArg& a : args) {
        types.push_back(a.type);
        values.push_back(a.value);
        nulls.push_back(a.null ? 'n' : ' ');
    }
    return pg_call([&] {
        int rc = SPI_execute_with_args(sql, static_cast<int>(types.size()), types.data(), values.data(), nulls.data(),
                                       false, 0);
        if (rc != expected) elog(ERROR, "%s: query failed (%s): %s", who, SPI_result_code_string(rc), sql);
        return SPI_processed;
    });
}

std::string spi_text(uint64 row, int col) {
    char* v = pg_call([&] { return SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col); });
    return v ? std::string(v) : std::string();
}

Datum spi_datum(uint64 row, int col, bool* isnull) {
    return pg_call([&] { return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, isnull); });
}

}  // namespace rushdb::pg

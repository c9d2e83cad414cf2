#include "spi_quiet.hpp"

extern "C" {
#include "executor/spi.h"
}

namespace rushdb::pg {

int spi_execute_quiet(const char* sql, int nargs, Oid* types, Datum* values, bool read_only, const char* context,
                      ErrorContextCallback* saved_context_stack) {
    MemoryContext caller = CurrentMemoryContext;
    int rc = 0;
    PG_TRY();
    {
        rc = SPI_execute_with_args(sql, nargs, types, values, nullptr, read_only, 0);
    }
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

}  // namespace rushdb::pg

// rushdb_internal.guard_drop_extension(): an event trigger on DROP
// EXTENSION. The records and embedding-index tables are extension members,
// so a plain DROP EXTENSION rushdb would delete every record without a
// word; this refuses it while they hold rows. CASCADE is the explicit way.
#include "pg_prelude.hpp"
#include "spi_glue.hpp"

extern "C" {
#include "commands/event_trigger.h"
#include "nodes/parsenodes.h"
#include "nodes/value.h"
}

extern "C" {

PG_FUNCTION_INFO_V1(rushdb_guard_drop_extension);

Datum rushdb_guard_drop_extension(PG_FUNCTION_ARGS) {
    if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
        ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED), errmsg("not called as an event trigger")));
    EventTriggerData* data = reinterpret_cast<EventTriggerData*>(fcinfo->context);
    if (!IsA(data->parsetree, DropStmt)) PG_RETURN_VOID();
    DropStmt* stmt = reinterpret_cast<DropStmt*>(data->parsetree);
    if (stmt->removeType != OBJECT_EXTENSION || stmt->behavior == DROP_CASCADE) PG_RETURN_VOID();
    bool ours = false;
    ListCell* cell;
    foreach (cell, stmt->objects) {
        Node* name = static_cast<Node*>(lfirst(cell));
        if (IsA(name, String) && strcmp(strVal(name), "rushdb") == 0) ours = true;
    }
    if (!ours) PG_RETURN_VOID();

    rushdb::pg::spi_connect();
    // Counted up to a bound: a huge table should not make DROP slow to refuse.
    if (SPI_execute("SELECT (SELECT pg_catalog.count(*) FROM (SELECT 1 FROM rushdb.records LIMIT 1000001) s), "
                    "       (SELECT pg_catalog.count(*) FROM rushdb.embedding_indexes)",
                    true, 1) != SPI_OK_SELECT)
        elog(ERROR, "could not count rushdb's records");
    bool isnull;
    int64 records = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
    int64 indexes = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
    SPI_finish();
    if (records == 0 && indexes == 0) PG_RETURN_VOID();
    ereport(ERROR,
            (errcode(ERRCODE_DEPENDENT_OBJECTS_STILL_EXIST),
             errmsg("cannot drop extension rushdb because it holds %s%lld records and %lld embedding indexes",
                    records > 1000000 ? "more than " : "",
                    static_cast<long long>(records > 1000000 ? 1000000 : records), static_cast<long long>(indexes)),
             errdetail("Dropping the extension deletes the records, the indexes and every vector."),
             errhint("Back them up first (pg_dump; see docs/backup.md), then use DROP EXTENSION rushdb CASCADE.")));
    PG_RETURN_VOID();
}

}  // extern "C"

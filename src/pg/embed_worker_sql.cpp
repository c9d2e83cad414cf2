// SQL entry points of the embedding worker: rushdb_internal.wake_embedding_worker()
// (the queue triggers and create_index: start a worker at commit) and
// rushdb.start_embedding_worker() (start one now, for committed work).
#include "embed_worker.hpp"
#include "pg_prelude.hpp"

extern "C" {
#include "miscadmin.h"
}

namespace e = rushdb::pg::embed;

extern "C" {

PG_FUNCTION_INFO_V1(rushdb_wake_embedding_worker);
PG_FUNCTION_INFO_V1(rushdb_start_embedding_worker);

Datum rushdb_wake_embedding_worker(PG_FUNCTION_ARGS) {
    e::wake_worker_at_commit();
    PG_RETURN_VOID();
}

Datum rushdb_start_embedding_worker(PG_FUNCTION_ARGS) {
    if (e::worker_running(MyDatabaseId)) PG_RETURN_BOOL(false);
    PG_RETURN_BOOL(e::launch_worker(MyDatabaseId));
}

}  // extern "C"

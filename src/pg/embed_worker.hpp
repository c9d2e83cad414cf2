// The embedding worker's parts (docs/managed.md), one file each:
//   embed_worker_launch.cpp  which worker runs where: the advisory lock, the
//                            commit callback, registering workers, the launcher;
//   embed_worker_batch.cpp   the batch pipeline: find work, read a batch,
//                            embed it, store it; the backlog sizing;
//   embed_worker.cpp         the worker process: its loop, rights, leaving;
//   embed_worker_sql.cpp     the SQL entry points (wake at commit, start now).
// SQL goes through spi_glue.hpp; index status changes through the
// rushdb_internal functions of sql/install/80_index_states.sql.
#pragma once

#include <string>
#include <vector>

#include "pg_prelude.hpp"

namespace rushdb::pg::embed {

// ---------------------------------------------------------------------------
// embed_worker_launch.cpp. Plain C control flow (they may ereport): call them
// from C frames or through pg_call.

// The worker of database `dboid` holds this session advisory lock for as
// long as it runs.
bool try_worker_lock(Oid dboid);
void release_worker_lock(Oid dboid);
bool worker_running(Oid dboid);

// Registers a dynamic embedding worker for the database; false when no
// background worker slot is free.
bool launch_worker(Oid dboid);

// Starts a worker once this transaction commits, unless one runs then.
void wake_worker_at_commit();

// ---------------------------------------------------------------------------
// embed_worker_batch.cpp. C++ frames: errors arrive as PgError / UserError.

// A managed index with work to do, as the catalog held it at the look.
struct IndexWork {
    std::string id, label, property, model, table, status;
    int dims = 0;
    double wait_ms = 0;  // > 0: backing off after a failure
};

// Indexes with work to do, oldest first (one short transaction).
std::vector<IndexWork> load_work();

// One batch of the index: read, embed, store. `size_backlog` first decides
// whether the backlog is a bulk load (the HNSW index is dropped for it).
// False when nothing was queued (the index is then marked ready).
bool embed_next_batch(const IndexWork& ix, bool size_backlog);

// Counts a failed batch against the index (backoff, then status error).
void record_failure(const IndexWork& ix, const std::string& cause);

}  // namespace rushdb::pg::embed

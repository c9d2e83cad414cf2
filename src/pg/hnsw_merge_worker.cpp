// The background merger of rushdb_hnsw pending lists.
//
// An insert that finds its index's pending list past a sixteenth of
// pending_list_limit starts a dynamic background worker for that index (unless this backend
// started one that is still running, or a merge already holds the merge
// lock) and goes on: merging is the worker's job, so writers keep the append
// rate while the list shrinks behind them. The worker merges the list, a
// batch of pages per transaction (short transactions: its catalog snapshot
// would otherwise hold back VACUUM's horizon), until at most the page being
// filled is left, then exits. Only past the limit itself do writers wait
// for it (see pending_maybe_merge), and where no worker can start (no free
// slot in max_worker_processes) they merge themselves past the limit.
//
// The worker runs as the bootstrap superuser, as the embedding worker does:
// merging reads and writes index pages only; it evaluates no expression, no
// operator and no function of any role (the vectors were computed by the
// inserts that appended them), so no role's code runs with its rights.
#include "hnsw_pending.hpp"

#include <cstring>

#include "boundary.hpp"

extern "C" {
#include "access/relation.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/pg_am.h"
#include "catalog/pg_authid.h"
#include "commands/defrem.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/lmgr.h"
#include "tcop/tcopprot.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
}

namespace rushdb::pg::hnsw {
namespace {

// What the worker is told: bgw_extra holds these two OIDs.
struct MergeTarget {
    Oid database;
    Oid index;
};

// Pages merged per transaction of the worker.
constexpr uint32 kPagesPerTransaction = 64;

// The worker this backend started last (one index at a time is enough to
// stop a backend from starting a worker per insert).
Oid g_started_for = InvalidOid;
BackgroundWorkerHandle* g_started = nullptr;

bool still_running(Oid index) {
    if (g_started == nullptr || g_started_for != index) return false;
    pid_t pid;
    BgwHandleStatus s = GetBackgroundWorkerPid(g_started, &pid);
    return s == BGWH_STARTED || s == BGWH_NOT_YET_STARTED;
}

}  // namespace

bool start_merge_worker(Relation index) {
    Oid oid = RelationGetRelid(index);
    if (still_running(oid) || IsBackgroundWorker || RecoveryInProgress()) return true;
    BackgroundWorker w;
    std::memset(&w, 0, sizeof w);
    w.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
    w.bgw_start_time = BgWorkerStart_RecoveryFinished;
    w.bgw_restart_time = BGW_NEVER_RESTART;
    snprintf(w.bgw_library_name, BGW_MAXLEN, "rushdb");
    snprintf(w.bgw_function_name, BGW_MAXLEN, "rushdb_hnsw_merge_worker_main");
    snprintf(w.bgw_name, BGW_MAXLEN, "rushdb hnsw merge (index %u)", oid);
    snprintf(w.bgw_type, BGW_MAXLEN, "rushdb hnsw merge");
    MergeTarget target{MyDatabaseId, oid};
    static_assert(sizeof(MergeTarget) <= BGW_EXTRALEN, "merge target fits bgw_extra");
    std::memcpy(w.bgw_extra, &target, sizeof target);
    w.bgw_notify_pid = 0;
    // The handle lives as long as the backend: TopMemoryContext.
    MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
    BackgroundWorkerHandle* handle = nullptr;
    bool ok = RegisterDynamicBackgroundWorker(&w, &handle);
    MemoryContextSwitchTo(old);
    if (!ok) return false;
    if (g_started != nullptr) pfree(g_started);
    g_started = handle;
    g_started_for = oid;
    return true;
}

}  // namespace rushdb::pg::hnsw

namespace h = rushdb::pg::hnsw;

extern "C" {

PGDLLEXPORT void rushdb_hnsw_merge_worker_main(Datum arg);

void rushdb_hnsw_merge_worker_main(Datum) {
    h::MergeTarget target;
    std::memcpy(&target, MyBgworkerEntry->bgw_extra, sizeof target);
    pqsignal(SIGTERM, die);
    BackgroundWorkerUnblockSignals();
    BackgroundWorkerInitializeConnectionByOid(target.database, BOOTSTRAP_SUPERUSERID, 0);
    pgstat_report_activity(STATE_RUNNING, "merging a rushdb_hnsw pending list");
    for (;;) {
        SetCurrentStatementStartTimestamp();
        StartTransactionCommand();
        // Gone (dropped) or not ours: nothing to do. The table is locked
        // first, as by any insert (and hnsw_verify's ShareLock waits).
        Oid table = IndexGetRelation(target.index, true);
        if (!OidIsValid(table)) {
            CommitTransactionCommand();
            break;
        }
        LockRelationOid(table, RowExclusiveLock);
        Relation index = try_relation_open(target.index, RowExclusiveLock);
        if (index == nullptr || index->rd_rel->relkind != RELKIND_INDEX ||
            index->rd_rel->relam != get_am_oid("rushdb_hnsw", true)) {
            if (index != nullptr) relation_close(index, RowExclusiveLock);
            CommitTransactionCommand();
            break;
        }
        // Hold no snapshot while merging (nothing here reads the heap).
        InvalidateCatalogSnapshot();
        h::MergeStats stats =
            h::pending_merge(index, h::index_params(index), h::kPagesPerTransaction, false, nullptr, nullptr);
        uint32 left = h::pending_pages(index);
        relation_close(index, RowExclusiveLock);
        CommitTransactionCommand();
        // Stop when another merger holds the lock (stats.pages == 0 with
        // pages left), or only the page being filled is left.
        if (stats.pages == 0 || left <= 1) break;
    }
    pgstat_report_activity(STATE_IDLE, nullptr);
    proc_exit(0);
}

}  // extern "C"

// The background merger of rushdb_hnsw pending lists.
//
// An insert that finds its index's pending list past a sixteenth of
// pending_list_limit starts a dynamic background worker for that index and
// goes on: merging is the worker's job, so writers keep the append rate
// while the list shrinks behind them. One worker per index: it holds a lock
// of its own for its life (a second one exits at once, and writers do not
// register one while it is held); a backend registers at most one worker
// per index per second, so a worker that cannot run (its table locked by
// someone else) does not turn every insert into a fork. The worker merges
// page by page, waiting for the merge lock when VACUUM or a writer has it,
// in transactions of at most 200 ms (DDL on the table waits no longer) that
// hold no snapshot, until at most the page being filled is left, then
// exits. It skips its turn (exits) when it cannot lock the table at once:
// whoever holds it blocks the writers too. Past the limit writers wait for
// the list to shrink, merging a page themselves whenever no merge runs (so
// they also make progress when no worker slot is free).
//
// The worker runs as the bootstrap superuser, as the embedding worker does:
// merging reads and writes index pages only; it evaluates no expression, no
// operator and no function of any role (the vectors were computed by the
// inserts that appended them), so no role's code runs with its rights.
#include "hnsw_pending.hpp"

#include <cstring>

#include "bgworker_launch.hpp"
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
#include "utils/timestamp.h"
#include "storage/lock.h"
}

namespace rushdb::pg::hnsw {
namespace {

// What the worker is told: bgw_extra holds these two OIDs.
struct MergeTarget {
    Oid database;
    Oid index;
};

// Longest merging transaction of the worker.
constexpr long kTransactionMs = 200;

// The lock a merge worker holds for its life: one per index.
void worker_tag(LOCKTAG* tag, Oid database, Oid index) {
    SET_LOCKTAG_ADVISORY(*tag, database, index, 0x52484d57 /* "RHMW" */, 3);
}

bool worker_running(Oid index) {
    LOCKTAG tag;
    worker_tag(&tag, MyDatabaseId, index);
    if (LockAcquire(&tag, ExclusiveLock, false, true) == LOCKACQUIRE_NOT_AVAIL) return true;
    LockRelease(&tag, ExclusiveLock, false);
    return false;
}

// This process is a merge worker (its own inserts, if any, start none).
bool g_is_merge_worker = false;

// The last registration of this backend, to register at most one worker
// per index per second.
Oid g_registered_for = InvalidOid;
TimestampTz g_registered_at = 0;

}  // namespace

bool start_merge_worker(Relation index) {
    Oid oid = RelationGetRelid(index);
    if (g_is_merge_worker || RecoveryInProgress()) return false;
    if (worker_running(oid)) return true;
    TimestampTz now = GetCurrentTimestamp();
    if (g_registered_for == oid && !TimestampDifferenceExceeds(g_registered_at, now, 1000)) return true;
    char name[BGW_MAXLEN];
    snprintf(name, sizeof name, "rushdb hnsw merge (index %u)", oid);
    MergeTarget target{MyDatabaseId, oid};
    static_assert(sizeof(MergeTarget) <= BGW_EXTRALEN, "merge target fits bgw_extra");
    if (!register_dynamic_worker("rushdb_hnsw_merge_worker_main", name, "rushdb hnsw merge", 0, &target, sizeof target))
        return false;
    g_registered_for = oid;
    g_registered_at = now;
    return true;
}

}  // namespace rushdb::pg::hnsw

namespace h = rushdb::pg::hnsw;

extern "C" {

PGDLLEXPORT void rushdb_hnsw_merge_worker_main(Datum arg);

void rushdb_hnsw_merge_worker_main(Datum) {
    h::MergeTarget target;
    std::memcpy(&target, MyBgworkerEntry->bgw_extra, sizeof target);
    h::g_is_merge_worker = true;
    pqsignal(SIGTERM, die);
    BackgroundWorkerUnblockSignals();
    BackgroundWorkerInitializeConnectionByOid(target.database, BOOTSTRAP_SUPERUSERID, 0);
    LOCKTAG tag;
    h::worker_tag(&tag, target.database, target.index);
    if (LockAcquire(&tag, ExclusiveLock, true, true) == LOCKACQUIRE_NOT_AVAIL) proc_exit(0);  // one runs
    pgstat_report_activity(STATE_RUNNING, "merging a rushdb_hnsw pending list");
    for (bool done = false; !done;) {
        SetCurrentStatementStartTimestamp();
        StartTransactionCommand();
        // Gone (dropped) or not ours: nothing to do. The table is locked
        // first, as by any insert; if someone holds it, this turn is over.
        Oid table = IndexGetRelation(target.index, true);
        if (!OidIsValid(table) || !ConditionalLockRelationOid(table, RowExclusiveLock)) {
            CommitTransactionCommand();
            break;
        }
        Relation index = try_relation_open(target.index, RowExclusiveLock);
        if (index == nullptr || index->rd_rel->relkind != RELKIND_INDEX ||
            index->rd_rel->relam != get_am_oid("rushdb_hnsw", true)) {
            if (index != nullptr) relation_close(index, RowExclusiveLock);
            CommitTransactionCommand();
            break;
        }
        h::IndexParams params = h::index_params(index);
        // Hold no snapshot while merging (nothing here reads the heap).
        InvalidateCatalogSnapshot();
        TimestampTz began = GetCurrentTimestamp();
        for (;;) {
            h::MergeStats stats = h::pending_merge(index, params, 1, true, nullptr, nullptr);
            // Done: only the page being filled is left (not mergeable yet).
            if (stats.pages == 0 || h::pending_pages(index) <= 1) {
                done = true;
                break;
            }
            // Short transactions: DDL waiting for the table waits for at
            // most this (LockHasWaitersRelation cannot tell for a weak,
            // fast-path lock like ours).
            if (TimestampDifferenceExceeds(began, GetCurrentTimestamp(), h::kTransactionMs)) break;
        }
        relation_close(index, RowExclusiveLock);
        CommitTransactionCommand();
    }
    LockRelease(&tag, ExclusiveLock, true);
    pgstat_report_activity(STATE_IDLE, nullptr);
    proc_exit(0);
}

}  // extern "C"

// Which embedding worker runs where (docs/managed.md, "Who starts it").
//
// One worker per database at a time, made unique by a session advisory lock.
// It is started
//   - by a backend whose committed transaction queued work (trigger on
//     rushdb.records, create_index) when no worker holds the lock;
//   - by rushdb.start_embedding_worker() / wait_for_index();
//   - by the launcher, a static worker that exists when rushdb is in
//     shared_preload_libraries, at server start (so work left by a crash or
//     restart resumes by itself) and every rushdb.embedding_launcher_naptime.
#include <cstring>

#include "bgworker_launch.hpp"
#include "embed_glue.hpp"
#include "embed_worker.hpp"
#include "pg_prelude.hpp"

extern "C" {
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"

PGDLLEXPORT void rushdb_embedding_launcher_main(Datum arg);
}

namespace rushdb::pg::embed {

namespace {

// 'RUSH' 'EMBD' as the two int4 keys of pg_advisory_lock(int, int) in the
// worker's database.
void worker_lock_tag(LOCKTAG* tag, Oid dboid) { SET_LOCKTAG_ADVISORY(*tag, dboid, 0x52555348, 0x454d4244, 2); }

bool g_wake_at_commit = false;
bool g_callback_registered = false;

// The worker is started after commit: one started earlier would find the
// queue rows invisible and exit. If a worker holds the lock, it will see the
// rows: a worker releases the lock before its last look at the queue.
void on_xact_event(XactEvent event, void*) {
    if (event == XACT_EVENT_COMMIT && g_wake_at_commit) {
        g_wake_at_commit = false;
        // The transaction is committed: an error here could not undo it, and
        // the work stays queued for the next write, wait or launcher round.
        PG_TRY();
        {
            if (!worker_running(MyDatabaseId) && !launch_worker(MyDatabaseId))
                ereport(LOG, (errmsg("rushdb: no background worker slot for the embedding worker"),
                              errhint("Raise max_worker_processes; queued records are embedded later.")));
        }
        PG_CATCH();
        { FlushErrorState(); }
        PG_END_TRY();
    } else if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PREPARE || event == XACT_EVENT_PARALLEL_ABORT) {
        g_wake_at_commit = false;
    }
}

}  // namespace

bool try_worker_lock(Oid dboid) {
    LOCKTAG tag;
    worker_lock_tag(&tag, dboid);
    return LockAcquire(&tag, ExclusiveLock, true, true) != LOCKACQUIRE_NOT_AVAIL;
}

void release_worker_lock(Oid dboid) {
    LOCKTAG tag;
    worker_lock_tag(&tag, dboid);
    LockRelease(&tag, ExclusiveLock, true);
}

// A worker holds the lock for as long as it runs.
bool worker_running(Oid dboid) {
    if (!try_worker_lock(dboid)) return true;
    release_worker_lock(dboid);
    return false;
}

bool launch_worker(Oid dboid) {
    char name[BGW_MAXLEN];
    snprintf(name, sizeof name, "rushdb embedding worker (database %u)", dboid);
    return register_dynamic_worker("rushdb_embedding_worker_main", name, "rushdb embedding worker",
                                   ObjectIdGetDatum(dboid));
}

void wake_worker_at_commit() {
    if (!g_callback_registered) {
        RegisterXactCallback(on_xact_event, nullptr);
        g_callback_registered = true;
    }
    g_wake_at_commit = true;
}

void register_launcher() {
    if (!process_shared_preload_libraries_in_progress) return;
    BackgroundWorker w;
    std::memset(&w, 0, sizeof w);
    w.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
    w.bgw_start_time = BgWorkerStart_RecoveryFinished;
    w.bgw_restart_time = 5;  // seconds; also after a crash restart
    snprintf(w.bgw_library_name, BGW_MAXLEN, "rushdb");
    snprintf(w.bgw_function_name, BGW_MAXLEN, "rushdb_embedding_launcher_main");
    snprintf(w.bgw_name, BGW_MAXLEN, "rushdb embedding launcher");
    snprintf(w.bgw_type, BGW_MAXLEN, "rushdb embedding launcher");
    RegisterBackgroundWorker(&w);
}

}  // namespace rushdb::pg::embed

namespace e = rushdb::pg::embed;

extern "C" {

// Starts a worker for every database that accepts connections and has none;
// a worker exits at once where rushdb is not installed or nothing is queued.
void rushdb_embedding_launcher_main(Datum) {
    pqsignal(SIGTERM, die);
    pqsignal(SIGHUP, SignalHandlerForConfigReload);
    BackgroundWorkerUnblockSignals();
    BackgroundWorkerInitializeConnection(nullptr, nullptr, 0);
    MemoryContext round = AllocSetContextCreate(TopMemoryContext, "rushdb launcher", ALLOCSET_DEFAULT_SIZES);
    for (;;) {
        MemoryContextReset(round);
        List* databases = NIL;
        SetCurrentStatementStartTimestamp();
        StartTransactionCommand();
        Relation rel = table_open(DatabaseRelationId, AccessShareLock);
        TableScanDesc scan = table_beginscan_catalog(rel, 0, nullptr);
        HeapTuple tuple;
        while ((tuple = heap_getnext(scan, ForwardScanDirection)) != nullptr) {
            Form_pg_database db = reinterpret_cast<Form_pg_database>(GETSTRUCT(tuple));
            // A database that DROP DATABASE has marked invalid is being
            // removed: a worker started for it would wait for the drop and
            // then fail ("FATAL: database ... does not exist").
            if (db->datallowconn && !db->datistemplate && !database_is_invalid_form(db)) {
                MemoryContext old = MemoryContextSwitchTo(round);
                databases = lappend_oid(databases, db->oid);
                MemoryContextSwitchTo(old);
            }
        }
        table_endscan(scan);
        table_close(rel, AccessShareLock);
        CommitTransactionCommand();
        ListCell* cell;
        foreach (cell, databases) {
            Oid dboid = lfirst_oid(cell);
            if (!e::worker_running(dboid) && !e::launch_worker(dboid))
                ereport(LOG,
                        (errmsg("rushdb: no background worker slot for the embedding worker of database %u", dboid)));
        }
        // Sleep out the naptime (counted from this round, so a reloaded
        // naptime applies at once). Every procsignal sets the latch too (a
        // ProcSignalBarrier such as DROP DATABASE's, sinval catch-up): those
        // must not start a round, which starts a worker in every database
        // (one for a database being dropped, which then failed).
        TimestampTz round_end = GetCurrentTimestamp();
        for (;;) {
            long ms = TimestampDifferenceMilliseconds(
                GetCurrentTimestamp(), TimestampTzPlusMilliseconds(round_end, e::launcher_naptime_s() * 1000L));
            if (ms <= 0) break;
            (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, ms, PG_WAIT_EXTENSION);
            ResetLatch(MyLatch);
            CHECK_FOR_INTERRUPTS();
            if (ConfigReloadPending) {
                ConfigReloadPending = false;
                ProcessConfigFile(PGC_SIGHUP);
            }
        }
    }
}

}  // extern "C"

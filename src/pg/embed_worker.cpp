// The embedding worker process: embeds the records queued in
// rushdb_internal.embedding_queue into their managed indexes
// (docs/managed.md). Who starts it is embed_worker_launch.cpp; what one batch
// does is embed_worker_batch.cpp. This file is its loop: rights, rounds over
// the indexes with work, naps, failures, and leaving when asked.
//
// Rights (docs/security.md): the worker runs as the extension's owner, in a
// security-restricted operation with search_path pinned, and touches only
// what the extension owns: the catalog, the queue and the vector tables in
// rushdb_internal, each checked to be the plain table the extension made
// before use. No object an ordinary role owns is reachable from its SQL.
// It holds a session lock on its database, so DROP DATABASE (which waits
// for that lock) makes it leave, as autovacuum workers do.
#include <algorithm>
#include <string>
#include <unordered_set>
#include <vector>

#include "boundary.hpp"
#include "embed_glue.hpp"
#include "embed_worker.hpp"
#include "pg_prelude.hpp"
#include "privileges.hpp"
#include "spi_glue.hpp"

extern "C" {
#include "catalog/pg_authid.h"
#include "catalog/pg_database.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"

PGDLLEXPORT void rushdb_embedding_worker_main(Datum arg);
}

namespace rushdb::pg::embed {

namespace {

// DROP DATABASE (and ALTER DATABASE RENAME / SET TABLESPACE) hold an
// exclusive lock on the database object while they wait for its sessions
// to end; only autovacuum workers are told to leave. The worker looks for
// such a holder between steps and while a provider call is in flight, and
// leaves, so DROP DATABASE works while it runs.
bool leave_requested() {
    LOCKTAG tag;
    SET_LOCKTAG_OBJECT(tag, InvalidOid, DatabaseRelationId, MyDatabaseId, 0);
    VirtualTransactionId* holders = GetLockConflicts(&tag, AccessShareLock, nullptr);
    bool held = VirtualTransactionIdIsValid(holders[0]);
    pfree(holders);
    return held;
}

void leave_if_requested() {
    if (!pg_call([] { return leave_requested(); })) return;
    pg_call([] {
        ereport(LOG, (errmsg("rushdb embedding worker leaves database %u: a command waits for it", MyDatabaseId)));
    });
    proc_exit(0);
}

// The extension's owner, or InvalidOid when rushdb is not installed here
// at the version this library serves (a database still at 0.1.0 waits for
// ALTER EXTENSION rushdb UPDATE).
Oid installed_owner() {
    SpiTransaction txn("rushdb: checking for the extension");
    Oid owner = pg_call([] {
        if (SPI_execute(
                "SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'rushdb' AND extversion = '" RUSHDB_VERSION "'",
                true, 1) != SPI_OK_SELECT)
            elog(ERROR, "could not read pg_extension");
        return SPI_processed == 1 ? extension_owner() : InvalidOid;
    });
    txn.commit();
    return owner;
}

// One batch of one index; true when queue rows were consumed.
bool run_batch(const IndexWork& ix, bool first_batch) {
    try {
        return embed_next_batch(ix, first_batch);
    } catch (const PgError& e) {
        // A pending interrupt (shutdown, cancel), a DROP DATABASE waiting
        // or a dropped extension is not the index's fault.
        pg_call([] { CHECK_FOR_INTERRUPTS(); });
        leave_if_requested();
        if (!OidIsValid(installed_owner())) proc_exit(0);
        record_failure(ix, e.what());
    } catch (const UserError& e) {
        pg_call([] { CHECK_FOR_INTERRUPTS(); });
        leave_if_requested();
        record_failure(ix, e.what());
    } catch (const std::exception& e) {
        record_failure(ix, e.what());
    }
    return false;
}

void wait_ms(long ms) {
    pg_call([&] {
        int rc = WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, ms, PG_WAIT_EXTENSION);
        (void)rc;
        ResetLatch(MyLatch);
        CHECK_FOR_INTERRUPTS();
        if (ConfigReloadPending) {
            ConfigReloadPending = false;
            ProcessConfigFile(PGC_SIGHUP);
        }
    });
}

void worker_loop(Oid dboid) {
    Oid owner = installed_owner();
    if (!OidIsValid(owner)) return;
    // From here on every transaction runs as the extension's owner, in a
    // security-restricted operation, with the extension's search_path
    // (transactions restore this on abort: it is their starting state).
    pg_call([&] {
        SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_OVERRIDE);
        SetUserIdAndSecContext(owner, SECURITY_RESTRICTED_OPERATION);
    });
    g_leave_requested = leave_requested;
    std::unordered_set<std::string> sized;
    if (!pg_call([&] { return try_worker_lock(dboid); })) return;  // another worker has it
    int idle_rounds = 0;  // rounds in a row that embedded nothing, with no index backing off
    for (;;) {
        wait_ms(0);  // interrupts and config reload
        leave_if_requested();
        std::vector<IndexWork> work;
        try {
            work = load_work();
        } catch (const PgError&) {
            // DROP EXTENSION took the tables away: nothing left to do here.
            if (!OidIsValid(installed_owner())) return;
            throw;
        }
        if (work.empty()) {
            // Release first, then look once more: a writer that committed
            // after our look either sees the lock free (and starts a worker)
            // or committed before this second look (and we see its rows).
            pg_call([&] { release_worker_lock(dboid); });
            work = load_work();
            if (work.empty()) return;
            if (!pg_call([&] { return try_worker_lock(dboid); })) return;
        }
        bool progressed = false, backing_off = false;
        long sleep = 1000;  // poll at least every second while backing off
        for (const IndexWork& ix : work) {
            if (ix.wait_ms > 0) {
                sleep = std::min(sleep, std::max(1L, static_cast<long>(ix.wait_ms)));
                backing_off = true;
                continue;
            }
            // The backlog is sized once per index and worker life: the start
            // of a backfill, or its resumption after a crash or restart.
            bool first_batch = sized.insert(ix.id).second;
            progressed |= run_batch(ix, first_batch);
            leave_if_requested();
        }
        // A round that only found queues drained (and marked their indexes
        // ready) looks again at once: it usually finds nothing and the
        // worker exits, and work queued meanwhile (a writer seeing this
        // worker's lock starts none) is taken now, not after a nap. Napping
        // there made re-embedding after a burst of updates wait up to a
        // second. A second idle round in a row naps, so nothing spins.
        if (progressed || backing_off) idle_rounds = 0;
        if (!progressed && !backing_off && ++idle_rounds == 1) continue;
        if (!progressed) {
            // Short naps, so a DROP DATABASE waits at most about 100 ms.
            for (long slept = 0; slept < sleep; slept += 100) {
                wait_ms(std::min(100L, sleep - slept));
                leave_if_requested();
            }
        }
    }
}

}  // namespace

}  // namespace rushdb::pg::embed

extern "C" {

void rushdb_embedding_worker_main(Datum arg) {
    Oid dboid = DatumGetObjectId(arg);
    pqsignal(SIGTERM, die);
    pqsignal(SIGHUP, SignalHandlerForConfigReload);
    BackgroundWorkerUnblockSignals();
    BackgroundWorkerInitializeConnectionByOid(dboid, BOOTSTRAP_SUPERUSERID, 0);
    rushdb::pg::guarded([&] { rushdb::pg::embed::worker_loop(dboid); });
    proc_exit(0);
}

}  // extern "C"

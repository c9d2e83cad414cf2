// The embedding worker: embeds the records queued in rushdb_internal.embedding_queue
// into their managed indexes (docs/managed.md).
//
// One worker per database at a time, made unique by a session advisory lock.
// It is started
//   - by a backend whose committed transaction queued work (trigger on
//     rushdb.records, create_index) when no worker holds the lock;
//   - by rushdb.start_embedding_worker() / wait_for_index();
//   - by the launcher, a static worker that exists when rushdb is in
//     shared_preload_libraries, at server start (so work left by a crash or
//     restart resumes by itself) and every rushdb.embedding_launcher_naptime.
//
// A batch is three steps, so no lock is held while a provider is called:
//   1. read up to rushdb.embedding_batch_size queue rows and the records'
//      texts (one short transaction);
//   2. embed, outside any transaction;
//   3. store the vectors and delete exactly the queue rows read in 1 (one
//      transaction). A record written again meanwhile has a newer queue row,
//      so it is embedded again; a crash between 1 and 3 leaves the rows
//      queued, so nothing is lost and nothing is stored twice.
// A failed batch counts against the index: it goes back to pending with a
// growing delay, and to error after rushdb.embedding_max_failures in a row.
// A backlog much larger than the index (a new index's backfill) is embedded
// with the HNSW index dropped, which is rebuilt in memory once drained.
//
// Rights (docs/security.md): the worker runs as the extension's owner, in a
// security-restricted operation with search_path pinned, and touches only
// what the extension owns: the catalog, the queue and the vector tables in
// rushdb_internal, each checked to be the plain table the extension made
// before use. No object an ordinary role owns is reachable from its SQL.
// It holds a session lock on its database, so DROP DATABASE (which waits
// for that lock) makes it leave, as autovacuum workers do.
#include <algorithm>
#include <cstring>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "bgworker_launch.hpp"
#include "boundary.hpp"
#include "embed_glue.hpp"
#include "pg_prelude.hpp"
#include "privileges.hpp"
#include "vector_type.hpp"

extern "C" {
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_database.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
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
#include "utils/array.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/uuid.h"

PGDLLEXPORT void rushdb_embedding_worker_main(Datum arg);
PGDLLEXPORT void rushdb_embedding_launcher_main(Datum arg);
}

using namespace rushdb::pg;

namespace rushdb::pg::embed {

namespace {

// ---------------------------------------------------------------------------
// Which worker runs where: the advisory lock and launching.

// 'RUSH' 'EMBD' as the two int4 keys of pg_advisory_lock(int, int) in the
// worker's database.
void worker_lock_tag(LOCKTAG* tag, Oid dboid) { SET_LOCKTAG_ADVISORY(*tag, dboid, 0x52555348, 0x454d4244, 2); }

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
        {
            FlushErrorState();
        }
        PG_END_TRY();
    } else if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PREPARE || event == XACT_EVENT_PARALLEL_ABORT) {
        g_wake_at_commit = false;
    }
}

// ---------------------------------------------------------------------------
// SPI in the worker. Each helper runs PostgreSQL code through pg_call, so an
// error arrives as a PgError exception and C++ objects unwind normally.

struct Txn {
    explicit Txn(const char* activity) {
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
    void commit() {
        pg_call([] {
            SPI_finish();
            PopActiveSnapshot();
            CommitTransactionCommand();
            pgstat_report_activity(STATE_IDLE, nullptr);
        });
        done_ = true;
    }
    ~Txn() {
        if (!done_) abort();
    }
    Txn(const Txn&) = delete;
    Txn& operator=(const Txn&) = delete;

private:
    static void abort() {
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

    bool done_ = false;
};

struct Arg {
    Oid type;
    Datum value;
    bool null = false;
};

uint64 run(const char* sql, const std::vector<Arg>& args, int expected) {
    std::vector<Oid> types;
    std::vector<Datum> values;
    std::vector<char> nulls;
    for (const Arg& a : args) {
        types.push_back(a.type);
        values.push_back(a.value);
        nulls.push_back(a.null ? 'n' : ' ');
    }
    return pg_call([&] {
        int rc = SPI_execute_with_args(sql, static_cast<int>(types.size()), types.data(), values.data(),
                                       nulls.data(), false, 0);
        if (rc != expected) elog(ERROR, "rushdb embedding worker: query failed (%s): %s", SPI_result_code_string(rc), sql);
        return SPI_processed;
    });
}

Datum text_datum(const std::string& s) {
    return pg_call([&] { return PointerGetDatum(cstring_to_text_with_len(s.data(), static_cast<int>(s.size()))); });
}

std::string column_text(uint64 row, int col) {
    char* v = pg_call([&] { return SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col); });
    return v ? std::string(v) : std::string();
}

Datum column_datum(uint64 row, int col, bool* isnull) {
    return pg_call([&] { return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, isnull); });
}

// The HNSW index of an index's vector table; NULL when dropped for a backfill.
#define GRAPH_REGCLASS_SQL \
    "pg_catalog.to_regclass('rushdb_internal.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(e.vector_table OPERATOR(pg_catalog.||) '_hnsw'))"

// The index's vector table, checked (raises UserError when it is missing
// or not the extension's own table).
void check_storage(const std::string& table, const std::string& index_id) {
    Oid rel = pg_call([&] { return checked_vector_storage(table.c_str(), index_id.c_str(), true); });
    if (!OidIsValid(rel))
        throw UserError(ERRCODE_UNDEFINED_TABLE, "the vector table rushdb_internal." + table + " of index " + index_id +
                                                     " is missing; run rushdb.repair_index('" + index_id + "')");
}

std::string quoted(const std::string& name) {
    return pg_call([&] { return std::string(quote_identifier(name.c_str())); });
}

// ---------------------------------------------------------------------------
// The work.

struct IndexWork {
    std::string id, label, property, model, table, status;
    int dims = 0;
    double wait_ms = 0;  // > 0: backing off after a failure
};

struct QueuedRecord {
    pg_uuid_t id;
    bool live = false;               // exists and still has the index's label
    std::vector<std::string> texts;  // empty: no vector (property gone, not a string, empty)
};

struct Batch {
    std::vector<int64> seqs;            // every queue row read, duplicates included
    std::vector<QueuedRecord> records;  // one per record, the latest reading
};

// Indexes with work to do. A vector table without its primary key or
// without row-level security is being restored (pg_restore and pg_dump's
// scripts create the table, load its rows, then add the constraints,
// indexes, policy and row security): the worker leaves it alone until the
// restore has finished it, so it neither fails on the missing key nor builds
// an HNSW index the restore is about to create. A missing table is not
// skipped: that is an error with the repair hint (check_storage).
std::vector<IndexWork> load_work() {
    Txn txn("rushdb: looking for embedding work");
    uint64 n = run(
        "SELECT e.id::text, e.label, e.property_name, e.model_key, e.vector_table, e.status, e.dimensions, "
        "       greatest(coalesce(extract(epoch FROM e.retry_at - clock_timestamp()) * 1000, 0), 0)::float8 "
        "FROM rushdb.embedding_indexes e "
        "WHERE e.source_type = 'managed' AND e.enabled AND e.status <> 'error' "
        "  AND (e.status IN ('pending', 'indexing') "
        "       OR EXISTS (SELECT 1 FROM rushdb_internal.embedding_queue q WHERE q.index_id = e.id)) "
        "  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c "
        "                  WHERE c.relnamespace = 'rushdb_internal'::pg_catalog.regnamespace "
        "                    AND c.relname = e.vector_table "
        "                    AND NOT (c.relrowsecurity AND EXISTS (SELECT 1 FROM pg_catalog.pg_index i "
        "                                                          WHERE i.indrelid = c.oid AND i.indisprimary))) "
        "ORDER BY e.created_at, e.id",
        {}, SPI_OK_SELECT);
    std::vector<IndexWork> work;
    for (uint64 i = 0; i < n; ++i) {
        IndexWork w;
        w.id = column_text(i, 1);
        w.label = column_text(i, 2);
        w.property = column_text(i, 3);
        w.model = column_text(i, 4);
        w.table = column_text(i, 5);
        w.status = column_text(i, 6);
        bool isnull;
        w.dims = DatumGetInt32(column_datum(i, 7, &isnull));
        w.wait_ms = DatumGetFloat8(column_datum(i, 8, &isnull));
        work.push_back(std::move(w));
    }
    txn.commit();
    return work;
}

// Step 1. Returns false (and marks the index ready) when nothing is queued.
bool read_batch(const IndexWork& ix, Batch& batch) {
    Txn txn("rushdb: reading records to embed");
    uint64 n = run(
        "SELECT q.seq, q.record_id, r.id IS NOT NULL AND r.label = $2, rushdb_internal.embedding_texts(r.properties -> $3) "
        "FROM rushdb_internal.embedding_queue q LEFT JOIN rushdb.records r ON r.id = q.record_id "
        "WHERE q.index_id = $1::uuid ORDER BY q.seq LIMIT $4",
        {{TEXTOID, text_datum(ix.id)}, {TEXTOID, text_datum(ix.label)}, {TEXTOID, text_datum(ix.property)},
         {INT4OID, Int32GetDatum(worker_batch_size())}},
        SPI_OK_SELECT);
    if (n == 0) {
        // Drained. A backfill that dropped the HNSW index rebuilds it first,
        // in this transaction, so the index is never ready without it.
        uint64 missing = run("SELECT 1 FROM rushdb.embedding_indexes e WHERE e.id = $1::uuid AND " GRAPH_REGCLASS_SQL " IS NULL",
                             {{TEXTOID, text_datum(ix.id)}}, SPI_OK_SELECT);
        if (missing > 0) {
            check_storage(ix.table, ix.id);
            pg_call([&] { pgstat_report_activity(STATE_RUNNING, "rushdb: building the HNSW index after a backfill"); });
            std::string table = quoted(ix.table);
            run("SELECT rushdb_internal.build_vector_index(e) FROM rushdb.embedding_indexes e WHERE e.id = $1::uuid",
                {{TEXTOID, text_datum(ix.id)}}, SPI_OK_SELECT);
            run(("ANALYZE rushdb_internal." + table).c_str(), {}, SPI_OK_UTILITY);
            // Fresh statistics, so the first searches after a backfill get
            // the HNSW plan: without them the planner guesses a few hundred
            // records per label and ranks every vector of the label instead.
            run("ANALYZE rushdb.records", {}, SPI_OK_UTILITY);
        }
        run("UPDATE rushdb.embedding_indexes e SET status = 'ready', failures = 0, error = NULL, retry_at = NULL, "
            "       updated_at = now() "
            "WHERE e.id = $1::uuid AND e.status IN ('pending', 'indexing') "
            "  AND NOT EXISTS (SELECT 1 FROM rushdb_internal.embedding_queue q WHERE q.index_id = e.id)",
            {{TEXTOID, text_datum(ix.id)}}, SPI_OK_UPDATE);
        txn.commit();
        return false;
    }
    std::unordered_map<std::string, std::size_t> position;  // record id bytes -> records[]
    for (uint64 i = 0; i < n; ++i) {
        bool isnull;
        batch.seqs.push_back(DatumGetInt64(column_datum(i, 1, &isnull)));
        QueuedRecord rec;
        std::memcpy(&rec.id, DatumGetUUIDP(column_datum(i, 2, &isnull)), sizeof(pg_uuid_t));
        Datum live = column_datum(i, 3, &isnull);
        rec.live = !isnull && DatumGetBool(live);
        Datum texts = column_datum(i, 4, &isnull);
        if (rec.live && !isnull) {
            Datum* elems = nullptr;
            bool* elem_nulls = nullptr;
            int count = 0;
            pg_call([&] {
                deconstruct_array(DatumGetArrayTypeP(texts), TEXTOID, -1, false, TYPALIGN_INT, &elems, &elem_nulls,
                                  &count);
            });
            for (int k = 0; k < count; ++k) {
                if (elem_nulls[k]) continue;
                text* t = reinterpret_cast<text*>(PG_DETOAST_DATUM_PACKED(elems[k]));
                if (VARSIZE_ANY_EXHDR(t) == 0) continue;
                rec.texts.emplace_back(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
            }
        }
        std::string key(reinterpret_cast<const char*>(rec.id.data), UUID_LEN);
        auto found = position.find(key);
        if (found == position.end()) {
            position.emplace(std::move(key), batch.records.size());
            batch.records.push_back(std::move(rec));
        } else {
            batch.records[found->second] = std::move(rec);  // rows come in queue order: the later wins
        }
    }
    if (ix.status != "indexing")
        run("UPDATE rushdb.embedding_indexes SET status = 'indexing', updated_at = now() "
            "WHERE id = $1::uuid AND status IN ('pending', 'ready')",
            {{TEXTOID, text_datum(ix.id)}}, SPI_OK_UPDATE);
    txn.commit();
    return true;
}

bool is_zero(const std::vector<float>& v) {
    return std::all_of(v.begin(), v.end(), [](float x) { return x == 0.0f; });
}

// Step 2: one vector per record (empty: store none). Throws UserError.
std::vector<std::vector<float>> embed_batch(const IndexWork& ix, const Batch& batch) {
    std::vector<std::string> texts;
    for (const QueuedRecord& r : batch.records)
        for (const std::string& t : r.texts) texts.push_back(t);
    pg_call([&] {
        pgstat_report_activity(STATE_RUNNING,
                               psprintf("rushdb: embedding %zu texts for index %s", texts.size(), ix.id.c_str()));
    });
    std::vector<std::vector<float>> embedded;
    if (!texts.empty()) embedded = embed_texts(ix.model, static_cast<std::size_t>(ix.dims), texts);
    std::vector<std::vector<float>> out(batch.records.size());
    std::size_t next = 0;
    for (std::size_t i = 0; i < batch.records.size(); ++i) {
        // embedding_texts gives at most one text per record (a string
        // array is joined into one, as RushDB does).
        std::size_t k = batch.records[i].texts.size();
        if (k > 1) throw UserError(ERRCODE_INTERNAL_ERROR, "rushdb: more than one text for a record");
        if (k == 1) out[i] = std::move(embedded[next]);
        next += k;
        // A wordless text has no direction (the built-in model's zero
        // vector): no vector, as for an empty value.
        if (!out[i].empty() && is_zero(out[i])) out[i].clear();
    }
    return out;
}

// Step 3.
void store_batch(const IndexWork& ix, const Batch& batch, const std::vector<std::vector<float>>& vectors) {
    Txn txn("rushdb: storing embeddings");
    // The index may have been deleted meanwhile; KEY SHARE keeps it until commit.
    uint64 n = run("SELECT 1 FROM rushdb.embedding_indexes e WHERE e.id = $1::uuid FOR KEY SHARE OF e",
                   {{TEXTOID, text_datum(ix.id)}}, SPI_OK_SELECT);
    if (n == 0) {
        // The index was deleted meanwhile (its queue rows went with it).
        txn.commit();
        return;
    }
    // A storage table dropped by hand fails the batch, so the index ends in
    // error instead of the worker spinning on it.
    check_storage(ix.table, ix.id);
    bool isnull;

    Oid uuid_array = pg_call([] { return get_array_type(UUIDOID); });
    Oid vector_type = pg_call([] { return vector_type_oid(); });
    Oid vector_array = pg_call([&] { return get_array_type(vector_type); });

    auto uuid_array_of = [&](const std::vector<const pg_uuid_t*>& ids) {
        return pg_call([&] {
            Datum* elems = static_cast<Datum*>(palloc(sizeof(Datum) * (ids.size() + 1)));
            for (std::size_t i = 0; i < ids.size(); ++i) elems[i] = UUIDPGetDatum(const_cast<pg_uuid_t*>(ids[i]));
            return PointerGetDatum(
                construct_array(elems, static_cast<int>(ids.size()), UUIDOID, UUID_LEN, false, TYPALIGN_CHAR));
        });
    };

    // Lock the records still there with the index's label, so none is
    // deleted before the vectors referencing it commit.
    std::vector<const pg_uuid_t*> all_ids;
    for (const QueuedRecord& r : batch.records) all_ids.push_back(&r.id);
    uint64 kept = run(
        "SELECT r.id FROM rushdb.records r WHERE r.id = ANY ($1) AND r.label = $2 FOR KEY SHARE",
        {{uuid_array, uuid_array_of(all_ids)}, {TEXTOID, text_datum(ix.label)}},
        SPI_OK_SELECT);
    std::unordered_map<std::string, bool> live;
    for (uint64 i = 0; i < kept; ++i) {
        pg_uuid_t* id = DatumGetUUIDP(column_datum(i, 1, &isnull));
        live.emplace(std::string(reinterpret_cast<const char*>(id->data), UUID_LEN), true);
    }

    std::vector<const pg_uuid_t*> write_ids, clear_ids;
    std::vector<Datum> write_vectors;
    for (std::size_t i = 0; i < batch.records.size(); ++i) {
        const QueuedRecord& r = batch.records[i];
        bool still_live = live.count(std::string(reinterpret_cast<const char*>(r.id.data), UUID_LEN)) > 0;
        if (still_live && r.live && !vectors[i].empty()) {
            write_ids.push_back(&r.id);
            const std::vector<float>& v = vectors[i];
            write_vectors.push_back(pg_call([&] {
                Vector* vec = new_vector(ix.dims);
                std::memcpy(vec->x, v.data(), sizeof(float) * v.size());
                return PointerGetDatum(vec);
            }));
        } else {
            clear_ids.push_back(&r.id);
        }
    }
    std::string quoted_table = quoted(ix.table);
    std::string upsert = "INSERT INTO rushdb_internal." + quoted_table +
                         " AS t (record_id, embedding) SELECT * FROM unnest($1, $2) "
                         "ON CONFLICT (record_id) DO UPDATE SET embedding = excluded.embedding, updated_at = now()";
    std::string clear = "DELETE FROM rushdb_internal." + quoted_table + " WHERE record_id OPERATOR(pg_catalog.=) ANY ($1)";
    Datum vectors_datum = pg_call([&] {
        return PointerGetDatum(construct_array(write_vectors.data(), static_cast<int>(write_vectors.size()),
                                               vector_type, -1, false, TYPALIGN_INT));
    });
    Datum write_ids_datum = uuid_array_of(write_ids);
    Datum clear_ids_datum = uuid_array_of(clear_ids);
    if (!write_ids.empty())
        run(upsert.c_str(), {{uuid_array, write_ids_datum}, {vector_array, vectors_datum}}, SPI_OK_INSERT);
    if (!clear_ids.empty()) run(clear.c_str(), {{uuid_array, clear_ids_datum}}, SPI_OK_DELETE);

    Datum seqs = pg_call([&] {
        Datum* elems = static_cast<Datum*>(palloc(sizeof(Datum) * (batch.seqs.size() + 1)));
        for (std::size_t i = 0; i < batch.seqs.size(); ++i) elems[i] = Int64GetDatum(batch.seqs[i]);
        return PointerGetDatum(construct_array(elems, static_cast<int>(batch.seqs.size()), INT8OID, 8,
                                               FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
    });
    run("DELETE FROM rushdb_internal.embedding_queue WHERE seq = ANY ($1)", {{INT8ARRAYOID, seqs}}, SPI_OK_DELETE);
    run("UPDATE rushdb.embedding_indexes SET failures = 0, error = NULL, retry_at = NULL "
        "WHERE id = $1::uuid AND (failures <> 0 OR error IS NOT NULL OR retry_at IS NOT NULL)",
        {{TEXTOID, text_datum(ix.id)}}, SPI_OK_UPDATE);
    txn.commit();
}

void record_failure(const IndexWork& ix, const std::string& cause) {
    pg_call([&] {
        ereport(WARNING, (errmsg("rushdb: embedding a batch for index %s failed: %s", ix.id.c_str(), cause.c_str())));
    });
    Txn txn("rushdb: recording an embedding failure");
    run("UPDATE rushdb.embedding_indexes SET failures = failures + 1, updated_at = now(), "
        "  status = CASE WHEN failures + 1 >= $3 THEN 'error' ELSE 'pending' END, "
        "  error = CASE WHEN failures + 1 >= $3 "
        "               THEN pg_catalog.format('embedding failed %s times in a row: %s', failures + 1, $2) "
        "               ELSE pg_catalog.format('attempt %s failed, will retry: %s', failures + 1, $2) END, "
        "  retry_at = CASE WHEN failures + 1 >= $3 THEN NULL "
        "                  ELSE clock_timestamp() + pg_catalog.make_interval(secs => $4 * power(2, failures) / 1000.0) END "
        "WHERE id = $1::uuid",
        {{TEXTOID, text_datum(ix.id)}, {TEXTOID, text_datum(cause)}, {INT4OID, Int32GetDatum(max_failures())},
         {FLOAT8OID, Float8GetDatum(static_cast<double>(retry_base_ms()))}},
        SPI_OK_UPDATE);
    txn.commit();
}

// A backlog this many times larger than what the index holds (and at least
// kBulkBackfillMin records) is embedded with the HNSW index dropped: inserting
// into the graph row by row is the slowest step of a backfill, and one
// parallel in-memory build at the end (read_batch, when drained) is several
// times faster. Searches meanwhile scan the vectors stored so far exactly.
constexpr int64 kBulkBackfillMin = 2000;
constexpr int64 kBulkBackfillRatio = 2;

void maybe_drop_graph_for_backfill(const IndexWork& ix) {
    Txn txn("rushdb: sizing the embedding backlog");
    uint64 n = run(
        "SELECT (SELECT count(*) FROM rushdb_internal.embedding_queue q WHERE q.index_id = e.id) "
        "FROM rushdb.embedding_indexes e "
        "WHERE e.id = $1::uuid "
        "  AND " GRAPH_REGCLASS_SQL " IS NOT NULL",
        {{TEXTOID, text_datum(ix.id)}}, SPI_OK_SELECT);
    if (n > 0) {
        bool isnull;
        int64 queued = DatumGetInt64(column_datum(0, 1, &isnull));
        std::string table = quoted(ix.table);
        std::string index = quoted(ix.table + "_hnsw");
        if (queued >= kBulkBackfillMin) {
            check_storage(ix.table, ix.id);
            run(("SELECT count(*) FROM (SELECT 1 FROM rushdb_internal." + table + " LIMIT $1) s").c_str(),
                {{INT8OID, Int64GetDatum(queued / kBulkBackfillRatio)}}, SPI_OK_SELECT);
            int64 stored = DatumGetInt64(column_datum(0, 1, &isnull));
            if (stored * kBulkBackfillRatio < queued)
                run(("DROP INDEX rushdb_internal." + index).c_str(), {}, SPI_OK_UTILITY);
        }
    }
    txn.commit();
}

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
    Txn txn("rushdb: checking for the extension");
    Oid owner = pg_call([] {
        if (SPI_execute("SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'rushdb' AND extversion = '" RUSHDB_VERSION "'",
                        true, 1) != SPI_OK_SELECT)
            elog(ERROR, "could not read pg_extension");
        return SPI_processed == 1 ? extension_owner() : InvalidOid;
    });
    txn.commit();
    return owner;
}

// One batch of one index; true when queue rows were consumed.
bool run_batch(const IndexWork& ix, bool first_batch) {
    Batch batch;
    std::vector<std::vector<float>> vectors;
    try {
        if (first_batch) maybe_drop_graph_for_backfill(ix);
        if (!read_batch(ix, batch)) return false;
        vectors = embed_batch(ix, batch);
        store_batch(ix, batch, vectors);
        return true;
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

void rushdb_embedding_worker_main(Datum arg) {
    Oid dboid = DatumGetObjectId(arg);
    pqsignal(SIGTERM, die);
    pqsignal(SIGHUP, SignalHandlerForConfigReload);
    BackgroundWorkerUnblockSignals();
    BackgroundWorkerInitializeConnectionByOid(dboid, BOOTSTRAP_SUPERUSERID, 0);
    guarded([&] { e::worker_loop(dboid); });
    proc_exit(0);
}

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
                ereport(LOG, (errmsg("rushdb: no background worker slot for the embedding worker of database %u",
                                     dboid)));
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

PG_FUNCTION_INFO_V1(rushdb_wake_embedding_worker);
PG_FUNCTION_INFO_V1(rushdb_start_embedding_worker);

Datum rushdb_wake_embedding_worker(PG_FUNCTION_ARGS) {
    if (!e::g_callback_registered) {
        RegisterXactCallback(e::on_xact_event, nullptr);
        e::g_callback_registered = true;
    }
    e::g_wake_at_commit = true;
    PG_RETURN_VOID();
}

Datum rushdb_start_embedding_worker(PG_FUNCTION_ARGS) {
    if (e::worker_running(MyDatabaseId)) PG_RETURN_BOOL(false);
    PG_RETURN_BOOL(e::launch_worker(MyDatabaseId));
}

}  // extern "C"

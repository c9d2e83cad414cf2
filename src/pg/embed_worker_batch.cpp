// The embedding worker's batch pipeline (docs/managed.md, "The background
// worker"). A batch is three steps, so no lock is held while a provider is
// called:
//   1. read up to rushdb.embedding_batch_size queue rows and the records'
//      texts (one short transaction);
//   2. embed, outside any transaction;
//   3. store the vectors and delete exactly the queue rows read in 1 (one
//      transaction). A record written again meanwhile has a newer queue row,
//      so it is embedded again; a crash between 1 and 3 leaves the rows
//      queued, so nothing is lost and nothing is stored twice.
// A failed batch counts against the index: it goes back to pending with a
// growing delay, and to error after rushdb.embedding_max_failures in a row.
// A backlog that is a bulk load (rushdb_internal.is_bulk_load: a new index's
// backfill) is embedded with the HNSW index dropped, which is rebuilt in
// memory once drained.
//
// The index's status is not written here: each transition is a function of
// sql/install/80_index_states.sql (docs/managed.md has the table), and the
// vectors are written by rushdb_internal.write_vectors, the upsert
// upsert_vectors uses too.
//
// Everything here runs in the worker's C++ frames: SQL through spi_glue.hpp,
// conversions through datum_glue.hpp, both raising PgError.
#include <algorithm>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include "boundary.hpp"
#include "datum_glue.hpp"
#include "embed_glue.hpp"
#include "embed_worker.hpp"
#include "pg_prelude.hpp"
#include "privileges.hpp"
#include "spi_glue.hpp"
#include "vector_type.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "pgstat.h"
#include "utils/lsyscache.h"
#include "utils/uuid.h"
}

namespace rushdb::pg::embed {

namespace {

constexpr const char* kWho = "rushdb embedding worker";

uint64 run(const char* sql, const std::vector<SpiArg>& args, int expected) {
    return spi_run(kWho, sql, args, expected);
}

struct QueuedRecord {
    pg_uuid_t id;
    bool live = false;               // exists and still has the index's label
    std::vector<std::string> texts;  // empty: no vector (property gone, not a string, empty)
};

struct Batch {
    std::vector<int64> seqs;            // every queue row read, duplicates included
    std::vector<QueuedRecord> records;  // one per record, the latest reading
};

std::string uuid_key(const pg_uuid_t& id) { return std::string(reinterpret_cast<const char*>(id.data), UUID_LEN); }

// The HNSW index of an index's vector table; NULL when dropped for a backfill.
#define GRAPH_REGCLASS_SQL                                                                                     \
    "pg_catalog.to_regclass('rushdb_internal.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(e.vector_table " \
    "OPERATOR(pg_catalog.||) '_hnsw'))"

// The index's vector table, checked (raises UserError when it is missing
// or not the extension's own table).
Oid check_storage(const std::string& table, const std::string& index_id) {
    Oid rel = pg_call([&] { return checked_vector_storage(table.c_str(), index_id.c_str(), true); });
    if (!OidIsValid(rel))
        throw UserError(ERRCODE_UNDEFINED_TABLE, "the vector table rushdb_internal." + table + " of index " + index_id +
                                                     " is missing; run rushdb.repair_index('" + index_id + "')");
    return rel;
}

// Step 1. Returns false (and marks the index ready) when nothing is queued.
bool read_batch(const IndexWork& ix, Batch& batch) {
    SpiTransaction txn("rushdb: reading records to embed");
    uint64 n =
        run("SELECT q.seq, q.record_id, r.id IS NOT NULL AND r.label = $2, "
            "rushdb_internal.embedding_texts(r.properties -> $3) "
            "FROM rushdb_internal.embedding_queue q LEFT JOIN rushdb.records r ON r.id = q.record_id "
            "WHERE q.index_id = $1::uuid ORDER BY q.seq LIMIT $4",
            {{TEXTOID, text_datum(ix.id)},
             {TEXTOID, text_datum(ix.label)},
             {TEXTOID, text_datum(ix.property)},
             {INT4OID, Int32GetDatum(worker_batch_size())}},
            SPI_OK_SELECT);
    if (n == 0) {
        // Drained. A backfill that dropped the HNSW index rebuilds it first,
        // in this transaction, so the index is never ready without it.
        uint64 missing =
            run("SELECT 1 FROM rushdb.embedding_indexes e WHERE e.id = $1::uuid AND " GRAPH_REGCLASS_SQL " IS NULL",
                {{TEXTOID, text_datum(ix.id)}}, SPI_OK_SELECT);
        if (missing > 0) {
            check_storage(ix.table, ix.id);
            pg_call([&] { pgstat_report_activity(STATE_RUNNING, "rushdb: building the HNSW index after a backfill"); });
            std::string table = quoted_identifier(ix.table);
            run("SELECT rushdb_internal.build_vector_index(e) FROM rushdb.embedding_indexes e WHERE e.id = $1::uuid",
                {{TEXTOID, text_datum(ix.id)}}, SPI_OK_SELECT);
            run(("ANALYZE rushdb_internal." + table).c_str(), {}, SPI_OK_UTILITY);
            // Fresh statistics, so the first searches after a backfill get
            // the HNSW plan: without them the planner guesses a few hundred
            // records per label and ranks every vector of the label instead.
            run("ANALYZE rushdb.records", {}, SPI_OK_UTILITY);
        }
        run("SELECT rushdb_internal.index_drained($1::uuid)", {{TEXTOID, text_datum(ix.id)}}, SPI_OK_SELECT);
        txn.commit();
        return false;
    }
    std::unordered_map<std::string, std::size_t> position;  // record id bytes -> records[]
    for (uint64 i = 0; i < n; ++i) {
        bool isnull;
        batch.seqs.push_back(DatumGetInt64(spi_datum(i, 1, &isnull)));
        QueuedRecord rec;
        std::memcpy(&rec.id, DatumGetUUIDP(spi_datum(i, 2, &isnull)), sizeof(pg_uuid_t));
        Datum live = spi_datum(i, 3, &isnull);
        rec.live = !isnull && DatumGetBool(live);
        Datum texts = spi_datum(i, 4, &isnull);
        if (rec.live && !isnull) rec.texts = nonempty_texts(texts);
        std::string key = uuid_key(rec.id);
        auto found = position.find(key);
        if (found == position.end()) {
            position.emplace(std::move(key), batch.records.size());
            batch.records.push_back(std::move(rec));
        } else {
            batch.records[found->second] = std::move(rec);  // rows come in queue order: the later wins
        }
    }
    if (ix.status != "indexing")
        run("SELECT rushdb_internal.index_batch_read($1::uuid)", {{TEXTOID, text_datum(ix.id)}}, SPI_OK_SELECT);
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
    SpiTransaction txn("rushdb: storing embeddings");
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
    Oid storage = check_storage(ix.table, ix.id);
    bool isnull;

    Oid uuid_array = pg_call([] { return get_array_type(UUIDOID); });
    Oid vector_type = pg_call([] { return vector_type_oid(); });
    Oid vector_array = pg_call([&] { return get_array_type(vector_type); });

    // Lock the records still there with the index's label, so none is
    // deleted before the vectors referencing it commit.
    std::vector<const pg_uuid_t*> all_ids;
    for (const QueuedRecord& r : batch.records) all_ids.push_back(&r.id);
    uint64 kept = run("SELECT r.id FROM rushdb.records r WHERE r.id = ANY ($1) AND r.label = $2 FOR KEY SHARE",
                      {{uuid_array, uuid_array_datum(all_ids)}, {TEXTOID, text_datum(ix.label)}}, SPI_OK_SELECT);
    std::unordered_map<std::string, bool> live;
    for (uint64 i = 0; i < kept; ++i) live.emplace(uuid_key(*DatumGetUUIDP(spi_datum(i, 1, &isnull))), true);

    std::vector<const pg_uuid_t*> write_ids, clear_ids;
    std::vector<Datum> write_vectors;
    for (std::size_t i = 0; i < batch.records.size(); ++i) {
        const QueuedRecord& r = batch.records[i];
        bool still_live = live.count(uuid_key(r.id)) > 0;
        if (still_live && r.live && !vectors[i].empty()) {
            write_ids.push_back(&r.id);
            write_vectors.push_back(vector_datum(vectors[i], ix.dims));
        } else {
            clear_ids.push_back(&r.id);
        }
    }
    std::string quoted_table = quoted_identifier(ix.table);
    std::string clear =
        "DELETE FROM rushdb_internal." + quoted_table + " WHERE record_id OPERATOR(pg_catalog.=) ANY ($1)";
    Datum vectors_datum = vector_array_datum(write_vectors, vector_type);
    Datum write_ids_datum = uuid_array_datum(write_ids);
    Datum clear_ids_datum = uuid_array_datum(clear_ids);
    if (!write_ids.empty())
        run("SELECT rushdb_internal.write_vectors($1, $2, $3)",
            {{REGCLASSOID, ObjectIdGetDatum(storage)}, {uuid_array, write_ids_datum}, {vector_array, vectors_datum}},
            SPI_OK_SELECT);
    if (!clear_ids.empty()) run(clear.c_str(), {{uuid_array, clear_ids_datum}}, SPI_OK_DELETE);

    run("DELETE FROM rushdb_internal.embedding_queue WHERE seq = ANY ($1)",
        {{INT8ARRAYOID, int8_array_datum(batch.seqs)}}, SPI_OK_DELETE);
    run("SELECT rushdb_internal.index_batch_stored($1::uuid)", {{TEXTOID, text_datum(ix.id)}}, SPI_OK_SELECT);
    txn.commit();
}

// A backlog that is a bulk load (rushdb_internal.is_bulk_load, the rule
// upsert_vectors follows too) is embedded with the HNSW index dropped:
// inserting into the graph row by row is the slowest step of a backfill, and
// one parallel in-memory build at the end (read_batch, when drained) is
// several times faster. Searches meanwhile scan the vectors stored so far
// exactly.
void maybe_drop_graph_for_backfill(const IndexWork& ix) {
    SpiTransaction txn("rushdb: sizing the embedding backlog");
    uint64 n =
        run("SELECT rushdb_internal.is_bulk_load(e, (SELECT count(*) FROM rushdb_internal.embedding_queue q "
            "                                        WHERE q.index_id = e.id)) "
            "FROM rushdb.embedding_indexes e "
            "WHERE e.id = $1::uuid "
            "  AND " GRAPH_REGCLASS_SQL " IS NOT NULL",
            {{TEXTOID, text_datum(ix.id)}}, SPI_OK_SELECT);
    if (n > 0) {
        bool isnull;
        bool bulk = DatumGetBool(spi_datum(0, 1, &isnull));
        std::string index = quoted_identifier(ix.table + "_hnsw");
        if (!isnull && bulk) run(("DROP INDEX rushdb_internal." + index).c_str(), {}, SPI_OK_UTILITY);
    }
    txn.commit();
}

}  // namespace

// Indexes with work to do. A vector table without its primary key or
// without row-level security is being restored (pg_restore and pg_dump's
// scripts create the table, load its rows, then add the constraints,
// indexes, policy and row security): the worker leaves it alone until the
// restore has finished it, so it neither fails on the missing key nor builds
// an HNSW index the restore is about to create. A missing table is not
// skipped: that is an error with the repair hint (check_storage).
std::vector<IndexWork> load_work() {
    SpiTransaction txn("rushdb: looking for embedding work");
    uint64 n =
        run("SELECT e.id::text, e.label, e.property_name, e.model_key, e.vector_table, e.status, e.dimensions, "
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
        w.id = spi_text(i, 1);
        w.label = spi_text(i, 2);
        w.property = spi_text(i, 3);
        w.model = spi_text(i, 4);
        w.table = spi_text(i, 5);
        w.status = spi_text(i, 6);
        bool isnull;
        w.dims = DatumGetInt32(spi_datum(i, 7, &isnull));
        w.wait_ms = DatumGetFloat8(spi_datum(i, 8, &isnull));
        work.push_back(std::move(w));
    }
    txn.commit();
    return work;
}

bool embed_next_batch(const IndexWork& ix, bool size_backlog) {
    if (size_backlog) maybe_drop_graph_for_backfill(ix);
    Batch batch;
    if (!read_batch(ix, batch)) return false;
    std::vector<std::vector<float>> vectors = embed_batch(ix, batch);
    store_batch(ix, batch, vectors);
    return true;
}

void record_failure(const IndexWork& ix, const std::string& cause) {
    pg_call([&] {
        ereport(WARNING, (errmsg("rushdb: embedding a batch for index %s failed: %s", ix.id.c_str(), cause.c_str())));
    });
    SpiTransaction txn("rushdb: recording an embedding failure");
    run("SELECT rushdb_internal.index_batch_failed($1::uuid, $2, $3, $4)",
        {{TEXTOID, text_datum(ix.id)},
         {TEXTOID, text_datum(cause)},
         {INT4OID, Int32GetDatum(max_failures())},
         {FLOAT8OID, Float8GetDatum(static_cast<double>(retry_base_ms()))}},
        SPI_OK_SELECT);
    txn.commit();
}

}  // namespace rushdb::pg::embed

// The hot half of rushdb.search: run the ranked query for a resolved index.
//
// rushdb.search (PL/pgSQL) validates the arguments and picks the index; a
// dynamic EXECUTE there would parse and plan the query on every call, which
// costs as much as the vector search itself. This function keeps one
// prepared plan per (storage table, metric, filter shape) for the life of
// the backend (SPI_keepplan; PostgreSQL's plan cache revalidates it when the
// tables change), binds the query vector, label, limit, skip and the
// filter's parameter array, and sets rushdb.hnsw_ef_search (and the mode's
// planner switches) only for the duration of the query.
#include <string>
#include <unordered_map>

#include "boundary.hpp"
#include "pg_prelude.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"
}

using namespace rushdb::pg;

namespace {

// Backend-lifetime cache of prepared search plans. Never freed: a backend
// touches a handful of indexes and filter shapes.
std::unordered_map<std::string, SPIPlanPtr>& plan_cache() {
    static auto* cache = new std::unordered_map<std::string, SPIPlanPtr>();
    return *cache;
}

}  // namespace

extern "C" {

PG_FUNCTION_INFO_V1(rushdb_search_run);

// search_run(vector_table text, cosine bool, query vector, label text,
//            lim int, skip int, filter_sql text, filter_params text[],
//            mode text, ef int) RETURNS SETOF jsonb
Datum rushdb_search_run(PG_FUNCTION_ARGS) {
    char* table = text_to_cstring(PG_GETARG_TEXT_PP(0));
    bool cosine = PG_GETARG_BOOL(1);
    Datum query = PG_GETARG_DATUM(2);
    Datum label = PG_GETARG_DATUM(3);
    int32 limit = PG_GETARG_INT32(4);
    int32 skip = PG_GETARG_INT32(5);
    char* filter_sql = text_to_cstring(PG_GETARG_TEXT_PP(6));
    Datum filter_params = PG_GETARG_DATUM(7);
    char* mode = text_to_cstring(PG_GETARG_TEXT_PP(8));
    int32 ef = PG_GETARG_INT32(9);
    Oid vector_type = get_fn_expr_argtype(fcinfo->flinfo, 2);

    // The statement text, and its cache key, depend on the table, the
    // metric, the filter shape and LIMIT/OFFSET (integers, written into the
    // text so the cached generic plan is costed for the real row count:
    // with LIMIT as a parameter the planner assumes a large fraction of the
    // table and prefers a sort to the index). Every other value is a
    // parameter.
    const char* op = cosine ? "<=>" : "<->";
    char* sql = psprintf(
        "SELECT rushdb.record_json(s.r) OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('__score', %s) "
        "FROM (SELECT r, v.embedding OPERATOR(rushdb.%s) $1 AS d "
        "      FROM rushdb.%s v JOIN rushdb.records r ON r.id OPERATOR(pg_catalog.=) v.record_id "
        "      WHERE r.label OPERATOR(pg_catalog.=) $2 AND (%s) "
        "      ORDER BY v.embedding OPERATOR(rushdb.%s) $1 LIMIT %d OFFSET %d) s",
        cosine ? "1 - s.d / 2" : "1 / (1 + s.d * s.d)", op, quote_identifier(table), filter_sql, op, limit, skip);

    // A scalar SETOF result: the caller's expected descriptor (one jsonb column).
    InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
    ReturnSetInfo* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);

    // Settings for this query only, undone at the end (or by the error path).
    int nest = NewGUCNestLevel();
    char ef_text[16];
    snprintf(ef_text, sizeof ef_text, "%d", ef);
    set_config_option("rushdb.hnsw_ef_search", ef_text, PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
    if (strcmp(mode, "exact") == 0)
        set_config_option("enable_indexscan", "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
    else if (strcmp(mode, "ann") == 0)
        set_config_option("enable_seqscan", "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);

    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
    SPIPlanPtr plan = guarded([&]() -> SPIPlanPtr {
        std::string key = std::string(mode) + '\x1f' + sql;
        auto it = plan_cache().find(key);
        if (it != plan_cache().end()) return it->second;
        Oid types[5] = {vector_type, TEXTOID, INT4OID, INT4OID, TEXTARRAYOID};  // $3, $4 unused
        SPIPlanPtr p = pg_call([&] {
            SPIPlanPtr prepared = SPI_prepare(sql, 5, types);
            if (prepared == nullptr) elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
            SPI_keepplan(prepared);
            return prepared;
        });
        plan_cache().emplace(std::move(key), p);
        return p;
    });
    // The text[] parameter the filter's placeholders index is $5; the
    // compiled filter numbers its own placeholders from there.
    Datum values[5] = {query, label, Int32GetDatum(limit), Int32GetDatum(skip), filter_params};
    int rc = SPI_execute_plan(plan, values, nullptr, true, 0);
    if (rc != SPI_OK_SELECT) elog(ERROR, "search query failed: %s", SPI_result_code_string(rc));

    for (uint64 i = 0; i < SPI_processed; ++i) {
        bool isnull;
        Datum d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);
        if (isnull) continue;
        // Copy out of SPI's memory into the tuplestore (which copies again).
        tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &d, &isnull);
    }
    SPI_finish();
    AtEOXact_GUC(true, nest);
    return (Datum)0;
}

}  // extern "C"

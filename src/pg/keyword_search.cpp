// The keyword leg of hybrid search (docs/byov.md, *Hybrid search*):
// records of a label whose text property matches a web-search style query
// (websearch_to_tsquery), ranked by ts_rank_cd, filtered by the where
// language. The text comes from the text index's expression,
// to_tsvector(config, rushdb_internal.text_of(properties, key)), written
// here exactly as create_text_index writes it, so the partial GIN index on
// that expression (WHERE label = ...) serves the match.
//
// Runs with the caller's rights (GRANTs and row-level security on
// rushdb.records hold) under search_path = pg_catalog, pg_temp; every value
// travels as a text parameter; the config is a regconfig OID the SQL
// wrapper looked up, written as a number.
#include <string>
#include <vector>

#include "boundary.hpp"
#include "filter_glue.hpp"
#include "pg_prelude.hpp"
#include "spi_glue.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/syscache.h"
}

using namespace rushdb::pg;

extern "C" {

PG_FUNCTION_INFO_V1(rushdb_keyword_leg);

// keyword_leg(label text, property_name text, query text, lim integer,
//             where jsonb, config oid, explain boolean) RETURNS SETOF jsonb:
// the record JSON with __textScore, best first (ties by __id descending);
// with explain, the lines of EXPLAIN (COSTS OFF) of that query instead (as
// JSON strings), so tests and users can see the text index serve it.
Datum rushdb_keyword_leg(PG_FUNCTION_ARGS) {
    for (int i = 0; i < 6; ++i)
        if (PG_ARGISNULL(i) && i != 4)
            ereport(ERROR,
                    (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("keyword_leg: argument %d is null", i + 1)));
    const int32 limit = PG_GETARG_INT32(3);
    if (limit < 1 || limit > 1000)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("keyword_leg: limit %d out of range", limit)));
    const Oid config = PG_GETARG_OID(5);
    if (!SearchSysCacheExists1(TSCONFIGOID, ObjectIdGetDatum(config)))
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
                        errmsg("keyword_leg: %u is not a text search configuration", config),
                        errhint("rushdb.search finds the text index's configuration; call it instead.")));
    const bool explain = PG_NARGS() > 6 && !PG_ARGISNULL(6) && PG_GETARG_BOOL(6);

    char* where_text = nullptr;
    if (!PG_ARGISNULL(4)) {
        Jsonb* where = PG_GETARG_JSONB_P(4);
        if (!(JB_ROOT_IS_OBJECT(where) && JB_ROOT_COUNT(where) == 0))
            where_text = JsonbToCString(nullptr, &where->root, VARSIZE(where));
    }
    const char* inputs[3] = {text_to_cstring(PG_GETARG_TEXT_PP(0)), text_to_cstring(PG_GETARG_TEXT_PP(1)),
                             text_to_cstring(PG_GETARG_TEXT_PP(2))};  // label, property, query
    const std::size_t max_nodes = static_cast<std::size_t>(max_filter_nodes());
    // Built in C++ and copied out before any PostgreSQL call that may raise
    // an error runs outside pg_call: no C++ object is alive past this block.
    char* sql_c = nullptr;
    int nparams = 0;
    Datum* params = nullptr;
    Oid* types = nullptr;
    guarded([&] {
        std::string filter_sql = "TRUE";
        std::vector<std::string> values;
        // Separate text parameters: array elements would each fold to a copy
        // of the whole array in the plan made for these values.
        if (where_text != nullptr) compile_filter(where_text, "r", 1, max_nodes, filter_sql, values, false);
        const std::size_t first = values.size();
        for (const char* v : inputs) values.emplace_back(v);
        const std::string label = "$" + std::to_string(first + 1) + "::pg_catalog.text";
        const std::string key = "$" + std::to_string(first + 2) + "::pg_catalog.text";
        const std::string query = "$" + std::to_string(first + 3) + "::pg_catalog.text";
        const std::string cfg = std::to_string(config) + "::pg_catalog.oid::pg_catalog.regconfig";
        const std::string doc =
            "pg_catalog.to_tsvector(" + cfg + ", rushdb_internal.text_of(r.properties, " + key + "))";
        const std::string tsq = "pg_catalog.websearch_to_tsquery(" + cfg + ", " + query + ")";
        const std::string sql =
            "SELECT rushdb_internal.record_json(s.r) OPERATOR(pg_catalog.||) "
            "pg_catalog.jsonb_build_object('__textScore', s.score) "
            "FROM (SELECT r, pg_catalog.ts_rank_cd(" +
            doc + ", " + tsq +
            ") AS score FROM rushdb.records r "
            "WHERE r.label OPERATOR(pg_catalog.=) " +
            label + " AND " + doc + " OPERATOR(pg_catalog.@@) " + tsq + " AND (" + filter_sql +
            ") ORDER BY score DESC, r.id DESC LIMIT " + std::to_string(limit) +
            ") s "
            "ORDER BY s.score DESC, (s.r).id DESC";
        pg_call([&] {
            sql_c = pstrdup(((explain ? "EXPLAIN (COSTS OFF) " : "") + sql).c_str());
            nparams = static_cast<int>(values.size());
            params = static_cast<Datum*>(palloc(sizeof(Datum) * values.size()));
            types = static_cast<Oid*>(palloc(sizeof(Oid) * values.size()));
            for (std::size_t i = 0; i < values.size(); ++i) {
                params[i] =
                    PointerGetDatum(cstring_to_text_with_len(values[i].data(), static_cast<int>(values[i].size())));
                types[i] = TEXTOID;
            }
        });
    });

    InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
    ReturnSetInfo* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
    int nest = NewGUCNestLevel();
    set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0,
                      false);
    // to_tsvector says NOTICE for every word over 2,047 bytes (base64 in a
    // document, say), once per match and per call: noise to the caller.
    set_config_option("client_min_messages", "warning", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
    spi_connect();
    // EXPLAIN runs only outside read-only SPI (it counts as a utility command).
    const int rc = spi_execute_quiet(sql_c, nparams, types, params, !explain,
                                     "rushdb.search: the keyword leg of a text search", error_context_stack);
    if (rc != SPI_OK_SELECT && rc != SPI_OK_UTILITY) elog(ERROR, "keyword query failed");
    for (uint64 i = 0; i < SPI_processed; ++i) {
        bool isnull;
        Datum d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);
        if (explain && !isnull) {
            text* line = DatumGetTextPP(d);
            JsonbValue v;
            v.type = jbvString;
            v.val.string.val = VARDATA_ANY(line);
            v.val.string.len = static_cast<int>(VARSIZE_ANY_EXHDR(line));
            d = JsonbPGetDatum(JsonbValueToJsonb(&v));
        }
        if (!isnull) tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &d, &isnull);
    }
    SPI_finish();
    AtEOXact_GUC(true, nest);
    return (Datum)0;
}

}  // extern "C"

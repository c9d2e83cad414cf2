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
#include "embed_glue.hpp"
#include "filter_glue.hpp"
#include "hnsw_am.hpp"
#include "privileges.hpp"
#include "pg_prelude.hpp"
#include "vector_type.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"
#include "utils/array.h"
#include "utils/jsonb.h"
#include "lib/stringinfo.h"
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

// Runs the ranked query for a resolved index and fills the SRF's tuplestore.
static void run_search(FunctionCallInfo fcinfo, const char* table, bool cosine, Datum query, Oid vector_type,
                Datum label, int32 limit, int32 skip, const char* filter_sql, Datum filter_params,
                const char* mode, int32 ef) {
    // The statement text, and its cache key, depend on the table, the
    // metric, the filter shape and LIMIT/OFFSET (integers, written into the
    // text so the cached generic plan is costed for the real row count:
    // with LIMIT as a parameter the planner assumes a large fraction of the
    // table and prefers a sort to the index). Every other value is a
    // parameter.
    const char* op = cosine ? "<=>" : "<->";
    char* sql = psprintf(
        "SELECT rushdb_internal.record_json(s.r) OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('__score', %s) "
        "FROM (SELECT r, v.embedding OPERATOR(rushdb.%s) $1 AS d "
        "      FROM rushdb_internal.%s v JOIN rushdb.records r ON r.id OPERATOR(pg_catalog.=) v.record_id "
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
}

namespace {

[[noreturn]] void bad(int code, const char* msg) { ereport(ERROR, (errcode(code), errmsg("%s", msg))); pg_unreachable(); }

// Is there an external index on (label, property)? For the error a text
// query on it gets.
char* external_index_id(Datum label, Datum property) {
    Oid types[2] = {TEXTOID, TEXTOID};
    Datum values[2] = {label, property};
    if (SPI_execute_with_args("SELECT id::text FROM rushdb.embedding_indexes e WHERE e.label OPERATOR(pg_catalog.=) $1 "
                              "AND e.property_name OPERATOR(pg_catalog.=) $2 AND e.source_type OPERATOR(pg_catalog.=) 'external' "
                              "ORDER BY e.created_at LIMIT 1",
                              2, types, values, nullptr, true, 1) != SPI_OK_SELECT)
        elog(ERROR, "index lookup failed");
    return SPI_processed ? SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1) : nullptr;
}

// What the label / property has (rushdb_internal.index_detail), for the
// DETAIL of a "no index" error.
char* index_detail(Datum label, Datum property) {
    Oid types[2] = {TEXTOID, TEXTOID};
    Datum values[2] = {label, property};
    if (SPI_execute_with_args("SELECT rushdb_internal.index_detail($1, $2)", 2, types, values, nullptr, true, 1) !=
            SPI_OK_SELECT || SPI_processed != 1)
        return pstrdup("");
    char* v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
    return v ? v : pstrdup("");
}

struct ResolvedIndex {
    char* id;
    char* source;
    char* status;  // as users see it (rushdb_internal.index_status)
    char* table;
    char* model;
    char* error;
    bool cosine;
    int dims;
};

// Copies a column into the caller's (pre-SPI) memory context.
char* column_copy(HeapTuple t, TupleDesc desc, int col) {
    char* v = SPI_getvalue(t, desc, col);
    if (v == nullptr) return nullptr;
    return strcpy(static_cast<char*>(SPI_palloc(strlen(v) + 1)), v);
}

// The index a search runs on: (label, property[, query length]), narrowed
// by similarity / source when given (dims 0: any length). Raises when none,
// several, an external index without vectors, or an index in error.
// Prepared once per backend.
ResolvedIndex resolve_index(Datum label, Datum property, int dims, Datum similarity, bool similarity_null,
                            Datum source, bool source_null, bool text_query) {
    static SPIPlanPtr plan = nullptr;
    if (plan == nullptr) {
        Oid types[5] = {TEXTOID, TEXTOID, INT4OID, TEXTOID, TEXTOID};
        plan = SPI_prepare(
            "SELECT id::text, source_type, rushdb_internal.index_status(e), similarity_function, vector_table, model_key, "
            "       dimensions, error "
            "FROM rushdb.embedding_indexes e WHERE e.label OPERATOR(pg_catalog.=) $1 "
            "AND e.property_name OPERATOR(pg_catalog.=) $2 "
            "AND ($3 OPERATOR(pg_catalog.=) 0 OR e.dimensions OPERATOR(pg_catalog.=) $3) AND e.enabled "
            "AND ($4 IS NULL OR e.similarity_function OPERATOR(pg_catalog.=) $4) "
            "AND ($5 IS NULL OR e.source_type OPERATOR(pg_catalog.=) $5) ORDER BY e.created_at, e.id",
            5, types);
        if (plan == nullptr) elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
        SPI_keepplan(plan);
    }
    Datum values[5] = {label, property, Int32GetDatum(dims), similarity, source};
    char nulls[5] = {' ', ' ', ' ', similarity_null ? 'n' : ' ', source_null ? 'n' : ' '};
    if (SPI_execute_plan(plan, values, nulls, true, 0) != SPI_OK_SELECT) elog(ERROR, "index lookup failed");
    TupleDesc desc = SPI_tuptable->tupdesc;
    char* label_text = TextDatumGetCString(label);
    char* property_text = TextDatumGetCString(property);
    const char* dims_text = dims ? psprintf(" with %d dimensions", dims) : "";
    if (SPI_processed == 0) {
        // A text query on a property that has only an external index gets
        // an error that says so, not "no index".
        char* external = text_query ? external_index_id(label, property) : nullptr;
        if (external != nullptr)
            ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
                            errmsg("embedding index %s on label \"%s\", property \"%s\" is external: a text query "
                                   "needs a managed index", external, label_text, property_text),
                            errhint("Give queryVector (a vector from your model) instead of query.")));
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
                        errmsg("no embedding index for label \"%s\", property \"%s\"%s%s%s%s%s",
                               label_text, property_text, dims_text,
                               similarity_null ? "" : ", ", similarity_null ? "" : psprintf("%s similarity", TextDatumGetCString(similarity)),
                               source_null ? "" : ", source ", source_null ? "" : TextDatumGetCString(source)),
                        errdetail("%s", index_detail(label, property))));
    }
    if (SPI_processed > 1) {
        StringInfoData list;
        initStringInfo(&list);
        for (uint64 i = 0; i < SPI_processed; ++i) {
            HeapTuple t = SPI_tuptable->vals[i];
            appendStringInfo(&list, "%s%s (%s, %s%s)", i ? "; " : "", SPI_getvalue(t, desc, 1),
                             SPI_getvalue(t, desc, 2), SPI_getvalue(t, desc, 4),
                             dims ? "" : psprintf(", %s dimensions", SPI_getvalue(t, desc, 7)));
        }
        ereport(ERROR, (errcode(ERRCODE_AMBIGUOUS_PARAMETER),
                        errmsg("several embedding indexes match label \"%s\", property \"%s\"%s: %s",
                               label_text, property_text, dims_text, list.data),
                        errhint("Pass similarityFunction, sourceType or dimensions to choose one.")));
    }
    HeapTuple t = SPI_tuptable->vals[0];
    ResolvedIndex ix;
    ix.id = column_copy(t, desc, 1);
    ix.source = column_copy(t, desc, 2);
    ix.status = column_copy(t, desc, 3);
    ix.cosine = strcmp(SPI_getvalue(t, desc, 4), "cosine") == 0;
    ix.table = column_copy(t, desc, 5);
    ix.model = column_copy(t, desc, 6);
    ix.dims = atoi(SPI_getvalue(t, desc, 7));
    ix.error = column_copy(t, desc, 8);
    if (strcmp(ix.source, "external") == 0 && strcmp(ix.status, "awaiting_vectors") == 0)
        ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                        errmsg("embedding index %s has no vectors yet", ix.id),
                        errhint("Write vectors first: inline \"__vectors\" on create, or rushdb.upsert_vectors.")));
    if (strcmp(ix.status, "error") == 0)
        ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                        errmsg("embedding index %s is in error: %s", ix.id, ix.error ? ix.error : "unknown cause"),
                        errhint("Fix the embedding provider; the next write to the property, or "
                                "rushdb.retry_index('%s'), retries it.", ix.id)));
    return ix;
}

// Embeds a text query with the index's provider.
Datum embed_query(const ResolvedIndex& ix, const char* query) {
    Vector* v = new_vector(ix.dims);
    float* out = v->x;
    int dims = ix.dims;
    const char* model = ix.model;
    bool zero = guarded([&] {
        auto vectors = embed::embed_texts(model, static_cast<std::size_t>(dims), {std::string(query)});
        std::memcpy(out, vectors.at(0).data(), sizeof(float) * static_cast<std::size_t>(dims));
        for (float x : vectors[0])
            if (x != 0.0f) return false;
        return true;
    });
    if (zero)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("query \"%s\" has nothing to embed (no words)", query)));
    return PointerGetDatum(v);
}

// rushdb.search and rushdb.search_text share their arguments:
// (label, property_name, query_vector | query, limit, skip, where,
//  similarity_function, source_type, dimensions, mode, ef).
Datum search(FunctionCallInfo fcinfo, bool text_query) {
    auto text_or_empty = [&](int n) { return PG_ARGISNULL(n) ? pstrdup("") : TextDatumGetCString(PG_GETARG_DATUM(n)); };
    if (PG_ARGISNULL(0) || text_or_empty(0)[0] == '\0') bad(ERRCODE_NULL_VALUE_NOT_ALLOWED, "label is required");
    if (PG_ARGISNULL(1) || text_or_empty(1)[0] == '\0') bad(ERRCODE_NULL_VALUE_NOT_ALLOWED, "propertyName is required");
    if (PG_ARGISNULL(2)) bad(ERRCODE_NULL_VALUE_NOT_ALLOWED, text_query ? "query is required" : "queryVector is required");
    if (PG_ARGISNULL(3) || PG_GETARG_INT32(3) < 1 || PG_GETARG_INT32(3) > 1000)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("limit must be between 1 and 1000, not %s",
                               PG_ARGISNULL(3) ? "null" : psprintf("%d", PG_GETARG_INT32(3)))));
    if (PG_ARGISNULL(4) || PG_GETARG_INT32(4) < 0)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("skip must be 0 or more, not %s", PG_ARGISNULL(4) ? "null" : psprintf("%d", PG_GETARG_INT32(4)))));
    char* mode = PG_ARGISNULL(9) ? nullptr : TextDatumGetCString(PG_GETARG_DATUM(9));
    if (mode == nullptr || (strcmp(mode, "auto") != 0 && strcmp(mode, "exact") != 0 && strcmp(mode, "ann") != 0))
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("mode must be auto, exact or ann, not %s", mode ? mode : "null")));
    if (!PG_ARGISNULL(10) && (PG_GETARG_INT32(10) < 1 || PG_GETARG_INT32(10) > 1000))
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("ef must be between 1 and 1000, not %d", PG_GETARG_INT32(10))));
    if (!PG_ARGISNULL(8) && (PG_GETARG_INT32(8) < 1 || PG_GETARG_INT32(8) > kMaxDims))
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("dimensions must be between 1 and %d, not %d", kMaxDims, PG_GETARG_INT32(8))));
    if (!PG_ARGISNULL(6) && strcmp(text_or_empty(6), "cosine") != 0 && strcmp(text_or_empty(6), "euclidean") != 0)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("similarityFunction must be \"cosine\" or \"euclidean\", not \"%s\"", text_or_empty(6))));
    if (!PG_ARGISNULL(7) && strcmp(text_or_empty(7), "managed") != 0 && strcmp(text_or_empty(7), "external") != 0)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("sourceType must be \"managed\" or \"external\", not \"%s\"", text_or_empty(7))));
    int32 limit = PG_GETARG_INT32(3), skip = PG_GETARG_INT32(4);
    Datum query = (Datum)0;
    char* query_text = nullptr;
    int dims = 0;
    if (text_query) {
        query_text = TextDatumGetCString(PG_GETARG_DATUM(2));
        if (query_text[0] == '\0') bad(ERRCODE_INVALID_PARAMETER_VALUE, "query must not be empty");
        if (!PG_ARGISNULL(7) && strcmp(text_or_empty(7), "managed") != 0)
            ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                            errmsg("a text query needs a managed index, not sourceType \"%s\"", text_or_empty(7)),
                            errhint("Search external indexes with queryVector.")));
        if (!PG_ARGISNULL(8)) dims = PG_GETARG_INT32(8);
    } else {
        query = PG_GETARG_DATUM(2);
        dims = reinterpret_cast<Vector*>(PG_DETOAST_DATUM(query))->dim;
        if (!PG_ARGISNULL(8) && PG_GETARG_INT32(8) != dims)
            ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                            errmsg("queryVector has %d dimensions but dimensions = %d was asked for", dims, PG_GETARG_INT32(8))));
    }

    // Filter: compiled once per call; '{}' (and NULL) is no filter.
    const char* filter_sql = "TRUE";
    Datum filter_params = PointerGetDatum(construct_empty_array(TEXTOID));
    if (!PG_ARGISNULL(5)) {
        Jsonb* where = PG_GETARG_JSONB_P(5);
        if (!(JB_ROOT_IS_OBJECT(where) && JB_ROOT_COUNT(where) == 0)) {
            char* where_text = JsonbToCString(nullptr, &where->root, VARSIZE(where));
            char* sql_out = nullptr;
            ArrayType* params_out = nullptr;
            guarded([&] {
                std::string sql;
                std::vector<std::string> params;
                compile_filter(where_text, "r.properties", 5, sql, params);
                sql_out = static_cast<char*>(pg_call([&] { return static_cast<void*>(pstrdup(sql.c_str())); }));
                std::size_t n = params.size();
                Datum* elems = static_cast<Datum*>(pg_call([&] { return palloc(sizeof(Datum) * (n ? n : 1)); }));
                for (std::size_t i = 0; i < n; ++i) {
                    const std::string& p = params[i];
                    elems[i] = pg_call([&] { return PointerGetDatum(cstring_to_text_with_len(p.data(), static_cast<int>(p.size()))); });
                }
                params_out = pg_call([&] { return construct_array(elems, static_cast<int>(n), TEXTOID, -1, false, TYPALIGN_INT); });
            });
            filter_sql = sql_out;
            filter_params = PointerGetDatum(params_out);
        }
    }

    // Every statement below (the index lookup, the ranked query with the
    // compiled filter's operators and functions, the score arithmetic) runs
    // as the caller but with the extension's search_path: a caller's
    // search_path may hold another role's operators and functions (an
    // exact-match public./(float8, integer) would otherwise win over
    // pg_catalog's for "s.d / 2"). Undone at the end, or by the error path.
    int path_level = pin_search_path();
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
    Datum similarity = PG_ARGISNULL(6) ? (Datum)0 : PG_GETARG_DATUM(6);
    Datum source = PG_ARGISNULL(7) ? (Datum)0 : PG_GETARG_DATUM(7);
    bool source_null = PG_ARGISNULL(7);
    if (text_query) {
        source = CStringGetTextDatum("managed");
        source_null = false;
    }
    ResolvedIndex ix = resolve_index(PG_GETARG_DATUM(0), PG_GETARG_DATUM(1), dims, similarity, PG_ARGISNULL(6),
                                     source, source_null, text_query);
    // The catalog names the table; it must be the one the extension made.
    (void)checked_vector_storage(ix.table, ix.id, false);
    SPI_finish();

    Oid vector_type;
    if (text_query) {
        query = embed_query(ix, query_text);
        vector_type = vector_type_oid();
    } else {
        vector_type = get_fn_expr_argtype(fcinfo->flinfo, 2);
    }

    int32 ef = hnsw::g_ef_search;
    if (!PG_ARGISNULL(10)) ef = PG_GETARG_INT32(10);
    int32 wanted = limit + skip > 1000 ? 1000 : limit + skip;
    if (ef < wanted) ef = wanted;
    run_search(fcinfo, ix.table, ix.cosine, query, vector_type, PG_GETARG_DATUM(0), limit, skip, filter_sql,
               filter_params, mode, ef);
    AtEOXact_GUC(true, path_level);
    return (Datum)0;
}

}  // namespace

extern "C" {

PG_FUNCTION_INFO_V1(rushdb_search);
PG_FUNCTION_INFO_V1(rushdb_search_text);

Datum rushdb_search(PG_FUNCTION_ARGS) { return search(fcinfo, false); }

Datum rushdb_search_text(PG_FUNCTION_ARGS) { return search(fcinfo, true); }

}  // extern "C"

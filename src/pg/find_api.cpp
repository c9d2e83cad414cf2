// rushdb.find(jsonb): RushDB's records.find over rushdb.records. The query is compiled by src/core/query (labels, orderBy,
// paging, select, groupBy) around the where filter of src/core/filter, and
// run with the caller's rights, so GRANTs and row-level security on
// rushdb.records hold; search_path is pinned for the call.
#include <string>
#include <vector>

#include "boundary.hpp"
#include "filter_glue.hpp"
#include "json/json_value.hpp"
#include "pg_prelude.hpp"
#include "query/find_compiler.hpp"
#include "spi_glue.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
}

using namespace rushdb::pg;
namespace json = rushdb::json;

namespace {

constexpr std::size_t kMaxQueryBytes = 1024 * 1024;

[[noreturn]] void bad(int code, const char* msg) {
    ereport(ERROR, (errcode(code), errmsg("%s", msg)));
    pg_unreachable();
}

// A find request compiled: the data query, the count query and the text
// parameters both take, in the caller's memory.
struct CompiledFind {
    char* data_sql;
    char* count_sql;
    int nparams;
    Oid* types;
    Datum* params;
};

CompiledFind compile_request(FunctionCallInfo fcinfo) {
    if (PG_ARGISNULL(0))
        bad(ERRCODE_NULL_VALUE_NOT_ALLOWED,
            "find expects a JSON object {labels, where, orderBy, skip, limit, select, groupBy}");
    Jsonb* query = PG_GETARG_JSONB_P(0);
    char* text = JsonbToCString(nullptr, &query->root, VARSIZE(query));
    if (strlen(text) > kMaxQueryBytes)
        ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                        errmsg("find query too large: %zu bytes of JSON, at most %zu", strlen(text), kMaxQueryBytes)));
    const std::size_t max_nodes = static_cast<std::size_t>(max_filter_nodes());
    CompiledFind out{nullptr, nullptr, 0, nullptr, nullptr};
    guarded([&] {
        json::JsonValue q;
        try {
            q = json::parse_json(text);
        } catch (const json::JsonParseError& e) {
            throw UserError(ERRCODE_INVALID_PARAMETER_VALUE, std::string("find: ") + e.what());
        }
        if (!q.is_object())
            throw UserError(ERRCODE_INVALID_PARAMETER_VALUE,
                            "find expects a JSON object {labels, where, orderBy, skip, limit, select, groupBy}");
        rushdb::query::FindOptions options;
        std::vector<std::string> values;
        const json::JsonValue* where = q.find("where");
        if (where != nullptr && where->is_object() && !where->as_object().empty()) {
            const std::string w = json::to_json(*where);
            compile_filter(w.c_str(), "r", 1, max_nodes, options.filter_r, values, false);
            options.filter_params = values.size();
            // Over "c" only for the correlated $collect subqueries of a
            // grouped query; the same shape, so the same parameters.
            const json::JsonValue* group_by = q.find("groupBy");
            if (group_by != nullptr && group_by->is_array() && !group_by->as_array().empty()) {
                std::vector<std::string> again;
                compile_filter(w.c_str(), "c", 1, max_nodes, options.filter_c, again, false);
            }
        }
        rushdb::query::FindQuery compiled;
        try {
            compiled = rushdb::query::compile_find(q, options);
        } catch (const rushdb::query::FindLimitError& e) {
            throw UserError(ERRCODE_PROGRAM_LIMIT_EXCEEDED, std::string("find query too large: ") + e.what());
        } catch (const rushdb::query::FindError& e) {
            throw UserError(ERRCODE_INVALID_PARAMETER_VALUE, std::string("invalid find query: ") + e.what(), {},
                            "See docs/find.md for labels, where, orderBy, skip, limit, select and groupBy.");
        }
        if (compiled.data_sql.size() + compiled.count_sql.size() > 4 * rushdb::query::kMaxSqlBytes)
            throw UserError(ERRCODE_PROGRAM_LIMIT_EXCEEDED,
                            "find query too large: it compiles to more than 4 MB of SQL", {},
                            "Use fewer select keys or a smaller filter.");
        for (auto& p : compiled.params) values.push_back(std::move(p));
        pg_call([&] {
            out.data_sql = pstrdup(compiled.data_sql.c_str());
            out.count_sql = pstrdup(compiled.count_sql.c_str());
            out.nparams = static_cast<int>(values.size());
            out.params = static_cast<Datum*>(palloc(sizeof(Datum) * (values.empty() ? 1 : values.size())));
            out.types = static_cast<Oid*>(palloc(sizeof(Oid) * (values.empty() ? 1 : values.size())));
            for (std::size_t i = 0; i < values.size(); ++i) {
                out.params[i] =
                    PointerGetDatum(cstring_to_text_with_len(values[i].data(), static_cast<int>(values[i].size())));
                out.types[i] = TEXTOID;
            }
        });
    });
    return out;
}

// Runs `sql` with the request's parameters under the caller's pinned
// search_path (SPI connected by the caller), without echoing the SQL.
void run(const char* sql, const CompiledFind& c, ErrorContextCallback* saved_context_stack, bool read_only) {
    int rc = spi_execute_quiet(sql, c.nparams, c.types, c.params, read_only,
                               "rushdb.find: the query compiled from the request", saved_context_stack);
    if (rc != SPI_OK_SELECT && rc != SPI_OK_UTILITY) elog(ERROR, "find query failed: %s", SPI_result_code_string(rc));
}

}  // namespace

extern "C" {

PG_FUNCTION_INFO_V1(rushdb_find);
PG_FUNCTION_INFO_V1(rushdb_explain_find);

// rushdb.find(query jsonb) -> {"data": [...], "total": N}
Datum rushdb_find(PG_FUNCTION_ARGS) {
    // Our errors say what was wrong with the query; the callers' CONTEXT
    // lines would only add our internals.
    ErrorContextCallback* saved_context_stack = error_context_stack;
    error_context_stack = nullptr;
    CompiledFind c = compile_request(fcinfo);
    // One statement: the page and the total under one snapshot.
    char* sql = psprintf(
        "SELECT pg_catalog.jsonb_build_object('data', (SELECT COALESCE(pg_catalog.jsonb_agg(q.j ORDER BY q.n), "
        "'[]'::pg_catalog.jsonb) FROM (SELECT s.j, pg_catalog.row_number() OVER () AS n FROM (%s) s) q), "
        "'total', (%s))",
        c.data_sql, c.count_sql);
    int nest = NewGUCNestLevel();
    set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0,
                      false);
    spi_connect();
    run(sql, c, saved_context_stack, true);
    error_context_stack = saved_context_stack;
    if (SPI_processed != 1)
        elog(ERROR, "find query returned %llu rows", static_cast<unsigned long long>(SPI_processed));
    bool isnull;
    Datum result = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
    result = SPI_datumTransfer(result, false, -1);
    SPI_finish();
    AtEOXact_GUC(true, nest);
    PG_RETURN_DATUM(result);
}

// rushdb.explain_find(query jsonb) -> SETOF text: EXPLAIN (COSTS OFF) of the
// data query, then of the total's count, as planned for this request's
// values, so a user (and the regress tests) can see which indexes serve it.
Datum rushdb_explain_find(PG_FUNCTION_ARGS) {
    ErrorContextCallback* saved_context_stack = error_context_stack;
    error_context_stack = nullptr;
    CompiledFind c = compile_request(fcinfo);
    InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
    ReturnSetInfo* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
    int nest = NewGUCNestLevel();
    set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0,
                      false);
    spi_connect();
    for (const char* part : {c.data_sql, c.count_sql}) {
        run(psprintf("EXPLAIN (COSTS OFF) %s", part), c, saved_context_stack, false);
        for (uint64 i = 0; i < SPI_processed; ++i) {
            bool isnull;
            Datum line = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);
            tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &line, &isnull);
        }
    }
    error_context_stack = saved_context_stack;
    SPI_finish();
    AtEOXact_GUC(true, nest);
    return (Datum)0;
}

}  // extern "C"

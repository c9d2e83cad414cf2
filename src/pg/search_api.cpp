// rushdb.search and rushdb.search_text (C functions; the SDK's
// rushdb.search(jsonb) is PL/pgSQL calling them): validate the arguments,
// pick the index (resolve_index), compile the where filter and run the
// ranked query.
//
// A dynamic EXECUTE from PL/pgSQL would parse and plan the query on every
// call, which costs as much as the vector search itself. This file keeps prepared
// plans per (storage table, metric, filter shape, LIMIT bucket, mode) in a
// per-backend LRU cache of rushdb.search_plan_cache_size entries and
// rushdb.search_plan_cache_memory bytes
// (SPI_keepplan; PostgreSQL's plan cache revalidates them when the tables
// change), binds the query vector, label, limit, skip and the filter's
// values (a text parameter each), and sets search_path, rushdb.hnsw_ef_search (and the
// mode's planner switches) only for the duration of the call.
//
// Security: all SQL here runs with search_path = pg_catalog, pg_temp and
// names every schema, operator and function, so nothing the caller (or
// another role) put on the search_path is ever resolved.
//
// Resources: the filter is held to rushdb.max_filter_nodes nodes, 32 levels
// and 1 MB of SQL (src/core/filter), its JSON text to 1 MB; errors raised
// while the statement is planned or run carry a one-line CONTEXT instead of
// the generated statement.
#include <cmath>
#include <list>
#include <string>
#include <unordered_map>

#include "boundary.hpp"
#include "datum_glue.hpp"
#include "embed_glue.hpp"
#include "filter/where_compiler.hpp"
#include "filter_glue.hpp"
#include "hnsw_am.hpp"
#include "privileges.hpp"
#include "pg_prelude.hpp"
#include "spi_glue.hpp"
#include "vector_type.hpp"

extern "C" {
#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "executor/spi_priv.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/plannodes.h"
#include "utils/array.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/plancache.h"
#include "utils/syscache.h"
#include "utils/typcache.h"
}

using namespace rushdb::pg;

namespace {

// Schemas, each written once. kApiSchema holds what users see (the records
// and index catalog, the vector type and its operators); kInternalSchema the
// per-index vector tables and the helpers record_json and index_status.
// (The where filter's helpers, prop_values and try_timestamptz, are named by
// rushdb::filter::kHelperSchema in src/core/filter/where_compiler.hpp.)
constexpr const char* kApiSchema = "rushdb";
constexpr const char* kInternalSchema = "rushdb_internal";

// The search_path every statement of this file runs under.
constexpr const char* kSafeSearchPath = "pg_catalog, pg_temp";
// Longest where filter accepted, as JSON text.
constexpr std::size_t kMaxWhereBytes = 1024 * 1024;
// Largest lines of CONTEXT kept from an error raised inside the search query.
constexpr std::size_t kMaxContextLine = 200;
constexpr int kMaxContextLines = 3;

int g_max_filter_nodes = static_cast<int>(rushdb::filter::kDefaultMaxFilterNodes);
int g_plan_cache_size = 64;
int g_plan_cache_memory_kb = 16 * 1024;

// ---------------------------------------------------------------------------
// The plan cache: least recently used first out; evicted plans are freed.

struct CachedSearch {
    std::string key;  // mode + '\x1f' + statement
    SPIPlanPtr plan;
    std::string table;
    std::string mode;
    long long limit_bucket;
    std::size_t filter_bytes;
    unsigned long long uses;
    std::size_t bytes;  // plan_bytes() + key, as of its last use
};

class PlanCache {
public:
    CachedSearch* find(const std::string& key) {
        auto it = index_.find(key);
        if (it == index_.end()) {
            ++misses_;
            return nullptr;
        }
        ++hits_;
        lru_.splice(lru_.begin(), lru_, it->second);  // most recent first
        return &*it->second;
    }
    CachedSearch& insert(CachedSearch entry) {
        bytes_ += entry.bytes;
        lru_.push_front(std::move(entry));
        index_.emplace(lru_.front().key, lru_.begin());
        return lru_.front();
    }
    // Records an entry's size after a use (its generic plan may be new).
    void resize(CachedSearch& entry, std::size_t bytes) {
        bytes_ = bytes_ - entry.bytes + bytes;
        entry.bytes = bytes;
    }
    // Frees least recently used plans until at most `capacity` are kept and
    // they hold at most `budget` bytes. Only called when no search query of
    // this backend is running, so no plan being executed is freed.
    void trim(std::size_t capacity, std::size_t budget) {
        while (!lru_.empty() && (lru_.size() > capacity || bytes_ > budget)) {
            CachedSearch& last = lru_.back();
            SPIPlanPtr plan = last.plan;
            bytes_ -= last.bytes;
            index_.erase(last.key);
            lru_.pop_back();
            ++evictions_;
            pg_call([plan] { SPI_freeplan(plan); });
        }
    }
    std::size_t bytes() const { return bytes_; }
    const std::list<CachedSearch>& entries() const { return lru_; }
    unsigned long long hits() const { return hits_; }
    unsigned long long misses() const { return misses_; }
    unsigned long long evictions() const { return evictions_; }

private:
    std::list<CachedSearch> lru_;
    std::unordered_map<std::string, std::list<CachedSearch>::iterator> index_;
    unsigned long long hits_ = 0, misses_ = 0, evictions_ = 0;
    std::size_t bytes_ = 0;
};

PlanCache& plan_cache() {
    static auto* cache = new PlanCache();  // lives as long as the backend
    return *cache;
}

// Search queries of this backend running now (a row-level security policy
// could search from inside a search).
int g_running = 0;
struct Running {
    Running() { ++g_running; }
    ~Running() { --g_running; }
    Running(const Running&) = delete;
    Running& operator=(const Running&) = delete;
};

// Bytes held by one prepared plan: the SPI plan, each plan source (with its
// query trees) and its generic plan when there is one.
Size plan_bytes(SPIPlanPtr plan) {
    Size total = plan->plancxt ? MemoryContextMemAllocated(plan->plancxt, true) : 0;
    ListCell* lc;
    foreach (lc, SPI_plan_get_plan_sources(plan)) {
        auto* source = static_cast<CachedPlanSource*>(lfirst(lc));
        total += MemoryContextMemAllocated(source->context, true);
        if (source->gplan != nullptr) total += MemoryContextMemAllocated(source->gplan->context, true);
    }
    return total;
}

// Does the plan tree scan a rushdb_hnsw index?
bool scans_hnsw(const Plan* plan, Oid hnsw_am) {
    if (plan == nullptr) return false;
    if (IsA(plan, IndexScan) || IsA(plan, IndexOnlyScan)) {
        Oid index = IsA(plan, IndexScan) ? reinterpret_cast<const IndexScan*>(plan)->indexid
                                         : reinterpret_cast<const IndexOnlyScan*>(plan)->indexid;
        HeapTuple tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(index));
        if (HeapTupleIsValid(tuple)) {
            bool hnsw = reinterpret_cast<Form_pg_class>(GETSTRUCT(tuple))->relam == hnsw_am;
            ReleaseSysCache(tuple);
            if (hnsw) return true;
        }
    }
    if (scans_hnsw(plan->lefttree, hnsw_am) || scans_hnsw(plan->righttree, hnsw_am)) return true;
    if (IsA(plan, SubqueryScan)) return scans_hnsw(reinterpret_cast<const SubqueryScan*>(plan)->subplan, hnsw_am);
    const List* children = nullptr;
    if (IsA(plan, Append))
        children = reinterpret_cast<const Append*>(plan)->appendplans;
    else if (IsA(plan, MergeAppend))
        children = reinterpret_cast<const MergeAppend*>(plan)->mergeplans;
    ListCell* lc;
    foreach (lc, children)
        if (scans_hnsw(static_cast<const Plan*>(lfirst(lc)), hnsw_am)) return true;
    return false;
}

// NULL without a generic plan; else whether it scans an HNSW index.
int generic_plan_scans_hnsw(SPIPlanPtr plan) {
    Oid hnsw_am = get_am_oid("rushdb_hnsw", true);
    ListCell* lc;
    int result = -1;
    foreach (lc, SPI_plan_get_plan_sources(plan)) {
        auto* source = static_cast<CachedPlanSource*>(lfirst(lc));
        if (source->gplan == nullptr) continue;
        result = 0;
        ListCell* sc;
        foreach (sc, source->gplan->stmt_list) {
            auto* stmt = static_cast<PlannedStmt*>(lfirst(sc));
            if (!IsA(stmt, PlannedStmt)) continue;
            if (scans_hnsw(stmt->planTree, hnsw_am)) return 1;
            ListCell* sp;
            foreach (sp, stmt->subplans)
                if (scans_hnsw(static_cast<const Plan*>(lfirst(sp)), hnsw_am)) return 1;
        }
    }
    return result;
}

// The inner LIMIT of the search query: the smallest power of two that holds
// limit + skip. A literal, so the cached generic plan is costed for a small
// row count and keeps the HNSW index scan (with LIMIT as a parameter the
// planner assumes a large fraction of the table and prefers a sort); the
// exact LIMIT and OFFSET are parameters of the outer query, so a handful of
// plans serve every page size.
long long limit_bucket(int32 limit, int32 skip) {
    const long long wanted = static_cast<long long>(limit) + skip;
    long long bucket = 1;
    while (bucket < wanted) bucket <<= 1;
    return bucket;
}

// ---------------------------------------------------------------------------
// CONTEXT of errors from the search query: SPI's "SQL statement "..."" line
// would echo the whole generated statement (megabytes with a large filter).
// It is replaced by one line naming the index; the other lines are kept,
// each cut at kMaxContextLine bytes, at most kMaxContextLines of them.

void append_cut(StringInfo out, const char* line, std::size_t len) {
    if (len > kMaxContextLine) {
        int cut = pg_mbcliplen(line, static_cast<int>(len), static_cast<int>(kMaxContextLine));
        appendBinaryStringInfo(out, line, cut);
        appendStringInfoString(out, "...");
    } else {
        appendBinaryStringInfo(out, line, static_cast<int>(len));
    }
}

void shorten_context(ErrorData* e, const char* statement, const char* own_line) {
    if (e->internalquery != nullptr && strcmp(e->internalquery, statement) == 0) {
        e->internalquery = nullptr;
        e->internalpos = 0;
    }
    StringInfoData out;
    initStringInfo(&out);
    int lines = 0;
    bool replaced = false;
    const char* p = e->context ? e->context : "";
    // Our statement has no newline, so its context line is one line.
    while (*p != '\0') {
        const char* end = strchr(p, '\n');
        std::size_t len = end ? static_cast<std::size_t>(end - p) : strlen(p);
        bool ours = memmem(p, len, statement, strlen(statement)) != nullptr;
        if (lines < kMaxContextLines) {
            if (lines > 0) appendStringInfoChar(&out, '\n');
            if (ours) {
                appendStringInfoString(&out, own_line);
                replaced = true;
            } else {
                append_cut(&out, p, len);
            }
            ++lines;
        } else if (ours) {
            replaced = true;  // dropped with the lines beyond the limit
        }
        if (end == nullptr) break;
        p = end + 1;
    }
    if (!replaced && lines < kMaxContextLines) {
        if (lines > 0) appendStringInfoChar(&out, '\n');
        appendStringInfoString(&out, own_line);
    }
    e->context = out.data;
}

// ---------------------------------------------------------------------------

// The where filter's values: text parameters $5 .. $(4 + count).
struct FilterParams {
    int count;
    Datum* values;
};

// Runs the ranked query for a resolved index in `mode`. Called with SPI
// connected and the search's settings in place. Returns the number of rows;
// they stay in SPI_tuptable for fill_results.
uint64 run_search(const char* index_id, const char* table, bool cosine, Datum query, Oid vector_type, Datum label,
                  int32 limit, int32 skip, const char* filter_sql, const FilterParams& filter, const char* mode) {
    // The statement depends on the table, the metric, the filter's shape
    // and the LIMIT bucket only; every value is a parameter.
    const char* op = cosine ? "<=>" : "<->";
    // Exact mode ranks by an expression no index can order by (distance
    // + 0), so the planner must measure and sort; unlike enable_indexscan =
    // off this keeps the btree lookups of the join to the records.
    const char* order_tail = strcmp(mode, "exact") == 0 ? " OPERATOR(pg_catalog.+) 0::pg_catalog.float8" : "";
    const long long bucket = limit_bucket(limit, skip);
    const char* score =
        cosine ? "(1::pg_catalog.float8 OPERATOR(pg_catalog.-) (s.d OPERATOR(pg_catalog./) 2::pg_catalog.float8))"
               : "(1::pg_catalog.float8 OPERATOR(pg_catalog./) (1::pg_catalog.float8 OPERATOR(pg_catalog.+) "
                 "(s.d OPERATOR(pg_catalog.*) s.d)))";
    char* sql = psprintf(
        "SELECT %s.record_json(s.r) OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('__score', %s) "
        "FROM (SELECT r, v.embedding OPERATOR(%s.%s) $1 AS d "
        "FROM %s.%s v JOIN %s.records r ON r.id OPERATOR(pg_catalog.=) v.record_id "
        "WHERE r.label OPERATOR(pg_catalog.=) $2 AND (%s) "
        "ORDER BY (v.embedding OPERATOR(%s.%s) $1)%s LIMIT %lld) s "
        "LIMIT $3 OFFSET $4",
        kInternalSchema, score, kApiSchema, op, kInternalSchema, quote_identifier(table), kApiSchema, filter_sql,
        kApiSchema, op, order_tail, bucket);
    char* own_line = psprintf("rushdb.search: ranked query of embedding index %s", index_id);
    const std::size_t filter_bytes = strcmp(filter_sql, "TRUE") == 0 ? 0 : strlen(filter_sql);

    // $1..$4, then the filter's values as $5, $6, ... (text each).
    const int nargs = 4 + filter.count;
    Datum* values = static_cast<Datum*>(palloc(sizeof(Datum) * nargs));
    Oid* types = static_cast<Oid*>(palloc(sizeof(Oid) * nargs));
    values[0] = query;
    values[1] = label;
    values[2] = Int32GetDatum(limit);
    values[3] = Int32GetDatum(skip);
    types[0] = vector_type;
    types[1] = TEXTOID;
    types[2] = INT4OID;
    types[3] = INT4OID;
    for (int i = 0; i < filter.count; ++i) {
        values[4 + i] = filter.values[i];
        types[4 + i] = TEXTOID;
    }
    int rc = guarded([&]() -> int {
        const std::string key = std::string(mode) + '\x1f' + sql;
        try {
            PlanCache& cache = plan_cache();
            const std::size_t capacity = static_cast<std::size_t>(g_plan_cache_size);
            const std::size_t budget = static_cast<std::size_t>(g_plan_cache_memory_kb) * 1024;
            SPIPlanPtr plan = nullptr;
            CachedSearch* entry = cache.find(key);
            if (entry != nullptr) {
                ++entry->uses;
                plan = entry->plan;
            } else {
                // With a filter, every call is planned for its values (a
                // custom plan): only then does the planner see how many
                // records match and choose between the graph and an exact
                // ranking of the matches. Parsing is still done once.
                const int options = filter_bytes > 0 ? CURSOR_OPT_CUSTOM_PLAN : 0;
                plan = pg_call([&] {
                    SPIPlanPtr prepared = SPI_prepare_cursor(sql, nargs, types, options);
                    if (prepared == nullptr) elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
                    return prepared;
                });
                if (capacity > 0 && budget > 0) {  // else the plan dies with this SPI connection
                    pg_call([plan] { SPI_keepplan(plan); });
                    entry = &cache.insert(CachedSearch{key, plan, table, mode, bucket, filter_bytes, 1, 0});
                }
            }
            int result;
            {
                Running running;
                result = pg_call([&] { return SPI_execute_plan(plan, values, nullptr, true, 0); });
            }
            // Entries live in a std::list: `entry` survives the insertions a
            // nested search may have made, and only this level evicts.
            if (g_running == 0) {
                if (entry != nullptr) cache.resize(*entry, pg_call([plan] { return plan_bytes(plan); }) + key.size());
                cache.trim(capacity, budget);
            }
            return result;
        } catch (const PgError& e) {
            ErrorData* data = e.data();
            pg_call([&] { shorten_context(data, sql, own_line); });
            throw;
        }
    });
    if (rc != SPI_OK_SELECT) elog(ERROR, "search query failed: %s", SPI_result_code_string(rc));
    return SPI_processed;
}

// Copies the rows of the last run_search into the SRF's tuplestore.
void fill_results(FunctionCallInfo fcinfo) {
    // A scalar SETOF result: the caller's expected descriptor (one jsonb column).
    InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
    ReturnSetInfo* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
    for (uint64 i = 0; i < SPI_processed; ++i) {
        bool isnull;
        Datum d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);
        if (isnull) continue;
        // Copy out of SPI's memory into the tuplestore (which copies again).
        tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &d, &isnull);
    }
}

// Rows of an index's vector table as the planner last counted them
// (pg_class.reltuples; 0 when never analyzed or vacuumed).
double storage_rows(const char* table) {
    Oid nsp = get_namespace_oid(kInternalSchema, false);
    Oid rel = get_relname_relid(table, nsp);
    if (!OidIsValid(rel)) return 0;
    HeapTuple tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(rel));
    if (!HeapTupleIsValid(tuple)) return 0;
    float4 rows = reinterpret_cast<Form_pg_class>(GETSTRUCT(tuple))->reltuples;
    ReleaseSysCache(tuple);
    return rows > 0 ? rows : 0;
}

[[noreturn]] void bad(int code, const char* msg) {
    ereport(ERROR, (errcode(code), errmsg("%s", msg)));
    pg_unreachable();
}

// Is there an external index on (label, property)? For the error a text
// query on it gets.
char* external_index_id(Datum label, Datum property) {
    Oid types[2] = {TEXTOID, TEXTOID};
    Datum values[2] = {label, property};
    char* sql = psprintf(
        "SELECT e.id::pg_catalog.text FROM %s.embedding_indexes e WHERE e.label OPERATOR(pg_catalog.=) $1 "
        "AND e.property_name OPERATOR(pg_catalog.=) $2 AND e.source_type OPERATOR(pg_catalog.=) 'external' "
        "ORDER BY e.created_at LIMIT 1",
        kApiSchema);
    if (SPI_execute_with_args(sql, 2, types, values, nullptr, true, 1) != SPI_OK_SELECT)
        elog(ERROR, "index lookup failed");
    return SPI_processed ? SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1) : nullptr;
}

// What the label / property has (rushdb_internal.index_detail), for the
// DETAIL of a "no index" error.
char* index_detail(Datum label, Datum property) {
    Oid types[2] = {TEXTOID, TEXTOID};
    Datum values[2] = {label, property};
    if (SPI_execute_with_args(psprintf("SELECT %s.index_detail($1, $2)", kInternalSchema), 2, types, values, nullptr,
                              true, 1) != SPI_OK_SELECT ||
        SPI_processed != 1)
        return pstrdup("");
    char* v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
    return v ? v : pstrdup("");
}

struct ResolvedIndex {
    char* id;
    char* source;
    char* status;  // as users see it (index_status)
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
    std::size_t len = strlen(v) + 1;
    return static_cast<char*>(memcpy(SPI_palloc(len), v, len));
}

// The index a search runs on: (label, property[, query length]), narrowed
// by similarity / source when given (dims 0: any length). Raises when none,
// several, an external index without vectors, or an index in error.
// Prepared once per backend.
ResolvedIndex resolve_index(Datum label, Datum property, int dims, Datum similarity, bool similarity_null, Datum source,
                            bool source_null, bool text_query) {
    static SPIPlanPtr plan = nullptr;
    if (plan == nullptr) {
        Oid types[5] = {TEXTOID, TEXTOID, INT4OID, TEXTOID, TEXTOID};
        plan = spi_prepare_kept(
            psprintf("SELECT e.id::pg_catalog.text, e.source_type, %s.index_status(e), e.similarity_function, "
                     "       e.vector_table, e.model_key, e.dimensions, e.error "
                     "FROM %s.embedding_indexes e WHERE e.label OPERATOR(pg_catalog.=) $1 "
                     "AND e.property_name OPERATOR(pg_catalog.=) $2 "
                     "AND ($3 OPERATOR(pg_catalog.=) 0 OR e.dimensions OPERATOR(pg_catalog.=) $3) AND e.enabled "
                     "AND ($4 IS NULL OR e.similarity_function OPERATOR(pg_catalog.=) $4) "
                     "AND ($5 IS NULL OR e.source_type OPERATOR(pg_catalog.=) $5) ORDER BY e.created_at, e.id",
                     kInternalSchema, kApiSchema),
            5, types);
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
                                   "needs a managed index",
                                   external, label_text, property_text),
                            errhint("Give queryVector (a vector from your model) instead of query.")));
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
                        errmsg("no embedding index for label \"%s\", property \"%s\"%s%s%s%s%s", label_text,
                               property_text, dims_text, similarity_null ? "" : ", ",
                               similarity_null ? "" : psprintf("%s similarity", TextDatumGetCString(similarity)),
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
                        errmsg("several embedding indexes match label \"%s\", property \"%s\"%s: %s", label_text,
                               property_text, dims_text, list.data),
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
                                "rushdb.retry_index('%s'), retries it.",
                                ix.id)));
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

// Cosine similarity has no value for a zero vector (every distance would
// be NaN): refused, whatever produced the zeros.
void require_direction(const Vector* v, const char* what) {
    for (int i = 0; i < v->dim; ++i)
        if (v->x[i] != 0.0f) return;
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("%s is a zero vector, which has no direction for cosine similarity", what),
                    errdetail("Every element is 0 in float32 (values smaller than about 1e-45 read as 0)."),
                    errhint("Pass a non-zero vector; cosine ignores length, so a tiny vector can be scaled up.")));
}

// rushdb.search and rushdb.search_text share their arguments, by position
// (sql/install/85_vectors_api.sql).
enum SearchArg : int {
    kLabelArg,       // label text
    kPropertyArg,    // property_name text
    kQueryArg,       // query_vector rushdb.vector | query text
    kLimitArg,       // "limit" integer
    kSkipArg,        // skip integer
    kWhereArg,       // "where" jsonb
    kSimilarityArg,  // similarity_function text
    kSourceTypeArg,  // source_type text
    kDimensionsArg,  // dimensions integer
    kModeArg,        // mode text
    kEfArg,          // ef integer
};

Datum search(FunctionCallInfo fcinfo, bool text_query) {
    // Our errors say what was wrong with the call; the CONTEXT lines of the
    // callers' frames (search(jsonb)'s PL/pgSQL, the statement) would only
    // add our internals. PG_TRY blocks up the stack restore it on error.
    ErrorContextCallback* saved_context_stack = error_context_stack;
    error_context_stack = nullptr;
    auto text_or_empty = [&](int n) { return PG_ARGISNULL(n) ? pstrdup("") : TextDatumGetCString(PG_GETARG_DATUM(n)); };
    if (PG_ARGISNULL(kLabelArg) || text_or_empty(kLabelArg)[0] == '\0')
        bad(ERRCODE_NULL_VALUE_NOT_ALLOWED, "label is required");
    if (PG_ARGISNULL(kPropertyArg) || text_or_empty(kPropertyArg)[0] == '\0')
        bad(ERRCODE_NULL_VALUE_NOT_ALLOWED, "propertyName is required");
    if (PG_ARGISNULL(kQueryArg))
        bad(ERRCODE_NULL_VALUE_NOT_ALLOWED, text_query ? "query is required" : "queryVector is required");
    if (PG_ARGISNULL(kLimitArg) || PG_GETARG_INT32(kLimitArg) < 1 || PG_GETARG_INT32(kLimitArg) > 1000)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("limit must be between 1 and 1000, not %s",
                               PG_ARGISNULL(kLimitArg) ? "null" : psprintf("%d", PG_GETARG_INT32(kLimitArg)))));
    if (PG_ARGISNULL(kSkipArg) || PG_GETARG_INT32(kSkipArg) < 0)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("skip must be 0 or more, not %s",
                               PG_ARGISNULL(kSkipArg) ? "null" : psprintf("%d", PG_GETARG_INT32(kSkipArg)))));
    if (!PG_ARGISNULL(kSimilarityArg) && strcmp(text_or_empty(kSimilarityArg), "cosine") != 0 &&
        strcmp(text_or_empty(kSimilarityArg), "euclidean") != 0)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("similarityFunction must be \"cosine\" or \"euclidean\", not \"%s\"",
                               text_or_empty(kSimilarityArg))));
    if (!PG_ARGISNULL(kSourceTypeArg) && strcmp(text_or_empty(kSourceTypeArg), "managed") != 0 &&
        strcmp(text_or_empty(kSourceTypeArg), "external") != 0)
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                 errmsg("sourceType must be \"managed\" or \"external\", not \"%s\"", text_or_empty(kSourceTypeArg))));
    char* mode = PG_ARGISNULL(kModeArg) ? nullptr : TextDatumGetCString(PG_GETARG_DATUM(kModeArg));
    if (mode == nullptr || (strcmp(mode, "auto") != 0 && strcmp(mode, "exact") != 0 && strcmp(mode, "ann") != 0))
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("mode must be auto, exact or ann, not %s", mode ? mode : "null")));
    if (!PG_ARGISNULL(kEfArg) && (PG_GETARG_INT32(kEfArg) < 1 || PG_GETARG_INT32(kEfArg) > 1000))
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("ef must be between 1 and 1000, not %d", PG_GETARG_INT32(kEfArg))));
    if (!PG_ARGISNULL(kDimensionsArg) &&
        (PG_GETARG_INT32(kDimensionsArg) < 1 || PG_GETARG_INT32(kDimensionsArg) > kMaxDims))
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("dimensions must be between 1 and %d, not %d",
                                                                         kMaxDims, PG_GETARG_INT32(kDimensionsArg))));
    int32 limit = PG_GETARG_INT32(kLimitArg), skip = PG_GETARG_INT32(kSkipArg);
    Datum query = (Datum)0;
    Vector* query_vector = nullptr;
    char* query_text = nullptr;
    int dims = 0;
    if (text_query) {
        query_text = TextDatumGetCString(PG_GETARG_DATUM(kQueryArg));
        if (query_text[0] == '\0') bad(ERRCODE_INVALID_PARAMETER_VALUE, "query must not be empty");
        if (!PG_ARGISNULL(kSourceTypeArg) && strcmp(text_or_empty(kSourceTypeArg), "managed") != 0)
            ereport(ERROR,
                    (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                     errmsg("a text query needs a managed index, not sourceType \"%s\"", text_or_empty(kSourceTypeArg)),
                     errhint("Search external indexes with queryVector.")));
        if (!PG_ARGISNULL(kDimensionsArg)) dims = PG_GETARG_INT32(kDimensionsArg);
    } else {
        query_vector = reinterpret_cast<Vector*>(PG_DETOAST_DATUM(PG_GETARG_DATUM(kQueryArg)));
        query = PointerGetDatum(query_vector);
        dims = query_vector->dim;
        if (!PG_ARGISNULL(kDimensionsArg) && PG_GETARG_INT32(kDimensionsArg) != dims)
            ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                            errmsg("queryVector has %d dimensions but dimensions = %d was asked for", dims,
                                   PG_GETARG_INT32(kDimensionsArg))));
    }

    // Filter: compiled once per call; '{}' (and NULL) is no filter.
    const char* filter_sql = "TRUE";
    FilterParams filter_params{0, nullptr};
    if (!PG_ARGISNULL(kWhereArg)) {
        Jsonb* where = PG_GETARG_JSONB_P(kWhereArg);
        if (!(JB_ROOT_IS_OBJECT(where) && JB_ROOT_COUNT(where) == 0)) {
            char* where_text = jsonb_cstring(where);
            std::size_t where_bytes = strlen(where_text);
            if (where_bytes > kMaxWhereBytes)
                ereport(ERROR,
                        (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                         errmsg("where filter too large: %zu bytes of JSON, at most %zu", where_bytes, kMaxWhereBytes),
                         errhint("Use fewer conditions or split the search.")));
            char* sql_out = nullptr;
            std::size_t max_nodes = static_cast<std::size_t>(g_max_filter_nodes);
            guarded([&] {
                std::string sql;
                std::vector<std::string> params;
                // Separate text parameters $5, $6, ...: as elements of one
                // array, each reference would fold to a copy of the array in
                // the custom plan (memory: references x bytes).
                compile_filter(where_text, "r", 5, max_nodes, sql, params, false);
                sql_out = palloc_cstring(sql);
                filter_params = FilterParams{static_cast<int>(params.size()), text_datums(params)};
            });
            filter_sql = sql_out;
        }
    }

    // Settings for this call only, undone at the end (or by the error path,
    // which unwinds the GUC nest level with the (sub)transaction).
    int nest = NewGUCNestLevel();
    set_config_option("search_path", kSafeSearchPath, PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);

    spi_connect();
    Datum similarity = PG_ARGISNULL(kSimilarityArg) ? (Datum)0 : PG_GETARG_DATUM(kSimilarityArg);
    Datum source = PG_ARGISNULL(kSourceTypeArg) ? (Datum)0 : PG_GETARG_DATUM(kSourceTypeArg);
    bool source_null = PG_ARGISNULL(kSourceTypeArg);
    if (text_query) {
        source = CStringGetTextDatum("managed");
        source_null = false;
    }
    ResolvedIndex ix = resolve_index(PG_GETARG_DATUM(kLabelArg), PG_GETARG_DATUM(kPropertyArg), dims, similarity,
                                     PG_ARGISNULL(kSimilarityArg), source, source_null, text_query);
    // The catalog names the table; it must be the one the extension made.
    (void)checked_vector_storage(ix.table, ix.id, false);
    SPI_finish();

    Oid vector_type;
    if (text_query) {
        query = embed_query(ix, query_text);
        query_vector = reinterpret_cast<Vector*>(DatumGetPointer(query));
        vector_type = vector_type_oid();
    } else {
        vector_type = get_fn_expr_argtype(fcinfo->flinfo, kQueryArg);
    }
    if (ix.cosine) require_direction(query_vector, text_query ? "the query's embedding" : "queryVector");

    int32 ef = hnsw::g_ef_search;
    if (!PG_ARGISNULL(kEfArg)) ef = PG_GETARG_INT32(kEfArg);
    int64 wanted = static_cast<int64>(limit) + skip;
    if (wanted > 1000) wanted = 1000;
    if (ef < wanted) ef = static_cast<int32>(wanted);
    char ef_text[16];
    snprintf(ef_text, sizeof ef_text, "%d", ef);
    set_config_option("rushdb.hnsw_ef_search", ef_text, PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
    // In auto mode the graph walk gets a budget: it may return at most
    // about sqrt(rows * wanted / 2) elements (at least 4 * wanted) before
    // it gives up, and a short result is then ranked exactly (below). That
    // is where the two plans cost about the same: an element returned by
    // the walk costs about twice a matching record ranked exactly (measured
    // on 335k GloVe vectors, docs/benchmarks.md), and a filter that lets
    // fewer than wanted / budget of the rows through has fewer matches than
    // rows * wanted / budget. So a filter the planner took for broad but
    // that is selective costs at most about twice the exact ranking, never
    // a walk through most of the index.
    if (strcmp(mode, "auto") == 0 && strcmp(filter_sql, "TRUE") != 0) {
        double rows = storage_rows(ix.table);
        double budget = std::sqrt(rows * static_cast<double>(wanted) / 2.0);
        if (budget < 4.0 * static_cast<double>(wanted)) budget = 4.0 * static_cast<double>(wanted);
        if (budget < static_cast<double>(hnsw::g_max_scan_tuples)) {
            char budget_text[24];
            snprintf(budget_text, sizeof budget_text, "%d", static_cast<int>(budget));
            set_config_option("rushdb.hnsw_max_scan_tuples", budget_text, PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
                              true, 0, false);
        }
    }
    if (strcmp(mode, "ann") == 0) {
        // The exact plans all rank by a sort (after a sequential, bitmap or
        // label-index scan); with sorting off, the HNSW ordered scan is the
        // plan left.
        set_config_option("enable_seqscan", "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
        set_config_option("enable_sort", "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
    }

    spi_connect();
    uint64 rows = run_search(ix.id, ix.table, ix.cosine, query, vector_type, PG_GETARG_DATUM(kLabelArg), limit, skip,
                             filter_sql, filter_params, mode);
    // Never too few rows: a graph walk stops after rushdb.hnsw_max_scan_tuples
    // elements, so a filter the planner thought broad but that matches few
    // records can come back short. Fewer rows than asked for means few
    // records match, and ranking those exactly is cheap: do it.
    if (rows < static_cast<uint64>(limit) && strcmp(mode, "auto") == 0) {
        SPI_freetuptable(SPI_tuptable);
        run_search(ix.id, ix.table, ix.cosine, query, vector_type, PG_GETARG_DATUM(kLabelArg), limit, skip, filter_sql,
                   filter_params, "exact");
    }
    fill_results(fcinfo);
    SPI_finish();
    AtEOXact_GUC(true, nest);
    error_context_stack = saved_context_stack;
    return (Datum)0;
}

}  // namespace

namespace rushdb::pg {

int max_filter_nodes() { return g_max_filter_nodes; }

void register_search_settings() {
    DefineCustomIntVariable(
        "rushdb.max_filter_nodes", "Most nodes a search's where filter may have.",
        "Each filter object, each condition on a property and each $in/$nin value is one node. Planning time and "
        "memory grow with the square of the filter's size; only superusers (or roles granted SET on this "
        "parameter) may change it.",
        &g_max_filter_nodes, static_cast<int>(rushdb::filter::kDefaultMaxFilterNodes), 1, 10000, PGC_SUSET, 0, nullptr,
        nullptr, nullptr);
    DefineCustomIntVariable("rushdb.search_plan_cache_size",
                            "Prepared search plans each backend keeps (least recently used go first).",
                            "One per index, filter shape, LIMIT bucket and mode. 0 keeps none.", &g_plan_cache_size, 64,
                            0, 1024, PGC_SUSET, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable(
        "rushdb.search_plan_cache_memory", "Most memory the prepared search plans of one backend may hold.",
        "Least recently used plans are freed beyond it (a plan of a large filter takes megabytes).",
        &g_plan_cache_memory_kb, 16 * 1024, 0, 1024 * 1024, PGC_SUSET, GUC_UNIT_KB, nullptr, nullptr, nullptr);
}

}  // namespace rushdb::pg

extern "C" {

PG_FUNCTION_INFO_V1(rushdb_search);
PG_FUNCTION_INFO_V1(rushdb_search_text);
PG_FUNCTION_INFO_V1(rushdb_search_plan_cache);
PG_FUNCTION_INFO_V1(rushdb_search_plan_cache_entries);

Datum rushdb_search(PG_FUNCTION_ARGS) { return search(fcinfo, false); }

Datum rushdb_search_text(PG_FUNCTION_ARGS) { return search(fcinfo, true); }

// rushdb.search_plan_cache(): this backend's cache as one jsonb object.
Datum rushdb_search_plan_cache(PG_FUNCTION_ARGS) {
    const PlanCache& cache = plan_cache();
    Size bytes = 0;
    long entries = 0;
    for (const CachedSearch& e : cache.entries()) {  // no allocation: cannot throw
        bytes += plan_bytes(e.plan) + e.key.size();
        ++entries;
    }
    char* text = psprintf(
        "{\"entries\": %ld, \"capacity\": %d, \"memoryBytes\": %zu, \"memoryBudget\": %lld, \"hits\": %llu, "
        "\"misses\": %llu, \"evictions\": %llu}",
        entries, g_plan_cache_size, static_cast<std::size_t>(bytes),
        static_cast<long long>(g_plan_cache_memory_kb) * 1024, cache.hits(), cache.misses(), cache.evictions());
    PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(text)));
}

// rushdb.search_plan_cache_entries(): one row per cached plan, most
// recently used first.
Datum rushdb_search_plan_cache_entries(PG_FUNCTION_ARGS) {
    InitMaterializedSRF(fcinfo, 0);
    ReturnSetInfo* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
    for (const CachedSearch& e : plan_cache().entries()) {
        Datum values[8];
        bool nulls[8] = {false, false, false, false, false, false, false, false};
        values[0] = CStringGetTextDatum(e.table.c_str());
        values[1] = CStringGetTextDatum(e.mode.c_str());
        values[2] = Int64GetDatum(e.limit_bucket);
        values[3] = Int64GetDatum(static_cast<int64>(e.filter_bytes));
        values[4] = Int64GetDatum(static_cast<int64>(e.uses));
        values[5] = Int64GetDatum(static_cast<int64>(plan_bytes(e.plan) + e.key.size()));
        int hnsw = generic_plan_scans_hnsw(e.plan);
        values[6] = BoolGetDatum(hnsw >= 0);
        values[7] = BoolGetDatum(hnsw == 1);
        nulls[7] = hnsw < 0;
        tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    }
    return (Datum)0;
}

}  // extern "C"

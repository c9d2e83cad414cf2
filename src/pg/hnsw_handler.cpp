// rushdb_hnsw: handler, reloptions, settings, cost model.
#include <cfloat>

#include "hnsw/metric.hpp"
#include "hnsw/params.hpp"
#include "halfvec_type.hpp"
#include "hnsw_am.hpp"
#include "hnsw_element_cache.hpp"
#include "hnsw_pending.hpp"

extern "C" {
#include "access/relscan.h"
#include "commands/progress.h"
#include "commands/vacuum.h"
#include "optimizer/optimizer.h"
#include "utils/guc.h"
#include "utils/selfuncs.h"
#include "utils/spccache.h"
}

namespace core = rushdb::hnsw;

namespace rushdb::pg::hnsw {

int g_ef_search = 200;
bool g_iterative_scan = true;
int g_max_scan_tuples = 20000;

namespace {

relopt_kind g_relopt_kind;

// Support function 1 of each operator class returns the metric code, plus
// kHalfKeys for the halfvec classes: the key type comes from the catalog
// with the metric, no type lookup by name.
constexpr int32 kHalfKeys = 0x100;

struct OpclassKind {
    uint8 metric;
    bool half_keys;
};

OpclassKind opclass_kind(Relation index) {
    FmgrInfo* proc = index_getprocinfo(index, 1, 1);
    int32 code = DatumGetInt32(FunctionCall1(proc, PointerGetDatum(nullptr)));
    bool half = (code & kHalfKeys) != 0;
    code &= ~kHalfKeys;
    if (code < core::kFirstMetric || code > core::kLastMetric)
        ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("invalid rushdb_hnsw operator class")));
    return OpclassKind{static_cast<uint8>(code), half};
}

bytea* options(Datum reloptions, bool validate) {
    static const relopt_parse_elt table[] = {
        {"m", RELOPT_TYPE_INT, offsetof(Options, m)},
        {"ef_construction", RELOPT_TYPE_INT, offsetof(Options, ef_construction)},
        {"pending_list_limit", RELOPT_TYPE_INT, offsetof(Options, pending_list_limit)},
    };
    return static_cast<bytea*>(
        build_reloptions(reloptions, validate, g_relopt_kind, sizeof(Options), table, lengthof(table)));
}

// Cost model. Everything is startup cost: the search runs before the first
// row. A search measures about m elements per unit of ef plus the descent
// (counted in memory on 335k real vectors with full lists: 970 / 2,339 /
// 3,576 distances at ef 40 / 120 / 200; docs/hnsw.md). To return LIMIT k
// rows it needs ef >= k. With a filter of selectivity s the executor rejects
// rows, so the scan must return about k / s of them; each rejected row is
// priced as kRejectedRowVisits element visits: its heap fetch and filter
// evaluation plus the m elements measured to find it. The constant is
// calibrated where the choice matters, against PostgreSQL's own prices for
// the exact alternative (a bitmap or btree scan of the matches and a sort):
// on 335k GloVe vectors, LIMIT 10, the graph and the exact plan take the
// same time at about 1.5-2% selectivity and this model switches at about
// 1.5%; at LIMIT 100 both move to about 5% (test/bench/hnsw/run_filtered.sh,
// docs/benchmarks.md). A small table therefore costs more by index than by
// a sequential scan and a top-N sort, and is scanned exactly.
constexpr double kRejectedRowVisits = 20.0;
// Without a known LIMIT (a parameter, or none) the scan is priced for this.
constexpr double kDefaultLimit = 10.0;

void cost_estimate(PlannerInfo* root, IndexPath* path, double loop_count, Cost* startup_cost, Cost* total_cost,
                   Selectivity* selectivity, double* correlation, double* pages) {
    GenericCosts costs;
    std::memset(&costs, 0, sizeof(costs));
    if (path->indexorderbys == NIL) {
        // Without ORDER BY distance the index is useless.
        *startup_cost = *total_cost = 1.0e10;
        *selectivity = 1.0;
        *correlation = 0.0;
        *pages = 0;
        return;
    }
    genericcostestimate(root, path, loop_count, &costs);

    IndexOptInfo* index = path->indexinfo;
    double n = index->tuples > 1 ? index->tuples : 1;
    // m from the reloptions (the operator classes take no options of their own).
    int m = 16;
    Relation rel = index_open(index->indexoid, NoLock);
    auto* opts = reinterpret_cast<Options*>(rel->rd_options);
    if (opts) m = opts->m;
    index_close(rel, NoLock);
    double k = root->limit_tuples > 0 ? root->limit_tuples : kDefaultLimit;
    double ef = static_cast<double>(g_ef_search);
    double visited = (ef > k ? ef : k) * m + 2.0 * std::log(n) * m;
    Selectivity filter =
        clauselist_selectivity(root, index->rel->baserestrictinfo, index->rel->relid, JOIN_INNER, nullptr);
    if (filter < 1e-4) filter = 1e-4;
    if (filter < 1.0) visited += kRejectedRowVisits * m * (k / filter - k);
    if (visited > n) visited = n;

    double random_page_cost, seq_page_cost;
    get_tablespace_page_costs(index->reltablespace, &random_page_cost, &seq_page_cost);
    // Calibrated on 10k x 32 dims: an element visit (cached buffer, locks,
    // one distance) costs about 3.5 times a sequential-scan row with its
    // distance and top-N sort step (~0.02 in cost units).
    double per_element = 0.0125 * random_page_cost + cpu_operator_cost + cpu_index_tuple_cost;
    *startup_cost = visited * per_element;
    *total_cost = *startup_cost + costs.numIndexTuples * cpu_index_tuple_cost;
    *selectivity = costs.indexSelectivity;
    *correlation = 0.0;
    *pages = visited / 10.0 < costs.numIndexPages ? visited / 10.0 : costs.numIndexPages;
}

bool validate(Oid opclass) { return true; }

char* phase_name(int64 phase) {
    switch (phase) {
        case PROGRESS_CREATEIDX_SUBPHASE_INITIALIZE:
            return const_cast<char*>("initializing");
        case kPhaseLoad:
            return const_cast<char*>("loading tuples");
        case kPhaseGraph:
            return const_cast<char*>("building graph");
        case kPhaseWrite:
            return const_cast<char*>("writing pages");
        default:
            return nullptr;
    }
}

}  // namespace

Vector* key_vector(Datum key, const IndexParams& params) {
    if (!params.half_keys) return datum_to_vector(key);
    HalfVec* h = datum_to_halfvec(key);
    Vector* v = widen_to_vector(h);
    if (reinterpret_cast<Pointer>(h) != DatumGetPointer(key)) pfree(h);
    return v;
}

IndexParams index_params(Relation index) {
    IndexParams p;
    auto* opts = reinterpret_cast<Options*>(index->rd_options);
    p.m = opts ? opts->m : 16;
    p.ef_construction = opts ? opts->ef_construction : 64;
    p.pending_list_limit_kb = opts ? opts->pending_list_limit : kDefaultPendingLimitKb;
    OpclassKind kind = opclass_kind(index);
    p.metric = kind.metric;
    p.half_keys = kind.half_keys;
    return p;
}

void register_settings() {
    g_relopt_kind = add_reloption_kind();
    add_int_reloption(g_relopt_kind, "m", "Links per node on the upper layers (twice that on layer 0)", 16, core::kMinM,
                      core::kMaxM, AccessExclusiveLock);
    add_int_reloption(g_relopt_kind, "ef_construction", "Candidate list size while building", 64,
                      core::kMinEfConstruction, core::kMaxEfConstruction, AccessExclusiveLock);
    // Changing it affects only when merges happen, never what a scan sees.
    add_int_reloption(g_relopt_kind, "pending_list_limit",
                      "kB of new rows kept in the pending list before inserts merge it into the graph (0 = off)",
                      kDefaultPendingLimitKb, 0, 1024 * 1024, ShareUpdateExclusiveLock);

    DefineCustomIntVariable("rushdb.hnsw_ef_search", "Candidate list size for rushdb_hnsw scans.",
                            "Higher finds more true neighbours, slower. Must be >= LIMIT for full recall.",
                            &g_ef_search, 200, 1, 1000, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    DefineCustomBoolVariable("rushdb.hnsw_iterative_scan",
                             "Keep searching when a filter rejects rows, so LIMIT k returns k rows.",
                             "When off, a scan returns at most ef_search rows.", &g_iterative_scan, true, PGC_USERSET,
                             0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("rushdb.hnsw_max_scan_tuples",
                            "Upper bound on elements an iterative rushdb_hnsw scan returns.",
                            "Stops a scan whose filter matches almost nothing from reading the whole index.",
                            &g_max_scan_tuples, 20000, 1, INT_MAX, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable(
        "rushdb.hnsw_element_cache",
        "Memory per backend for element vectors that rushdb_hnsw scans keep between scans.",
        "Scans measure cached elements without reading their index pages. 0 turns it off.", &g_element_cache_kb,
        128 * 1024, 0, 16 * 1024 * 1024, PGC_USERSET, GUC_UNIT_KB, nullptr,
        [](int value, void*) {
            if (value == 0) ElementCache::release_all();
        },
        nullptr);
}

}  // namespace rushdb::pg::hnsw

namespace h = rushdb::pg::hnsw;

extern "C" {

PG_FUNCTION_INFO_V1(rushdb_hnsw_handler);
PG_FUNCTION_INFO_V1(rushdb_hnsw_metric_l2);
PG_FUNCTION_INFO_V1(rushdb_hnsw_metric_cosine);
PG_FUNCTION_INFO_V1(rushdb_hnsw_metric_ip);
PG_FUNCTION_INFO_V1(rushdb_hnsw_metric_l1);
PG_FUNCTION_INFO_V1(rushdb_hnsw_halfvec_metric_l2);
PG_FUNCTION_INFO_V1(rushdb_hnsw_halfvec_metric_cosine);
PG_FUNCTION_INFO_V1(rushdb_hnsw_halfvec_metric_ip);
PG_FUNCTION_INFO_V1(rushdb_hnsw_halfvec_metric_l1);

Datum rushdb_hnsw_handler(PG_FUNCTION_ARGS) {
    IndexAmRoutine* am = makeNode(IndexAmRoutine);
    am->amstrategies = 0;
    am->amsupport = 1;
    am->amoptsprocnum = 0;
    am->amcanorder = false;
    am->amcanorderbyop = true;
    am->amcanbackward = false;
    am->amcanunique = false;
    am->amcanmulticol = false;
    am->amoptionalkey = true;
    am->amsearcharray = false;
    am->amsearchnulls = false;
    am->amstorage = false;
    am->amclusterable = false;
    am->ampredlocks = false;
    am->amcanparallel = false;
    am->amcaninclude = false;
    am->amusemaintenanceworkmem = false;
    am->amparallelvacuumoptions = VACUUM_OPTION_PARALLEL_BULKDEL;
    am->amkeytype = InvalidOid;

    am->ambuild = h::build;
    am->ambuildempty = h::build_empty;
    am->aminsert = h::insert;
    am->ambulkdelete = h::bulk_delete;
    am->amvacuumcleanup = h::vacuum_cleanup;
    am->amcanreturn = nullptr;
    am->amcostestimate = h::cost_estimate;
    am->amoptions = h::options;
    am->amproperty = nullptr;
    am->ambuildphasename = h::phase_name;
    am->amvalidate = h::validate;
    am->amadjustmembers = nullptr;
    am->ambeginscan = h::begin_scan;
    am->amrescan = h::rescan;
    am->amgettuple = h::get_tuple;
    am->amgetbitmap = nullptr;
    am->amendscan = h::end_scan;
    am->ammarkpos = nullptr;
    am->amrestrpos = nullptr;
    am->amestimateparallelscan = nullptr;
    am->aminitparallelscan = nullptr;
    am->amparallelrescan = nullptr;
    PG_RETURN_POINTER(am);
}

Datum rushdb_hnsw_metric_l2(PG_FUNCTION_ARGS) { PG_RETURN_INT32(static_cast<int>(core::Metric::l2)); }
Datum rushdb_hnsw_metric_cosine(PG_FUNCTION_ARGS) { PG_RETURN_INT32(static_cast<int>(core::Metric::cosine)); }
Datum rushdb_hnsw_metric_ip(PG_FUNCTION_ARGS) { PG_RETURN_INT32(static_cast<int>(core::Metric::inner_product)); }
Datum rushdb_hnsw_metric_l1(PG_FUNCTION_ARGS) { PG_RETURN_INT32(static_cast<int>(core::Metric::l1)); }
Datum rushdb_hnsw_halfvec_metric_l2(PG_FUNCTION_ARGS) {
    PG_RETURN_INT32(static_cast<int>(core::Metric::l2) | h::kHalfKeys);
}
Datum rushdb_hnsw_halfvec_metric_cosine(PG_FUNCTION_ARGS) {
    PG_RETURN_INT32(static_cast<int>(core::Metric::cosine) | h::kHalfKeys);
}
Datum rushdb_hnsw_halfvec_metric_ip(PG_FUNCTION_ARGS) {
    PG_RETURN_INT32(static_cast<int>(core::Metric::inner_product) | h::kHalfKeys);
}
Datum rushdb_hnsw_halfvec_metric_l1(PG_FUNCTION_ARGS) {
    PG_RETURN_INT32(static_cast<int>(core::Metric::l1) | h::kHalfKeys);
}

}  // extern "C"

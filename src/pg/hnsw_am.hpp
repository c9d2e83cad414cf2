// The rushdb_hnsw index access method: callbacks (one file per lifecycle
// step: hnsw_build.cpp, hnsw_insert.cpp, hnsw_scan.cpp, hnsw_vacuum.cpp),
// options and settings (hnsw_handler.cpp).
#pragma once

#include "pg_prelude.hpp"
#include "vector_type.hpp"

extern "C" {
#include "access/amapi.h"
#include "access/genam.h"
#include "access/reloptions.h"
#include "nodes/execnodes.h"
#include "utils/rel.h"
}

namespace rushdb::pg::hnsw {

// Reloptions: WITH (m = 16, ef_construction = 64).
struct Options {
    int32 vl_len_;
    int m;
    int ef_construction;
    int pending_list_limit;  // kB; 0 = every insert goes into the graph
};

// Settings (GUCs), registered by register_settings() from _PG_init.
extern int g_ef_search;
extern bool g_iterative_scan;
extern int g_max_scan_tuples;
void register_settings();

// Index parameters resolved from reloptions and the operator class.
struct IndexParams {
    int m;
    int ef_construction;
    uint8 metric;               // rushdb::hnsw::Metric
    int pending_list_limit_kb;  // 0: every insert goes into the graph
    bool half_keys;             // a halfvec operator class: keys are rushdb.halfvec
};
IndexParams index_params(Relation index);

// An indexed value or ORDER BY argument as float32: a vector as it is
// (detoasted), a halfvec widened, which is exact. The graph, the pending
// list and the caches hold float32 either way, so a halfvec index answers
// exactly as a vector index over the same values.
Vector* key_vector(Datum key, const IndexParams& params);

// Opens a rushdb_hnsw index for a maintenance function (verify, inspect,
// merge): only the owner of its table (a member of the owning role, or a
// superuser) may; others get 42501 before anything is locked. Locks the
// table, then the index, in `mode`.
Relation open_index_as_owner(Oid relid, const char* action, LOCKMODE mode);

// Progress phases reported in pg_stat_progress_create_index.
constexpr int kPhaseLoad = 2;
constexpr int kPhaseGraph = 3;
constexpr int kPhaseWrite = 4;

IndexBuildResult* build(Relation heap, Relation index, IndexInfo* info);
void build_empty(Relation index);
bool insert(Relation index, Datum* values, bool* isnull, ItemPointer heap_tid, Relation heap,
            IndexUniqueCheck check_unique, bool index_unchanged, IndexInfo* info);
IndexBulkDeleteResult* bulk_delete(IndexVacuumInfo* info, IndexBulkDeleteResult* stats,
                                   IndexBulkDeleteCallback callback, void* callback_state);
IndexBulkDeleteResult* vacuum_cleanup(IndexVacuumInfo* info, IndexBulkDeleteResult* stats);
IndexScanDesc begin_scan(Relation index, int nkeys, int norderbys);
void rescan(IndexScanDesc scan, ScanKey keys, int nkeys, ScanKey orderbys, int norderbys);
bool get_tuple(IndexScanDesc scan, ScanDirection dir);
void end_scan(IndexScanDesc scan);

}  // namespace rushdb::pg::hnsw

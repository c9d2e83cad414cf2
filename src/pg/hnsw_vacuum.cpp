// VACUUM for rushdb_hnsw.
//
// Both passes first merge the pending list into the graph (bulk_delete drops
// the entries whose heap row is dead instead of merging them). bulk_delete
// must: a merge that ran after its element pass could put a dead row's
// vector into the graph unflagged, and the heap may then reuse its TID.
// bulk_delete marks the elements whose heap tuples died (a flag, one
// generic-WAL record per page). Marked elements keep routing searches but
// are never returned or linked to. vacuum_cleanup then repairs and removes
// them (see hnsw_repair.cpp); in a VACUUM without bulk_delete (no dead heap
// rows) it runs only the reachability pass.
#include "hnsw_am.hpp"
#include "hnsw_storage.hpp"
#include "hnsw_pending.hpp"
#include "hnsw_repair.hpp"

extern "C" {
#include "commands/vacuum.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
}

namespace rushdb::pg::hnsw {

IndexBulkDeleteResult* bulk_delete(IndexVacuumInfo* info, IndexBulkDeleteResult* stats,
                                   IndexBulkDeleteCallback callback, void* callback_state) {
    if (stats == nullptr) stats = static_cast<IndexBulkDeleteResult*>(palloc0(sizeof(IndexBulkDeleteResult)));
    Relation index = info->index;
    MergeStats merged = pending_merge(index, index_params(index), 0, true, callback, callback_state);
    stats->tuples_removed += merged.dead;
    BlockNumber nblocks = RelationGetNumberOfBlocks(index);
    double live = 0;
    for (BlockNumber blk = 1; blk < nblocks; ++blk) {
        vacuum_delay_point();
        Buffer buf = ReadBufferExtended(index, MAIN_FORKNUM, blk, RBM_NORMAL, info->strategy);
        LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
        GenericXLogState* state = nullptr;
        Page wpage = nullptr;
        for_each_element_in_page(BufferGetPage(buf), [&](OffsetNumber off, ElementHeader* e) {
            if (e->flags & kFlagDeleted) return;
            if (callback(&e->heap_tid, callback_state)) {
                if (state == nullptr) {
                    state = GenericXLogStart(index);
                    wpage = GenericXLogRegisterBuffer(state, buf, 0);
                }
                element_in_page(wpage, off)->flags |= kFlagDeleted;
                stats->tuples_removed += 1;
            } else {
                live += 1;
            }
        });
        if (state) GenericXLogFinish(state);
        UnlockReleaseBuffer(buf);
    }
    // Element caches (hnsw_element_cache.hpp) made before these flags say
    // "live" for the flagged elements: a new epoch makes the next scans and
    // inserts start new ones. Every time, not only when this pass flagged
    // something: an earlier VACUUM that stopped halfway may have set flags
    // without the cleanup's bump.
    modify_meta(index, [](MetaPageData* meta) { ++meta->cache_epoch; });
    stats->num_index_tuples = live;
    stats->num_pages = nblocks;
    return stats;
}

IndexBulkDeleteResult* vacuum_cleanup(IndexVacuumInfo* info, IndexBulkDeleteResult* stats) {
    if (info->analyze_only) return stats;
    // PostgreSQL passes the stats bulk_delete returned, or NULL when it did
    // not call bulk_delete in this VACUUM (no dead heap rows).
    bool bulk_delete_ran = stats != nullptr;
    if (stats == nullptr) {
        stats = static_cast<IndexBulkDeleteResult*>(palloc0(sizeof(IndexBulkDeleteResult)));
    }
    pending_merge(info->index, index_params(info->index), 0, true, nullptr, nullptr);
    RepairStats r = repair_and_remove_deleted(info->index, info->strategy, bulk_delete_ran);
    stats->num_index_tuples = r.live_elements;
    stats->num_pages = RelationGetNumberOfBlocks(info->index);
    stats->pages_free = 0;
    return stats;
}

}  // namespace rushdb::pg::hnsw

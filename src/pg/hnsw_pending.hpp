// The pending list of a rushdb_hnsw index: where inserts land first.
//
// Inserting into the graph costs a search with ef_construction and rewrites
// of dozens of neighbour lists, one page and one WAL record at a time. An
// insert into the pending list is a single append of (heap TID, vector) to
// the list's tail page. Every index scan reads the whole list and measures
// each entry exactly (so a row is found from the moment its transaction
// commits, with recall 1 for the rows in the list), and merges those results
// with the graph's by distance. The list is merged into the graph a page at
// a time, oldest first, one merger at a time:
//   * by VACUUM (autovacuum included), which merges all of it;
//   * by a background worker that an insert starts when it finds the list
//     past a sixteenth of the index's pending_list_limit
//     (hnsw_merge_worker.cpp); past the limit itself writers slow to the
//     merges' pace, merging a page themselves whenever no merge runs, so
//     the list stays bounded;
//   * by rushdb.hnsw_merge_pending(index).
//
// Entry states: live, merged (already inserted into the graph; still returned
// from the list until its page leaves the list, scans skip its graph copy by
// heap TID) and dead (VACUUM found the heap row dead). A page leaves the list
// only after all its entries are merged, in one WAL record that also moves
// the list head and turns the page into an empty element page. A crash in a
// merge therefore loses nothing: an entry not yet flagged merged is merged
// again; if the crash came after its graph insert, the second insert sees
// the first (same heap TID at distance 0) and skips; scans drop graph results
// whose heap TID came from the list, so nothing is ever returned twice.
//
// Locking: one backend merges at a time, a page at a time: under the
// index's merge lock (a heavyweight lock of its own, taken per page) a merger
// unlinks fully merged pages from the head, merges the head page's entries
// into the graph (flagging each) and unlinks it. Side-by-side
// merges were tried and withdrawn (hnsw_pending.cpp, pending_merge). Buffer
// locks are taken in list order, and the metapage's last: appenders lock
// the tail page, then a new page, then the metapage; unlinking locks the
// head page, then the metapage. Scans lock one page at a time; a page that
// stopped being a pending page under a scan was merged, so the scan
// continues from the current head.
#pragma once

#include "hnsw_am.hpp"
#include "hnsw/metric.hpp"
#include "hnsw_storage.hpp"

extern "C" {
#include "access/genam.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
}

namespace rushdb::pg::hnsw {

constexpr uint8 kTuplePending = 3;
constexpr uint16 kPendingSealed = 0x0001;  // page flag: no more appends
constexpr uint8 kPendingMerged = 0x01;     // entry flag: in the graph too
constexpr uint8 kPendingDead = 0x02;       // entry flag: heap row removed by VACUUM

// Pending entry: header, then the prepared vector (normalised under cosine).
struct PendingHeader {
    uint8 kind;  // kTuplePending
    uint8 flags;
    uint16 unused;
    ItemPointerData heap_tid;
    uint16 unused2;
};
static_assert(sizeof(PendingHeader) == 12, "pending tuple layout");

// The entry at `off` of a locked pending page; nullptr for anything else.
inline PendingHeader* pending_entry_at(Page page, OffsetNumber off) {
    ItemId item = PageGetItemId(page, off);
    if (!ItemIdIsNormal(item) || ItemIdGetLength(item) < sizeof(PendingHeader)) return nullptr;
    auto* h = reinterpret_cast<PendingHeader*>(PageGetItem(page, item));
    return h->kind == kTuplePending ? h : nullptr;
}

// Bytes of an entry of `dims` floats.
inline std::size_t pending_entry_bytes(int dims) {
    return sizeof(PendingHeader) + sizeof(float) * static_cast<std::size_t>(dims);
}

// The entry at `off` if it is one scans and merges may read: a pending
// entry of exactly `bytes` (pending_entry_bytes of the index's dims).
// Anything else is only made by corruption; hnsw_verify reports it, and
// scans and merges pass over it alike (so no read runs past the item, and
// its page still leaves the list once the rest is merged).
inline PendingHeader* pending_entry_sized(Page page, OffsetNumber off, std::size_t bytes) {
    PendingHeader* h = pending_entry_at(page, off);
    return h != nullptr && ItemIdGetLength(PageGetItemId(page, off)) == bytes ? h : nullptr;
}

// Calls f(const PendingHeader*) for every entry of the list from `head`, one
// share-locked page at a time (f runs under the lock: it may only read and
// record; the vector follows the header). A page merged and recycled under
// the walk means every page before it left the list too (it shrinks from
// its head), so the walk goes on from the head as it is then. PostgreSQL
// style: f must leave no C++ object alive across a call that may raise.
template <class F>
void for_each_pending_entry(Relation index, BlockNumber head, int dims, F&& f) {
    std::size_t bytes = pending_entry_bytes(dims);
    BlockNumber blk = head;
    uint64 steps = 0;
    while (blk != 0) {
        CHECK_FOR_INTERRUPTS();
        // A list is acyclic and restarts are rare: a corrupt one must not
        // hang the walk. The bound costs an lseek, so it is checked only
        // every 1,024 pages.
        if (++steps % 1024 == 0 && steps > 2 * static_cast<uint64>(RelationGetNumberOfBlocks(index)) + 16)
            ereport(ERROR, (errcode(ERRCODE_INDEX_CORRUPTED),
                            errmsg("pending list of index \"%s\" does not end", RelationGetRelationName(index)),
                            errhint("REINDEX the index.")));
        Buffer buf = ReadBuffer(index, blk);
        LockBuffer(buf, BUFFER_LOCK_SHARE);
        Page page = BufferGetPage(buf);
        if (page_kind(page) != kPagePending) {
            UnlockReleaseBuffer(buf);
            MetaPageData meta;
            read_meta(index, &meta);
            blk = meta.pending_head;
            continue;
        }
        OffsetNumber max = PageGetMaxOffsetNumber(page);
        for (OffsetNumber off = FirstOffsetNumber; off <= max; ++off) {
            const PendingHeader* h = pending_entry_sized(page, off, bytes);
            if (h != nullptr) f(h);
        }
        BlockNumber next = reinterpret_cast<PageOpaque*>(PageGetSpecialPointer(page))->next;
        UnlockReleaseBuffer(buf);
        blk = next;
    }
}

// Default pending_list_limit in kB (GIN's gin_pending_list_limit default).
constexpr int kDefaultPendingLimitKb = 4096;

// True when an entry of `dims` floats fits a page (up to about 2,030 dims).
bool pending_fits(int dims);

// Appends one prepared vector to the list. The metapage's dims must already
// be set (the first vector of an index goes into the graph).
void pending_append(Relation index, const float* v, int dims, ItemPointerData heap_tid);

// Pages in the list now (a snapshot of the metapage's count).
uint32 pending_pages(Relation index);

// One entry found by a scan: graph distance to the query and heap TID.
struct PendingHit {
    float distance;
    ItemPointerData heap_tid;
};

// Reads every live or merged entry of the list from `head` (the
// metapage's, as the caller read it) and measures it against the prepared
// query `q`. Returns a palloc'd array (in the current memory context) of
// *count hits, unsorted.
PendingHit* pending_collect(Relation index, BlockNumber head, int dims, const rushdb::hnsw::GraphDistance& dist,
                            const float* q, int* count);

struct MergeStats {
    double merged = 0;  // entries inserted into the graph
    double dead = 0;    // entries dropped because their heap row is gone
    uint32 pages = 0;   // list pages this call merged
};

// Merges the list into the graph. `max_pages` bounds the pages merged
// (0 = the whole list as it is now, its tail sealed first: returns once all
// of it left the list, whoever merged it). When `wait` is false and another
// backend is merging, returns at once. `callback` (may be null) says
// whether a heap TID is dead (VACUUM's bulk-delete callback).
MergeStats pending_merge(Relation index, const IndexParams& params, uint32 max_pages, bool wait,
                         IndexBulkDeleteCallback callback, void* callback_state);

// After an append: starts the background merger (hnsw_merge_worker.cpp)
// when the list is past a sixteenth of the index's limit; past the limit the
// writer merges a page itself whenever no merge runs, or waits, until the
// list is back under the limit.
void pending_maybe_merge(Relation index, const IndexParams& params);

// Starts a background merge of `index`'s pending list unless one runs (or
// this backend registered one less than a second ago). False when none
// could be registered (no free slot, on a standby, or in a merge worker).
bool start_merge_worker(Relation index);

}  // namespace rushdb::pg::hnsw

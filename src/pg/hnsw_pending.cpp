// The pending list of a rushdb_hnsw index (see hnsw_pending.hpp for the
// design and the locking rules). Plain PostgreSQL-style code: no C++ object
// lives across a call that may raise.
#include "hnsw_pending.hpp"

#include <algorithm>
#include <cstring>

#include "hnsw_insert.hpp"

extern "C" {
#include "access/generic_xlog.h"
#include "commands/vacuum.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
}

namespace core = rushdb::hnsw;

namespace rushdb::pg::hnsw {
namespace {

// The heavyweight lock that admits one merger per index (taken per page).
// It is a page lock on a block number no page will
// have (the index would be 32 TB), so it conflicts with nothing but other
// mergers.
constexpr BlockNumber kMergeLockBlock = 0xFFFFFFFEu;

std::size_t entry_size(int dims) { return pending_entry_bytes(dims); }

PageOpaque* opaque_of(Page page) { return reinterpret_cast<PageOpaque*>(PageGetSpecialPointer(page)); }

void fill_entry(char* dst, const float* v, int dims, ItemPointerData heap_tid) {
    auto* h = reinterpret_cast<PendingHeader*>(dst);
    std::memset(h, 0, sizeof(PendingHeader));
    h->kind = kTuplePending;
    h->heap_tid = heap_tid;
    std::memcpy(dst + sizeof(PendingHeader), v, sizeof(float) * static_cast<std::size_t>(dims));
}

void add_entry(Page page, const char* data, std::size_t size) {
    if (PageAddItem(page, const_cast<char*>(data), size, InvalidOffsetNumber, false, false) == InvalidOffsetNumber)
        elog(ERROR, "rushdb_hnsw: pending entry of %zu bytes does not fit a new page", size);
}

}  // namespace

bool pending_fits(int dims) { return entry_size(dims) <= kMaxTupleSize; }

uint32 pending_pages(Relation index) {
    MetaPageData meta;
    read_meta(index, &meta);
    return meta.pending_pages;
}

void pending_append(Relation index, const float* v, int dims, ItemPointerData heap_tid) {
    std::size_t size = entry_size(dims);
    char* data = static_cast<char*>(palloc(size));
    fill_entry(data, v, dims, heap_tid);
    for (;;) {
        CHECK_FOR_INTERRUPTS();
        MetaPageData meta;
        read_meta(index, &meta);
        if (meta.pending_tail == 0) {
            // An empty list: start it (metapage first; the new page is
            // known to nobody else, so this order cannot deadlock).
            Buffer mbuf = ReadBuffer(index, kMetaBlock);
            LockBuffer(mbuf, BUFFER_LOCK_EXCLUSIVE);
            if (meta_of(BufferGetPage(mbuf))->pending_tail != 0) {
                UnlockReleaseBuffer(mbuf);
                continue;  // another appender started it
            }
            Buffer buf = extend_index(index);
            GenericXLogState* state = GenericXLogStart(index);
            Page mpage = GenericXLogRegisterBuffer(state, mbuf, 0);
            Page page = GenericXLogRegisterBuffer(state, buf, GENERIC_XLOG_FULL_IMAGE);
            init_page(page, kPagePending);
            add_entry(page, data, size);
            MetaPageData* m = meta_for_write(mpage);
            m->pending_head = m->pending_tail = BufferGetBlockNumber(buf);
            m->pending_pages = 1;
            GenericXLogFinish(state);
            UnlockReleaseBuffer(buf);
            UnlockReleaseBuffer(mbuf);
            break;
        }
        Buffer tbuf = ReadBuffer(index, meta.pending_tail);
        LockBuffer(tbuf, BUFFER_LOCK_EXCLUSIVE);
        Page tpage = BufferGetPage(tbuf);
        if (page_kind(tpage) != kPagePending || opaque_of(tpage)->next != 0) {
            UnlockReleaseBuffer(tbuf);  // no longer the tail: look again
            continue;
        }
        if (!(opaque_of(tpage)->flags & kPendingSealed) && PageGetFreeSpace(tpage) >= MAXALIGN(size)) {
            GenericXLogState* state = GenericXLogStart(index);
            Page page = GenericXLogRegisterBuffer(state, tbuf, 0);
            add_entry(page, data, size);
            GenericXLogFinish(state);
            UnlockReleaseBuffer(tbuf);
            break;
        }
        // The tail is full or sealed: a new tail (lock order: tail, new
        // page, metapage). Nobody unlinks the tail while we hold it.
        Buffer nbuf = extend_index(index);
        Buffer mbuf = ReadBuffer(index, kMetaBlock);
        LockBuffer(mbuf, BUFFER_LOCK_EXCLUSIVE);
        GenericXLogState* state = GenericXLogStart(index);
        Page wtail = GenericXLogRegisterBuffer(state, tbuf, 0);
        Page npage = GenericXLogRegisterBuffer(state, nbuf, GENERIC_XLOG_FULL_IMAGE);
        Page mpage = GenericXLogRegisterBuffer(state, mbuf, 0);
        init_page(npage, kPagePending);
        add_entry(npage, data, size);
        opaque_of(wtail)->next = BufferGetBlockNumber(nbuf);
        MetaPageData* m = meta_for_write(mpage);
        m->pending_tail = BufferGetBlockNumber(nbuf);
        m->pending_pages += 1;
        GenericXLogFinish(state);
        UnlockReleaseBuffer(mbuf);
        UnlockReleaseBuffer(nbuf);
        UnlockReleaseBuffer(tbuf);
        break;
    }
    pfree(data);
}

PendingHit* pending_collect(Relation index, BlockNumber head, int dims, const core::GraphDistance& dist, const float* q,
                            int* count) {
    int capacity = 64, n = 0;
    auto* hits = static_cast<PendingHit*>(palloc(sizeof(PendingHit) * capacity));
    for_each_pending_entry(index, head, dims, [&](const PendingHeader* h) {
        if (h->flags & kPendingDead) return;
        if (n == capacity) {
            capacity *= 2;
            hits = static_cast<PendingHit*>(repalloc(hits, sizeof(PendingHit) * capacity));
        }
        const auto* v = reinterpret_cast<const float*>(reinterpret_cast<const char*>(h) + sizeof(PendingHeader));
        hits[n].distance = dist(q, v, static_cast<std::size_t>(dims));
        hits[n].heap_tid = h->heap_tid;
        ++n;
    });
    *count = n;
    return hits;
}

namespace {

// Seals the list's tail so the next append starts a new page, making every
// page now in the list immutable (but for entry flags).
void seal_tail(Relation index) {
    for (;;) {
        CHECK_FOR_INTERRUPTS();
        MetaPageData meta;
        read_meta(index, &meta);
        if (meta.pending_tail == 0) return;
        Buffer buf = ReadBuffer(index, meta.pending_tail);
        LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
        Page page = BufferGetPage(buf);
        if (page_kind(page) != kPagePending || opaque_of(page)->next != 0) {
            UnlockReleaseBuffer(buf);
            continue;
        }
        if (!(opaque_of(page)->flags & kPendingSealed)) {
            GenericXLogState* state = GenericXLogStart(index);
            Page wpage = GenericXLogRegisterBuffer(state, buf, 0);
            opaque_of(wpage)->flags |= kPendingSealed;
            GenericXLogFinish(state);
        }
        UnlockReleaseBuffer(buf);
        return;
    }
}

void flag_entry(Relation index, BlockNumber blk, OffsetNumber off, uint8 flag) {
    Buffer buf = ReadBuffer(index, blk);
    LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
    GenericXLogState* state = GenericXLogStart(index);
    Page page = GenericXLogRegisterBuffer(state, buf, 0);
    PendingHeader* h = pending_entry_at(page, off);
    if (h != nullptr) h->flags |= flag;
    GenericXLogFinish(state);
    UnlockReleaseBuffer(buf);
}

// What a merger needs to know of a list page (read under a share lock).
enum class ListPage {
    gone,      // no longer a pending page (it left the list)
    filling,   // the unsealed tail: appends still land here
    unmerged,  // immutable, with entries still to merge
    merged,    // immutable, every entry merged or dead: ready to leave
};

ListPage list_page_state(Relation index, BlockNumber blk, int dims, BlockNumber* next) {
    std::size_t size = entry_size(dims);
    Buffer buf = ReadBuffer(index, blk);
    LockBuffer(buf, BUFFER_LOCK_SHARE);
    Page page = BufferGetPage(buf);
    ListPage state = ListPage::gone;
    *next = 0;
    if (page_kind(page) == kPagePending) {
        PageOpaque* op = opaque_of(page);
        *next = op->next;
        if (op->next == 0 && !(op->flags & kPendingSealed)) {
            state = ListPage::filling;
        } else {
            state = ListPage::merged;
            OffsetNumber max = PageGetMaxOffsetNumber(page);
            for (OffsetNumber off = FirstOffsetNumber; off <= max; ++off) {
                PendingHeader* h = pending_entry_sized(page, off, size);
                if (h != nullptr && !(h->flags & (kPendingMerged | kPendingDead))) {
                    state = ListPage::unmerged;
                    break;
                }
            }
        }
    }
    UnlockReleaseBuffer(buf);
    return state;
}

// Merges every entry of the immutable list page `blk` (under the merge
// lock). False when there was nothing left to merge.
bool merge_page(Relation index, const IndexParams& params, BlockNumber blk, int dims, IndexBulkDeleteCallback callback,
                void* callback_state, MergeStats* stats) {
    std::size_t size = entry_size(dims);
    Buffer buf = ReadBuffer(index, blk);
    LockBuffer(buf, BUFFER_LOCK_SHARE);
    Page page = BufferGetPage(buf);
    // Copy the page out: graph inserts lock other pages.
    OffsetNumber max = PageGetMaxOffsetNumber(page);
    char* copy = static_cast<char*>(palloc(size * (max + 1)));
    OffsetNumber n = 0;
    auto* offsets = static_cast<OffsetNumber*>(palloc(sizeof(OffsetNumber) * (max + 1)));
    for (OffsetNumber off = FirstOffsetNumber; page_kind(page) == kPagePending && off <= max; ++off) {
        PendingHeader* h = pending_entry_sized(page, off, size);
        if (h == nullptr) continue;
        std::memcpy(copy + size * n, h, size);
        offsets[n++] = off;
    }
    UnlockReleaseBuffer(buf);

    bool worked = false;
    for (OffsetNumber i = 0; i < n; ++i) {
        CHECK_FOR_INTERRUPTS();
        auto* h = reinterpret_cast<PendingHeader*>(copy + size * i);
        if (h->flags & (kPendingMerged | kPendingDead)) continue;
        worked = true;
        if (callback != nullptr && callback(&h->heap_tid, callback_state)) {
            flag_entry(index, blk, offsets[i], kPendingDead);
            stats->dead += 1;
            continue;
        }
        const auto* v = reinterpret_cast<const float*>(copy + size * i + sizeof(PendingHeader));
        insert_vector(index, v, dims, &h->heap_tid, params, /*from_pending=*/true);
        flag_entry(index, blk, offsets[i], kPendingMerged);
        stats->merged += 1;
    }
    pfree(copy);
    pfree(offsets);
    if (worked) stats->pages += 1;
    return worked;
}

// Under the merge lock: unlinks list pages from the head while the head is
// fully merged (page, then metapage, in one WAL record that also turns the
// page into an empty element page, offered to the next element insert).
// Afterwards the head, if any, is a page still to merge or the one filling.
void unlink_merged_heads(Relation index, int dims) {
    for (;;) {
        MetaPageData meta;
        read_meta(index, &meta);
        BlockNumber blk = meta.pending_head, next;
        if (blk == 0 || list_page_state(index, blk, dims, &next) != ListPage::merged) return;
        Buffer buf = ReadBuffer(index, blk);
        LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
        Buffer mbuf = ReadBuffer(index, kMetaBlock);
        LockBuffer(mbuf, BUFFER_LOCK_EXCLUSIVE);
        GenericXLogState* state = GenericXLogStart(index);
        Page wpage = GenericXLogRegisterBuffer(state, buf, GENERIC_XLOG_FULL_IMAGE);
        Page mpage = GenericXLogRegisterBuffer(state, mbuf, 0);
        MetaPageData* m = meta_for_write(mpage);
        next = opaque_of(wpage)->next;
        m->pending_head = next;
        if (next == 0) m->pending_tail = 0;
        if (m->pending_pages > 0) m->pending_pages -= 1;
        init_page(wpage, kPageElements);
        m->insert_page = blk;
        GenericXLogFinish(state);
        UnlockReleaseBuffer(mbuf);
        UnlockReleaseBuffer(buf);
    }
}

// True while block `blk` is a page of the pending list. A page that left the
// list never becomes a pending page again (new ones come from extending the
// index), so once this is false, every page before it has left too.
bool still_pending(Relation index, BlockNumber blk) {
    Buffer buf = ReadBuffer(index, blk);
    LockBuffer(buf, BUFFER_LOCK_SHARE);
    bool pending = page_kind(BufferGetPage(buf)) == kPagePending;
    UnlockReleaseBuffer(buf);
    return pending;
}

}  // namespace

MergeStats pending_merge(Relation index, const IndexParams& params, uint32 max_pages, bool wait,
                         IndexBulkDeleteCallback callback, void* callback_state) {
    MergeStats stats;
    BlockNumber stop = 0;  // a whole-list merge: the tail it sealed
    MetaPageData start;
    read_meta(index, &start);
    if (start.pending_head == 0) return stats;
    // Fixed for good before the list's first entry (the first vector goes
    // into the graph).
    int dims = static_cast<int>(start.dims);
    if (max_pages == 0) {
        seal_tail(index);
        MetaPageData meta;
        read_meta(index, &meta);
        stop = meta.pending_tail;
        if (stop == 0) return stats;  // merged away meanwhile
    }
    // One merger at a time: the merge lock is held across a page's graph
    // inserts, taken per page, so a long merge (VACUUM's) and the worker
    // and writers take turns page by page. Merging pages side by side
    // (the merge lock only to claim a page and to unlink) was built and
    // measured (a writer past the limit beside the worker: 1,210 -> 2,284
    // rows/s) and withdrawn: concurrent graph inserts can each drop a link
    // into the same element, each counting on the other's, and TAP 005 (d)
    // then found 4 of 7,974 elements unreachable. Only a merger unlinks, so
    // the page being merged stays in the list under the merge lock.
    for (;;) {
        if (max_pages != 0 && stats.pages >= max_pages) break;
        vacuum_delay_point();  // VACUUM's cost-based delay; interrupts
        if (wait) {
            LockPage(index, kMergeLockBlock, ExclusiveLock);
        } else if (!ConditionalLockPage(index, kMergeLockBlock, ExclusiveLock)) {
            break;
        }
        unlink_merged_heads(index, dims);
        bool done = stop != 0 && !still_pending(index, stop);
        bool merged = false;
        if (!done) {
            MetaPageData meta;
            read_meta(index, &meta);
            BlockNumber head = meta.pending_head, next;
            if (head != 0 && list_page_state(index, head, dims, &next) == ListPage::unmerged) {
                merged = merge_page(index, params, head, dims, callback, callback_state, &stats);
                unlink_merged_heads(index, dims);
            }
        }
        UnlockPage(index, kMergeLockBlock, ExclusiveLock);
        if (done || !merged) break;
    }
    return stats;
}

void pending_maybe_merge(Relation index, const IndexParams& params) {
    uint64 limit_pages = static_cast<uint64>(params.pending_list_limit_kb) * 1024 / BLCKSZ;
    if (limit_pages < 1) limit_pages = 1;
    uint32 pages = pending_pages(index);
    // From a sixteenth of the limit (at least two pages) a background worker
    // merges while writers go on, so the list searches read stays small
    // between bursts.
    if (pages < std::max<uint64>(2, limit_pages / 16)) return;
    start_merge_worker(index);
    // Past the limit the merges are not keeping up (or no worker could
    // start): the writer merges a page itself whenever no merge runs, else
    // sleeps and looks again until the list is back under the limit. So
    // writers make progress with or without a worker, and the list stays
    // bounded.
    while (pages > limit_pages) {
        if (pending_merge(index, params, 1, false, nullptr, nullptr).pages > 0) return;
        CHECK_FOR_INTERRUPTS();
        pg_usleep(1000L);
        pages = pending_pages(index);
    }
}

}  // namespace rushdb::pg::hnsw

// Reading and writing a rushdb_hnsw index through the buffer manager: the
// primitives build, insert, scan, VACUUM, repair, the pending list and
// verify share. hnsw_page.hpp says what a page holds (layout, in-page
// accessors, no buffer I/O); this unit pins, locks and WAL-logs pages:
//
//   metapage        read_meta, modify_meta
//   new pages       extend_index, append_built_page (CREATE INDEX only)
//   tuples          place_tuple (an element or chunk on a page with room)
//   vector chunks   write_vector_chunks, read_chunked_vector,
//                   delete_vector_chunks
//   element pages   for_each_element (every element, page by page)
//   neighbour lists read_links, write_links, write_links_pair, and the two
//                   helpers their callers loop with: links_contain and
//                   retry_on_change (optimistic rewrites)
//
// Functions taking a Relation raise PostgreSQL errors: from C++ code (inside
// guarded()) call them through pg_call, as read_links and the write_links
// functions do themselves.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "boundary.hpp"
#include "hnsw_page.hpp"

extern "C" {
#include "commands/vacuum.h"
}

namespace rushdb::pg::hnsw {

// An element's packed TID (pack_tid); the same type as PageGraph::Id.
using Id = std::uint64_t;

// A new page at the end of the index, pinned and exclusively locked (the
// extension lock serialises concurrent extenders; it is held only while the
// page is added, never while waiting for a content lock).
Buffer extend_index(Relation index);

// Adds the finished page image `image` as block `expected` of an index
// being built (not WAL-logged here: the build logs every page at the end).
void append_built_page(Relation index, const char* image, BlockNumber expected);

// Reads the metapage into `out` (share lock held only during the copy).
void read_meta(Relation index, MetaPageData* out);

// Changes the metapage alone in one WAL record: f(meta) runs under its
// exclusive lock. (Changes that must land with other pages in the same
// record, such as the pending list's, register the metapage themselves.)
// Plain PostgreSQL code: call it inside pg_call from C++.
template <class F>
void modify_meta(Relation index, F&& f) {
    Buffer buf = ReadBuffer(index, kMetaBlock);
    LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
    GenericXLogState* state = GenericXLogStart(index);
    f(meta_for_write(GenericXLogRegisterBuffer(state, buf, 0)));
    GenericXLogFinish(state);
    UnlockReleaseBuffer(buf);
}

// Adds `size` bytes of `data` to a page of `kind` with room, starting at the
// metapage hint `hint`; extends the index when none has room. WAL-logged.
ItemPointerData place_tuple(Relation index, uint16 kind, const char* data, std::size_t size, BlockNumber hint,
                            BlockNumber* used_block);

// Writes a vector's chunks (last first, so each knows its successor) with
// place_tuple from the chunk-page hint `*hint` (updated to the page last
// used) and returns the first chunk's TID.
ItemPointerData write_vector_chunks(Relation index, const float* v, int dims, BlockNumber* hint);

// Copies a vector stored in chunks (starting at `first`) into `out`
// (dims floats). Takes and releases share locks one page at a time.
// Returns false when the chain is broken (element removed concurrently).
bool read_chunked_vector(Relation index, ItemPointerData first, float* out, int dims);

// Removes the chunk chain starting at `first` (of an element VACUUM
// removed), one WAL record per chunk, following `next` before each delete.
void delete_vector_chunks(Relation index, ItemPointerData first, BufferAccessStrategy strategy);

// Calls f(offset, element) for every element tuple on element page `page`
// (which the caller has locked); nothing on pages of other kinds.
template <class F>
void for_each_element_in_page(Page page, F&& f) {
    if (page_kind(page) != kPageElements) return;
    OffsetNumber max = PageGetMaxOffsetNumber(page);
    for (OffsetNumber off = FirstOffsetNumber; off <= max; ++off) {
        ElementHeader* e = element_in_page(page, off);
        if (e != nullptr) f(off, e);
    }
}

inline Id element_id(BlockNumber blk, OffsetNumber off) {
    ItemPointerData tid;
    ItemPointerSet(&tid, blk, off);
    return pack_tid(tid);
}

// Calls f(blk, buffer, page) for every page after the metapage, each pinned
// and locked in `lock_mode` while f runs, with a vacuum delay point between
// pages. Call from C++ code: the page reads go through pg_call, so f runs
// inside PG_TRY and must not hold live C++ objects across an ereport.
template <class F>
void for_each_page(Relation index, BufferAccessStrategy strategy, int lock_mode, F&& f) {
    BlockNumber nblocks = pg_call([&] { return RelationGetNumberOfBlocks(index); });
    for (BlockNumber blk = 1; blk < nblocks; ++blk) {
        pg_call([&] {
            vacuum_delay_point();
            Buffer buf = ReadBufferExtended(index, MAIN_FORKNUM, blk, RBM_NORMAL, strategy);
            LockBuffer(buf, lock_mode);
            f(blk, buf, BufferGetPage(buf));
            UnlockReleaseBuffer(buf);
        });
    }
}

// Calls f(id, element) for every element tuple, one share-locked page at a
// time (f runs under the page's lock: it must only read and record).
template <class F>
void for_each_element(Relation index, BufferAccessStrategy strategy, F&& f) {
    for_each_page(index, strategy, BUFFER_LOCK_SHARE, [&](BlockNumber blk, Buffer, Page page) {
        for_each_element_in_page(page, [&](OffsetNumber off, ElementHeader* e) { f(element_id(blk, off), e); });
    });
}

// Copies the links of `target` on `level`; false when the element is gone.
bool read_links(Relation index, const ElementLayout& layout, Id target, int level, std::vector<ItemPointerData>& out);

enum class LinkWrite { written, changed, gone };

// Replaces target's list on `level` with `links` if it still equals
// `expected` (optimistic concurrency: the caller recomputes on `changed`).
LinkWrite write_links(Relation index, const ElementLayout& layout, Id target, int level,
                      const std::vector<ItemPointerData>& expected, const ItemPointerData* links, int count);

// Rewrites a's and b's lists on `level` in one WAL record, only if both
// still equal their expected values (`changed` otherwise; `gone` if either
// element is). a and b may share a page.
LinkWrite write_links_pair(Relation index, const ElementLayout& layout, int level, Id a,
                           const std::vector<ItemPointerData>& a_expected, const std::vector<ItemPointerData>& a_links,
                           Id b, const std::vector<ItemPointerData>& b_expected,
                           const std::vector<ItemPointerData>& b_links);

// Whether the neighbour list `links` (as read_links copies it) holds `id`.
inline bool links_contain(const std::vector<ItemPointerData>& links, Id id) {
    for (const auto& t : links)
        if (pack_tid(t) == id) return true;
    return false;
}

// How often a list rewrite is recomputed when a concurrent writer changed
// the list between the read and the write (write_links said `changed`).
constexpr int kRewriteAttempts = 5;

// The optimistic rewrite loop: calls `attempt` (read the list, compute, try
// the write) until it returns an answer, at most kRewriteAttempts times;
// std::nullopt from it means "the list changed under me, recompute". After
// the last attempt the answer is false (the rewrite was not made).
template <class F>
bool retry_on_change(F&& attempt) {
    for (int i = 0; i < kRewriteAttempts; ++i) {
        std::optional<bool> done = attempt();
        if (done.has_value()) return *done;
    }
    return false;
}

}  // namespace rushdb::pg::hnsw

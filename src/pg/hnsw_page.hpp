// On-disk layout of a rushdb_hnsw index (see docs/hnsw.md for the why), and
// helpers over a page in hand; hnsw_storage.hpp reads and writes pages.
//
//   block 0            metapage: parameters, dimensions, entry point
//   element pages      one tuple per indexed vector: heap TID, level, the
//                      neighbour lists of every layer, and the vector itself
//                      when the whole tuple fits a page
//   chunk pages        vectors too large to sit inline (about 1,950+ dims at
//                      m=16, up to 16,000): a chain of chunk tuples of up to
//                      2,038 floats each, packed into shared pages
//   pending pages      the pending list: rows inserted since the last merge,
//                      appended without a graph search and scanned exactly
//                      by every search (hnsw_pending.hpp)
//
// An element and its neighbour lists are one tuple, so updating a link is a
// fixed-size in-place write to one page (one generic-WAL record), and reading
// a node for the search costs one buffer access when its vector is inline.
// Links are 6-byte TIDs of element tuples.
#pragma once

#include "pg_prelude.hpp"

extern "C" {
#include "access/generic_xlog.h"
#include "storage/bufmgr.h"
#include "storage/bufpage.h"
#include "storage/itemptr.h"
#include "utils/rel.h"
}

namespace rushdb::pg::hnsw {

constexpr uint32 kMagic = 0x52484e57;  // "RHNW"
constexpr uint32 kVersion = 1;
constexpr BlockNumber kMetaBlock = 0;

// Page kinds, kept in each page's special space.
constexpr uint16 kPageMeta = 1;
constexpr uint16 kPageElements = 2;
constexpr uint16 kPageChunks = 3;
constexpr uint16 kPagePending = 4;

struct PageOpaque {
    uint16 kind;
    uint16 flags;  // pending pages: kPendingSealed
    uint32 next;   // pending pages: the next page of the list, 0 at the end
};

struct MetaPageData {
    uint32 magic;
    uint32 version;
    uint32 dims;  // 0 until the first vector is indexed
    uint16 m;
    uint16 ef_construction;
    uint8 metric;  // rushdb::hnsw::Metric
    uint8 unused[3];
    ItemPointerData entry;    // invalid when the index is empty
    int16 entry_level;        // -1 when empty
    BlockNumber insert_page;  // element page that last had room (a hint)
    BlockNumber chunk_page;   // chunk page that last had room (a hint)
    uint64 element_count;     // elements written (including deleted ones)
    // The pending list (0 = none: block 0 is this page). Indexes written
    // before the list existed have zeros here, which reads as "empty".
    BlockNumber pending_head;
    BlockNumber pending_tail;
    uint32 pending_pages;
    // Changes (in WAL) before VACUUM removes any element, so caches of
    // element contents kept across scans know when a slot may have become
    // another element (hnsw_element_cache.hpp). Random at build, so an index
    // built again under the same relfilenode does not inherit a cache.
    uint32 cache_epoch;
};

// Tuple kinds.
constexpr uint8 kTupleElement = 1;
constexpr uint8 kTupleChunk = 2;

constexpr uint8 kFlagDeleted = 0x01;

// Element tuple header; followed by
//   uint8 counts[level + 1]        links used per layer (padded to 4 bytes)
//   ItemPointerData links[...]     layer 0: 2m slots, layers 1..level: m each
//                                  (padded to 4 bytes)
//   float vector[dims]             only when vector_inline
struct ElementHeader {
    uint8 kind;  // kTupleElement
    uint8 level;
    uint8 flags;  // kFlagDeleted
    uint8 vector_inline;
    ItemPointerData heap_tid;
    ItemPointerData first_chunk;  // vector chain when not inline
};
static_assert(sizeof(ElementHeader) == 16, "element header layout");

// Chunk tuple: part of a large vector.
struct ChunkHeader {
    uint8 kind;  // kTupleChunk
    uint8 unused;
    uint16 count;          // floats in this chunk
    ItemPointerData next;  // next chunk, invalid at the end
    uint16 unused2;
};
static_assert(sizeof(ChunkHeader) == 12, "chunk header layout");

inline std::size_t align4(std::size_t n) { return (n + 3) & ~static_cast<std::size_t>(3); }

// Largest tuple PageAddItem accepts on our pages (special space included).
constexpr std::size_t kPageUsable = BLCKSZ - MAXALIGN(SizeOfPageHeaderData) - MAXALIGN(sizeof(PageOpaque));
constexpr std::size_t kMaxTupleSize = (kPageUsable - sizeof(ItemIdData)) & ~(MAXIMUM_ALIGNOF - 1);
constexpr std::size_t kChunkMaxFloats = (kMaxTupleSize - sizeof(ChunkHeader)) / sizeof(float);

// Floats in the next chunk of a vector with `remaining` floats still to
// store: chunks are full but for the last.
inline int chunk_floats(int remaining) {
    return remaining < static_cast<int>(kChunkMaxFloats) ? remaining : static_cast<int>(kChunkMaxFloats);
}

// Geometry of an element tuple for given parameters.
struct ElementLayout {
    int m;
    int dims;

    int slots(int level) const { return 2 * m + level * m; }
    int slot_offset(int layer) const { return layer == 0 ? 0 : 2 * m + (layer - 1) * m; }
    int max_links(int layer) const { return layer == 0 ? 2 * m : m; }
    std::size_t counts_offset() const { return sizeof(ElementHeader); }
    std::size_t links_offset(int level) const {
        return align4(sizeof(ElementHeader) + static_cast<std::size_t>(level) + 1);
    }
    std::size_t vector_offset(int level) const {
        return align4(links_offset(level) + sizeof(ItemPointerData) * slots(level));
    }
    std::size_t size_without_vector(int level) const { return vector_offset(level); }
    std::size_t size_with_vector(int level) const {
        return vector_offset(level) + sizeof(float) * static_cast<std::size_t>(dims);
    }
    // A vector lives inline when the whole tuple fits a page; decided per
    // element (taller elements carry more link slots) and recorded in it.
    bool vector_inline(int level) const { return size_with_vector(level) <= kMaxTupleSize; }
    std::size_t tuple_size(int level) const {
        return vector_inline(level) ? size_with_vector(level) : size_without_vector(level);
    }
};

// Accessors over an element tuple in a page.
struct ElementView {
    ElementHeader* header;
    const ElementLayout* layout;

    uint8* counts() const { return reinterpret_cast<uint8*>(header) + layout->counts_offset(); }
    ItemPointerData* links(int layer) const {
        auto* base =
            reinterpret_cast<ItemPointerData*>(reinterpret_cast<char*>(header) + layout->links_offset(header->level));
        return base + layout->slot_offset(layer);
    }
    float* vector() const {
        return reinterpret_cast<float*>(reinterpret_cast<char*>(header) + layout->vector_offset(header->level));
    }
    bool deleted() const { return (header->flags & kFlagDeleted) != 0; }
};

// Packs a TID into 64 bits (search ids, hash keys) and back.
inline uint64 pack_tid(const ItemPointerData& t) {
    return (static_cast<uint64>(ItemPointerGetBlockNumberNoCheck(&t)) << 16) | ItemPointerGetOffsetNumberNoCheck(&t);
}
inline ItemPointerData unpack_tid(uint64 v) {
    ItemPointerData t;
    ItemPointerSet(&t, static_cast<BlockNumber>(v >> 16), static_cast<OffsetNumber>(v & 0xFFFF));
    return t;
}

// Page helpers (hnsw_page.cpp), on a page already locked or being built.
void init_page(Page page, uint16 kind);
uint16 page_kind(Page page);
MetaPageData* meta_of(Page page);
// meta_of for a page about to be changed: also moves pd_lower past the
// struct, which a metapage written by an older build (a shorter struct)
// would otherwise leave in the page's hole, where generic WAL ignores it.
MetaPageData* meta_for_write(Page page);
void init_meta_page(Page page, int m, int ef_construction, uint8 metric);

// Locates element `tid` in a locked page; nullptr when the item is gone or
// is not an element (it may have been removed by VACUUM).
ElementHeader* element_in_page(Page page, OffsetNumber offset);

// The hot-path variant for search: the TID's block is known not to be the
// metapage, so the page's kind (a cache line at the far end of the page) is
// not read; the tuple's own kind byte rejects anything but an element.
inline ElementHeader* element_at(Page page, BlockNumber block, OffsetNumber offset) {
    if (block == kMetaBlock || offset < FirstOffsetNumber || offset > PageGetMaxOffsetNumber(page)) return nullptr;
    ItemId item = PageGetItemId(page, offset);
    if (!ItemIdIsNormal(item) || ItemIdGetLength(item) < sizeof(ElementHeader)) return nullptr;
    auto* e = reinterpret_cast<ElementHeader*>(PageGetItem(page, item));
    return e->kind == kTupleElement ? e : nullptr;
}

}  // namespace rushdb::pg::hnsw

namespace rushdb::pg::hnsw {

// Writes an element tuple with empty neighbour lists into `dst` (which must
// hold layout.tuple_size(level) bytes). `vec` is copied when the vector is
// inline; otherwise `first_chunk` points at its chain.
void fill_element(char* dst, const ElementLayout& layout, int level, ItemPointerData heap_tid,
                  ItemPointerData first_chunk, const float* vec);

// Tracks the free space of a page being filled exactly as PageAddItem
// will, so tuple locations can be computed before any page is written.
struct PagePacker {
    std::size_t lower = SizeOfPageHeaderData;
    std::size_t upper = BLCKSZ - MAXALIGN(sizeof(PageOpaque));
    OffsetNumber next = FirstOffsetNumber;

    bool fits(std::size_t size) const { return lower + sizeof(ItemIdData) + MAXALIGN(size) <= upper; }
    OffsetNumber add(std::size_t size) {
        lower += sizeof(ItemIdData);
        upper -= MAXALIGN(size);
        return next++;
    }
};

}  // namespace rushdb::pg::hnsw

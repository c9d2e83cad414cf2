// In-page helpers shared by build, insert, scan, vacuum and verify: they
// work on a page already in hand (locked, or an image being built); reading
// and writing pages through the buffer manager is hnsw_storage.cpp.
#include "hnsw_page.hpp"

extern "C" {
#include "common/pg_prng.h"
}

namespace rushdb::pg::hnsw {

void init_page(Page page, uint16 kind) {
    PageInit(page, BLCKSZ, sizeof(PageOpaque));
    auto* opaque = reinterpret_cast<PageOpaque*>(PageGetSpecialPointer(page));
    opaque->kind = kind;
    opaque->flags = 0;
    opaque->next = 0;
}

uint16 page_kind(Page page) {
    if (PageIsNew(page) || PageGetSpecialSize(page) != MAXALIGN(sizeof(PageOpaque))) return 0;
    return reinterpret_cast<PageOpaque*>(PageGetSpecialPointer(page))->kind;
}

MetaPageData* meta_of(Page page) { return reinterpret_cast<MetaPageData*>(PageGetContents(page)); }

MetaPageData* meta_for_write(Page page) {
    MetaPageData* meta = meta_of(page);
    auto end = static_cast<LocationIndex>(reinterpret_cast<char*>(meta + 1) - reinterpret_cast<char*>(page));
    auto* header = reinterpret_cast<PageHeader>(page);
    if (header->pd_lower < end) header->pd_lower = end;
    return meta;
}

void init_meta_page(Page page, int m, int ef_construction, uint8 metric) {
    init_page(page, kPageMeta);
    MetaPageData* meta = meta_of(page);
    std::memset(meta, 0, sizeof(MetaPageData));
    meta->magic = kMagic;
    meta->version = kVersion;
    meta->dims = 0;
    meta->m = static_cast<uint16>(m);
    meta->ef_construction = static_cast<uint16>(ef_construction);
    meta->metric = metric;
    ItemPointerSetInvalid(&meta->entry);
    meta->entry_level = -1;
    meta->insert_page = InvalidBlockNumber;
    meta->chunk_page = InvalidBlockNumber;
    meta->element_count = 0;
    // A fresh epoch per build: a backend's element cache made for an
    // earlier index under the same relfilenode never matches.
    meta->cache_epoch = pg_prng_uint32(&pg_global_prng_state);
    // pd_lower past the struct so the contents survive full-page images.
    reinterpret_cast<PageHeader>(page)->pd_lower =
        static_cast<LocationIndex>(reinterpret_cast<char*>(meta + 1) - reinterpret_cast<char*>(page));
}

ElementHeader* element_in_page(Page page, OffsetNumber offset) {
    if (page_kind(page) != kPageElements) return nullptr;
    if (offset < FirstOffsetNumber || offset > PageGetMaxOffsetNumber(page)) return nullptr;
    ItemId item = PageGetItemId(page, offset);
    if (!ItemIdIsNormal(item) || ItemIdGetLength(item) < sizeof(ElementHeader)) return nullptr;
    auto* e = reinterpret_cast<ElementHeader*>(PageGetItem(page, item));
    return e->kind == kTupleElement ? e : nullptr;
}

}  // namespace rushdb::pg::hnsw

namespace rushdb::pg::hnsw {

void fill_element(char* dst, const ElementLayout& layout, int level, ItemPointerData heap_tid,
                  ItemPointerData first_chunk, const float* vec) {
    std::size_t size = layout.tuple_size(level);
    std::memset(dst, 0, size);
    auto* h = reinterpret_cast<ElementHeader*>(dst);
    h->kind = kTupleElement;
    h->level = static_cast<uint8>(level);
    h->flags = 0;
    h->vector_inline = layout.vector_inline(level) ? 1 : 0;
    h->heap_tid = heap_tid;
    h->first_chunk = first_chunk;
    ElementView view{h, &layout};
    for (int s = 0; s < layout.slots(level); ++s) ItemPointerSetInvalid(&view.links(0)[s]);
    if (h->vector_inline) std::memcpy(view.vector(), vec, sizeof(float) * layout.dims);
}

}  // namespace rushdb::pg::hnsw

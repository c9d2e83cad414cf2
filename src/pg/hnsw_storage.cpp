// Buffer-manager and WAL primitives of a rushdb_hnsw index (see
// hnsw_storage.hpp for what lives here and hnsw_page.hpp for the layout).
#include "hnsw_storage.hpp"

#include <algorithm>
#include <cstring>

#include "hnsw/params.hpp"
#include "hnsw_graph_access.hpp"

extern "C" {
#include "storage/lmgr.h"
}

namespace core = rushdb::hnsw;

namespace rushdb::pg::hnsw {

Buffer extend_index(Relation index) {
    LockRelationForExtension(index, ExclusiveLock);
    Buffer buf = ReadBuffer(index, P_NEW);
    UnlockRelationForExtension(index, ExclusiveLock);
    LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
    return buf;
}

void append_built_page(Relation index, const char* image, BlockNumber expected) {
    Buffer buf = ReadBufferExtended(index, MAIN_FORKNUM, P_NEW, RBM_NORMAL, nullptr);
    LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
    if (BufferGetBlockNumber(buf) != expected)
        ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
                        errmsg("rushdb_hnsw build: unexpected block %u", BufferGetBlockNumber(buf))));
    std::memcpy(BufferGetPage(buf), image, BLCKSZ);
    MarkBufferDirty(buf);
    UnlockReleaseBuffer(buf);
}

void read_meta(Relation index, MetaPageData* out) {
    Buffer buf = ReadBuffer(index, kMetaBlock);
    LockBuffer(buf, BUFFER_LOCK_SHARE);
    Page page = BufferGetPage(buf);
    if (page_kind(page) != kPageMeta || meta_of(page)->magic != kMagic)
        ereport(ERROR, (errcode(ERRCODE_INDEX_CORRUPTED),
                        errmsg("index \"%s\" is not a valid rushdb_hnsw index", RelationGetRelationName(index))));
    if (meta_of(page)->version != kVersion)
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                        errmsg("index \"%s\" has on-disk version %u; this build reads version %u",
                               RelationGetRelationName(index), meta_of(page)->version, kVersion),
                        errhint("REINDEX the index.")));
    *out = *meta_of(page);
    UnlockReleaseBuffer(buf);
}

ItemPointerData place_tuple(Relation index, uint16 kind, const char* data, std::size_t size, BlockNumber hint,
                            BlockNumber* used_block) {
    ItemPointerData tid;
    if (hint != InvalidBlockNumber && hint < RelationGetNumberOfBlocks(index)) {
        Buffer buf = ReadBuffer(index, hint);
        LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
        Page page = BufferGetPage(buf);
        if (page_kind(page) == kind && PageGetFreeSpace(page) >= MAXALIGN(size)) {
            GenericXLogState* state = GenericXLogStart(index);
            Page wpage = GenericXLogRegisterBuffer(state, buf, 0);
            OffsetNumber off = PageAddItem(wpage, const_cast<char*>(data), size, InvalidOffsetNumber, false, false);
            if (off != InvalidOffsetNumber) {
                GenericXLogFinish(state);
                ItemPointerSet(&tid, hint, off);
                *used_block = hint;
                UnlockReleaseBuffer(buf);
                return tid;
            }
            GenericXLogAbort(state);
        }
        UnlockReleaseBuffer(buf);
    }
    Buffer buf = extend_index(index);
    GenericXLogState* state = GenericXLogStart(index);
    Page page = GenericXLogRegisterBuffer(state, buf, GENERIC_XLOG_FULL_IMAGE);
    init_page(page, kind);
    OffsetNumber off = PageAddItem(page, const_cast<char*>(data), size, InvalidOffsetNumber, false, false);
    if (off == InvalidOffsetNumber) {
        GenericXLogAbort(state);
        UnlockReleaseBuffer(buf);
        ereport(ERROR,
                (errcode(ERRCODE_INTERNAL_ERROR), errmsg("rushdb_hnsw: tuple of %zu bytes does not fit a page", size)));
    }
    GenericXLogFinish(state);
    *used_block = BufferGetBlockNumber(buf);
    ItemPointerSet(&tid, *used_block, off);
    UnlockReleaseBuffer(buf);
    return tid;
}

// Writes a vector's chunks (last first, so each knows its successor) and
// returns the first chunk's TID.
ItemPointerData write_vector_chunks(Relation index, const float* v, int dims, BlockNumber* hint) {
    char* buf = static_cast<char*>(palloc(kMaxTupleSize));
    ItemPointerData next;
    ItemPointerSetInvalid(&next);
    int chunks = static_cast<int>((dims + kChunkMaxFloats - 1) / kChunkMaxFloats);
    for (int c = chunks - 1; c >= 0; --c) {
        int start = c * static_cast<int>(kChunkMaxFloats);
        int count = chunk_floats(dims - start);
        auto* h = reinterpret_cast<ChunkHeader*>(buf);
        std::memset(h, 0, sizeof(ChunkHeader));
        h->kind = kTupleChunk;
        h->count = static_cast<uint16>(count);
        h->next = next;
        std::memcpy(buf + sizeof(ChunkHeader), v + start, sizeof(float) * count);
        BlockNumber used;
        next = place_tuple(index, kPageChunks, buf, sizeof(ChunkHeader) + sizeof(float) * count, *hint, &used);
        *hint = used;
    }
    pfree(buf);
    return next;
}

bool read_chunked_vector(Relation index, ItemPointerData first, float* out, int dims) {
    ItemPointerData at = first;
    int filled = 0;
    while (filled < dims) {
        if (!ItemPointerIsValid(&at)) return false;
        Buffer buf = ReadBuffer(index, ItemPointerGetBlockNumber(&at));
        LockBuffer(buf, BUFFER_LOCK_SHARE);
        Page page = BufferGetPage(buf);
        OffsetNumber off = ItemPointerGetOffsetNumber(&at);
        bool ok = page_kind(page) == kPageChunks && off >= FirstOffsetNumber && off <= PageGetMaxOffsetNumber(page) &&
                  ItemIdIsNormal(PageGetItemId(page, off));
        if (ok) {
            auto* c = reinterpret_cast<ChunkHeader*>(PageGetItem(page, PageGetItemId(page, off)));
            // A chunk holds at least one element: a zero count (damage) would
            // otherwise let a chain that points at itself loop forever.
            ok = c->kind == kTupleChunk && c->count > 0 && filled + c->count <= dims;
            if (ok) {
                std::memcpy(out + filled, reinterpret_cast<char*>(c) + sizeof(ChunkHeader), sizeof(float) * c->count);
                filled += c->count;
                at = c->next;
            }
        }
        UnlockReleaseBuffer(buf);
        if (!ok) return false;
    }
    return true;
}

void delete_vector_chunks(Relation index, ItemPointerData first, BufferAccessStrategy strategy) {
    ItemPointerData at = first;
    while (ItemPointerIsValid(&at)) {
        ItemPointerData next;
        ItemPointerSetInvalid(&next);
        Buffer buf = ReadBufferExtended(index, MAIN_FORKNUM, ItemPointerGetBlockNumber(&at), RBM_NORMAL, strategy);
        LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
        Page page = BufferGetPage(buf);
        OffsetNumber off = ItemPointerGetOffsetNumber(&at);
        if (page_kind(page) == kPageChunks && off <= PageGetMaxOffsetNumber(page) &&
            ItemIdIsNormal(PageGetItemId(page, off))) {
            auto* c = reinterpret_cast<ChunkHeader*>(PageGetItem(page, PageGetItemId(page, off)));
            if (c->kind == kTupleChunk) {
                next = c->next;
                GenericXLogState* state = GenericXLogStart(index);
                Page wpage = GenericXLogRegisterBuffer(state, buf, 0);
                PageIndexTupleDeleteNoCompact(wpage, off);
                GenericXLogFinish(state);
            }
        }
        UnlockReleaseBuffer(buf);
        at = next;
    }
}

// Copies the links of `target` on `level`; false when the element is gone.
bool read_links(Relation index, const ElementLayout& layout, Id target, int level, std::vector<ItemPointerData>& out) {
    out.clear();
    ItemPointerData tid = unpack_tid(target);
    ItemPointerData copy[2 * core::kMaxM];
    int n = -1;
    pg_call([&] {
        Buffer buf = RecentBuffers::read(index, ItemPointerGetBlockNumber(&tid));
        LockBuffer(buf, BUFFER_LOCK_SHARE);
        ElementHeader* e = element_in_page(BufferGetPage(buf), ItemPointerGetOffsetNumber(&tid));
        if (e != nullptr && e->level >= level) {
            ElementView view{e, &layout};
            n = std::min<int>(view.counts()[level], layout.max_links(level));
            for (int i = 0; i < n; ++i) copy[i] = view.links(level)[i];
        }
        UnlockReleaseBuffer(buf);
    });
    if (n < 0) return false;
    out.assign(copy, copy + n);
    return true;
}

namespace {

// Is target's list on `level` in this (locked) page equal to `expected`?
// -1: the element is gone; 0: changed; 1: equal.
int list_matches(Page page, const ElementLayout& layout, Id target, int level,
                 const std::vector<ItemPointerData>& expected) {
    ItemPointerData tid = unpack_tid(target);
    ElementHeader* e = element_in_page(page, ItemPointerGetOffsetNumber(&tid));
    if (e == nullptr || e->level < level) return -1;
    ElementView view{e, &layout};
    int n = std::min<int>(view.counts()[level], layout.max_links(level));
    if (n != static_cast<int>(expected.size())) return 0;
    for (int i = 0; i < n; ++i)
        if (pack_tid(view.links(level)[i]) != pack_tid(expected[i])) return 0;
    return 1;
}

// Stores `count` links as target's list on `level` in this (locked,
// WAL-registered) page; the slots past them become invalid.
void store_list(Page page, const ElementLayout& layout, Id target, int level, const ItemPointerData* links, int count) {
    ItemPointerData tid = unpack_tid(target);
    ElementView view{element_in_page(page, ItemPointerGetOffsetNumber(&tid)), &layout};
    int max = layout.max_links(level);
    for (int i = 0; i < max; ++i) {
        if (i < count)
            view.links(level)[i] = links[i];
        else
            ItemPointerSetInvalid(&view.links(level)[i]);
    }
    view.counts()[level] = static_cast<uint8>(count);
}

}  // namespace

// Writes `links` as target's list on `level` if the list still equals
// `expected` (the caller recomputes on `changed`).
LinkWrite write_links(Relation index, const ElementLayout& layout, Id target, int level,
                      const std::vector<ItemPointerData>& expected, const ItemPointerData* links, int count) {
    LinkWrite result = LinkWrite::gone;
    pg_call([&] {
        Buffer buf = RecentBuffers::read(index, static_cast<BlockNumber>(target >> 16));
        LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
        int match = list_matches(BufferGetPage(buf), layout, target, level, expected);
        if (match == 0) {
            result = LinkWrite::changed;
        } else if (match > 0) {
            GenericXLogState* state = GenericXLogStart(index);
            Page page = GenericXLogRegisterBuffer(state, buf, 0);
            store_list(page, layout, target, level, links, count);
            GenericXLogFinish(state);
            result = LinkWrite::written;
        }
        UnlockReleaseBuffer(buf);
    });
    return result;
}

LinkWrite write_links_pair(Relation index, const ElementLayout& layout, int level, Id a,
                           const std::vector<ItemPointerData>& a_expected, const std::vector<ItemPointerData>& a_links,
                           Id b, const std::vector<ItemPointerData>& b_expected,
                           const std::vector<ItemPointerData>& b_links) {
    BlockNumber ba = static_cast<BlockNumber>(a >> 16), bb = static_cast<BlockNumber>(b >> 16);
    LinkWrite result = LinkWrite::gone;
    pg_call([&] {
        Buffer bufa = RecentBuffers::read(index, ba);
        Buffer bufb = bb == ba ? bufa : RecentBuffers::read(index, bb);
        // Lower block first: the only place holding two content locks.
        if (ba == bb) {
            LockBuffer(bufa, BUFFER_LOCK_EXCLUSIVE);
        } else {
            LockBuffer(ba < bb ? bufa : bufb, BUFFER_LOCK_EXCLUSIVE);
            LockBuffer(ba < bb ? bufb : bufa, BUFFER_LOCK_EXCLUSIVE);
        }
        int ma = list_matches(BufferGetPage(bufa), layout, a, level, a_expected);
        int mb = list_matches(BufferGetPage(bufb), layout, b, level, b_expected);
        if (ma < 0 || mb < 0) {
            result = LinkWrite::gone;
        } else if (ma == 0 || mb == 0) {
            result = LinkWrite::changed;
        } else {
            GenericXLogState* state = GenericXLogStart(index);
            Page pa = GenericXLogRegisterBuffer(state, bufa, 0);
            Page pb = bb == ba ? pa : GenericXLogRegisterBuffer(state, bufb, 0);
            store_list(pa, layout, a, level, a_links.data(), static_cast<int>(a_links.size()));
            store_list(pb, layout, b, level, b_links.data(), static_cast<int>(b_links.size()));
            GenericXLogFinish(state);
            result = LinkWrite::written;
        }
        UnlockReleaseBuffer(bufa);
        if (bb != ba) UnlockReleaseBuffer(bufb);
    });
    return result;
}

}  // namespace rushdb::pg::hnsw

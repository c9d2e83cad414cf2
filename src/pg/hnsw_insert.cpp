// aminsert for rushdb_hnsw: one element into the on-disk graph.
//
// Concurrency: inserters take the metapage's heavyweight page lock in share
// mode; an insert that will become the new entry point (a taller element)
// takes it exclusively. Buffer content locks are held one at a time, never
// while reading another page, so inserters, scans and VACUUM cannot
// deadlock. A neighbour list is pruned optimistically: the new list is
// computed without locks, then written only if the list did not change in
// the meantime (else recomputed).
#include "hnsw_insert.hpp"

#include <algorithm>
#include <functional>
#include <limits>
#include <cmath>
#include <unordered_map>
#include <vector>

#include "boundary.hpp"
#include "hnsw/candidates.hpp"
#include "hnsw/search_layer.hpp"
#include "hnsw/select_neighbors.hpp"
#include "hnsw_graph_access.hpp"
#include "hnsw_links.hpp"
#include "hnsw_page.hpp"
#include "hnsw_pending.hpp"
#include "vector_type.hpp"

extern "C" {
#include "common/pg_prng.h"
#include "storage/lmgr.h"
}

namespace core = rushdb::hnsw;

namespace rushdb::pg::hnsw {

ItemPointerData place_tuple(Relation index, uint16 kind, const char* data, std::size_t size,
                            BlockNumber hint, BlockNumber* used_block) {
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
        ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("rushdb_hnsw: tuple of %zu bytes does not fit a page", size)));
    }
    GenericXLogFinish(state);
    *used_block = BufferGetBlockNumber(buf);
    ItemPointerSet(&tid, *used_block, off);
    UnlockReleaseBuffer(buf);
    return tid;
}

// Chooses up to max links among `sorted` (closest first) with the HNSW
// heuristic; distances between candidates come from their vectors.
void select(std::vector<Cand>& sorted, std::size_t max, VectorCache& vectors,
            const core::GraphDistance& dist, int dims, std::vector<Cand>& out) {
    // The heuristic measures up to n^2/2 pairs: look each vector up once
    // and let it address candidates by position.
    thread_local std::vector<const float*> ptrs;
    thread_local std::vector<core::Candidate<uint32_t>> by_pos, chosen;
    ptrs.resize(sorted.size());
    by_pos.resize(sorted.size());
    for (std::size_t i = 0; i < sorted.size(); ++i) {
        ptrs[i] = vectors.get(sorted[i].id);
        by_pos[i] = core::Candidate<uint32_t>{sorted[i].distance, static_cast<uint32_t>(i)};
    }
    std::size_t n = static_cast<std::size_t>(dims);
    core::select_neighbors(by_pos, max,
                           [&](uint32_t a, uint32_t b) {
                               if (!ptrs[a] || !ptrs[b]) return std::numeric_limits<float>::infinity();
                               return dist(ptrs[a], ptrs[b], n);
                           },
                           chosen);
    out.clear();
    for (const auto& c : chosen) out.push_back(sorted[c.id]);
}

// Copies the links of `target` on `level`; false when the element is gone.
bool read_links(Relation index, const ElementLayout& layout, Id target, int level,
                std::vector<ItemPointerData>& out) {
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
void store_list(Page page, const ElementLayout& layout, Id target, int level, const ItemPointerData* links,
                int count) {
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

void DropLocks::lock(Relation index, const std::vector<Id>& dropped) {
    held_.assign(dropped.begin(), dropped.end());
    std::sort(held_.begin(), held_.end());
    held_.erase(std::unique(held_.begin(), held_.end()), held_.end());
    pg_call([&] {
        for (Id d : held_) {
            ItemPointerData tid = unpack_tid(d);
            LockTuple(index, &tid, ExclusiveLock);
        }
    });
}

void DropLocks::unlock(Relation index) {
    pg_call([&] {
        for (Id d : held_) {
            ItemPointerData tid = unpack_tid(d);
            UnlockTuple(index, &tid, ExclusiveLock);
        }
    });
    held_.clear();
}

bool has_incoming_link(Relation index, const ElementLayout& layout, Id x, Id besides,
                       const std::function<bool(Id)>& ignore) {
    std::vector<ItemPointerData> out, theirs;
    if (!read_links(index, layout, x, 0, out)) return true;  // gone: nothing to protect
    for (const auto& y : out) {
        Id yid = pack_tid(y);
        if (yid == besides || yid == x || (ignore && ignore(yid))) continue;
        if (!read_links(index, layout, yid, 0, theirs)) continue;
        for (const auto& t : theirs)
            if (pack_tid(t) == x) return true;
    }
    return false;
}

namespace {

// Makes `target` link back to `newcomer` on `level`, pruning with the
// heuristic when its list is full. True when target now links to newcomer.
// Links the target dropped to make room are appended to `dropped`.
bool add_reverse_link(Relation index, PageGraph& g, VectorCache& vectors, const core::GraphDistance& dist,
                      Id target, Id newcomer, int level, std::vector<Id>& dropped) {
    const ElementLayout& layout = g.layout();
    std::size_t max = static_cast<std::size_t>(layout.max_links(level));
    ItemPointerData newcomer_tid = unpack_tid(newcomer);
    std::vector<ItemPointerData> current;
    std::vector<Cand> sorted, chosen;
    std::vector<Id> next_ids, lost;
    DropLocks locks;
    for (int attempt = 0; attempt < 5; ++attempt) {
        if (!read_links(index, layout, target, level, current)) return false;  // target vanished
        for (const auto& t : current)
            if (pack_tid(t) == newcomer) return true;
        std::vector<ItemPointerData> next(current);
        bool kept = true;
        if (current.size() < max) {
            next.push_back(newcomer_tid);
        } else {
            const float* tv = vectors.get(target);
            if (tv == nullptr) return false;
            sorted.clear();
            for (const auto& t : current) {
                Id id = pack_tid(t);
                const float* v = vectors.get(id);
                if (v) sorted.push_back(Cand{dist(tv, v, static_cast<std::size_t>(layout.dims)), id});
            }
            const float* nv = vectors.get(newcomer);
            if (nv) sorted.push_back(Cand{dist(tv, nv, static_cast<std::size_t>(layout.dims)), newcomer});
            core::sort_closest_first(sorted);
            select(sorted, max, vectors, dist, layout.dims, chosen);
            next.clear();
            kept = false;
            for (const auto& c : chosen) {
                next.push_back(unpack_tid(c.id));
                kept |= c.id == newcomer;
            }
            // Not chosen: the list would be the same links again.
            if (!kept) return false;
        }
        // The links the new list loses (sorted ids: lists are up to 2m).
        next_ids.clear();
        for (const auto& n : next) next_ids.push_back(pack_tid(n));
        std::sort(next_ids.begin(), next_ids.end());
        lost.clear();
        for (const auto& t : current)
            if (!std::binary_search(next_ids.begin(), next_ids.end(), pack_tid(t))) lost.push_back(pack_tid(t));
        // Crash safety: the list is written in its own WAL record, so an
        // element it drops must already have another way in; the link the
        // newcomer could hand it later would come too late after a crash.
        // If one has none, the target keeps its list (the newcomer is
        // linked from its other neighbours, or forced in).
        // Under DropLocks: a concurrent rewrite must not drop the other
        // way in that the check counts on.
        bool guard = level == 0 && !lost.empty();
        if (guard) {
            locks.lock(index, lost);
            for (Id t : lost)
                if (!has_incoming_link(index, layout, t, target)) {
                    locks.unlock(index);
                    return false;
                }
        }
        LinkWrite w = write_links(index, layout, target, level, current, next.data(), static_cast<int>(next.size()));
        if (guard) locks.unlock(index);
        if (w == LinkWrite::written) {
            dropped.insert(dropped.end(), lost.begin(), lost.end());
            return kept;
        }
        if (w == LinkWrite::gone) return false;
    }
    return false;
}

// Links that neighbours dropped for the newcomer are handed to it while it
// has free slots: the dropped element may have had no other way in, and
// the newcomer is reachable (someone just linked to it).
void adopt_dropped(Relation index, const ElementLayout& layout, Id self, int level, std::vector<Id>& dropped) {
    if (dropped.empty()) return;
    std::sort(dropped.begin(), dropped.end());
    dropped.erase(std::unique(dropped.begin(), dropped.end()), dropped.end());
    std::vector<ItemPointerData> current;
    for (int attempt = 0; attempt < 5; ++attempt) {
        if (!read_links(index, layout, self, level, current)) return;
        std::vector<ItemPointerData> next(current);
        for (Id d : dropped) {
            if (next.size() >= static_cast<std::size_t>(layout.max_links(level))) break;
            if (d == self) continue;
            bool have = false;
            for (const auto& n : next) have |= pack_tid(n) == d;
            if (!have) next.push_back(unpack_tid(d));
        }
        if (next.size() == current.size()) return;
        if (write_links(index, layout, self, level, current, next.data(), static_cast<int>(next.size())) !=
            LinkWrite::changed)
            return;
    }
}

}  // namespace

bool force_in_link(Relation index, PageGraph& g, VectorCache& vectors, const core::GraphDistance& dist,
                   Id r, Id u, const std::function<bool(Id)>& reachable) {
    const ElementLayout& layout = g.layout();
    std::size_t max = static_cast<std::size_t>(layout.max_links(0));
    std::size_t dims = static_cast<std::size_t>(layout.dims);
    ItemPointerData u_tid = unpack_tid(u);
    std::vector<ItemPointerData> rcur, ucur;
    std::vector<Id> replaced;
    DropLocks locks;
    for (int attempt = 0; attempt < 5; ++attempt) {
        if (!read_links(index, layout, r, 0, rcur) || !read_links(index, layout, u, 0, ucur)) return false;
        for (const auto& t : rcur)
            if (pack_tid(t) == u) return true;
        std::vector<ItemPointerData> rnext(rcur);
        if (rcur.size() < max) {
            rnext.push_back(u_tid);
        } else {
            // r's farthest link w moves to u, so w stays reachable through u.
            const float* rv = vectors.get(r);
            const float* uv = vectors.get(u);
            if (rv == nullptr || uv == nullptr) return false;
            std::size_t victim = 0;
            float worst = -std::numeric_limits<float>::infinity();
            for (std::size_t i = 0; i < rcur.size(); ++i) {
                const float* v = vectors.get(pack_tid(rcur[i]));
                float d = v ? dist(rv, v, dims) : std::numeric_limits<float>::infinity();
                if (d > worst) {
                    worst = d;
                    victim = i;
                }
            }
            ItemPointerData w = rcur[victim];
            bool has_w = false;
            for (const auto& t : ucur) has_w |= pack_tid(t) == pack_tid(w);
            if (!has_w && pack_tid(w) != u) {
                std::vector<ItemPointerData> unext(ucur);
                if (ucur.size() < max) {
                    unext.push_back(w);
                } else {
                    // Replace u's farthest link to a node reachable anyway.
                    // When none is (u sits in a cut-off part of the graph
                    // whose lists are all full), replace u's farthest link:
                    // that target may stay cut off, and the caller's next
                    // pass over the unreachable ones links it in.
                    int slot = -1, any = -1;
                    float far = -std::numeric_limits<float>::infinity(), far_any = far;
                    for (std::size_t i = 0; i < ucur.size(); ++i) {
                        Id t = pack_tid(ucur[i]);
                        const float* v = vectors.get(t);
                        float d = v ? dist(uv, v, dims) : std::numeric_limits<float>::infinity();
                        if (d > far_any) {
                            far_any = d;
                            any = static_cast<int>(i);
                        }
                        if (reachable(t) && d > far) {
                            far = d;
                            slot = static_cast<int>(i);
                        }
                    }
                    bool counted = slot >= 0;
                    if (slot < 0) slot = any;
                    if (slot < 0) return false;
                    // The link u drops is guarded like any other drop
                    // (DropLocks): re-checked under the lock.
                    replaced.assign(1, pack_tid(ucur[static_cast<std::size_t>(slot)]));
                    locks.lock(index, replaced);
                    if (counted && !reachable(replaced[0])) {
                        locks.unlock(index);
                        continue;
                    }
                    unext[static_cast<std::size_t>(slot)] = w;
                }
                // The hand-over is one WAL record: w never loses r's link
                // without gaining u's, whatever a crash keeps.
                rnext[victim] = u_tid;
                LinkWrite pw = write_links_pair(index, layout, 0, u, ucur, unext, r, rcur, rnext);
                locks.unlock(index);
                if (pw == LinkWrite::written) return true;
                if (pw == LinkWrite::gone) return false;
                continue;
            }
            // u already links to w, so r gives w up: a drop like any other,
            // under w's lock, and written with u's list checked unchanged
            // in the same step (u -> w is the way in it counts on).
            rnext[victim] = u_tid;
            replaced.assign(1, pack_tid(w));
            locks.lock(index, replaced);
            LinkWrite pw = write_links_pair(index, layout, 0, u, ucur, ucur, r, rcur, rnext);
            locks.unlock(index);
            if (pw == LinkWrite::written) return true;
            if (pw == LinkWrite::gone) return false;
            continue;
        }
        LinkWrite rw = write_links(index, layout, r, 0, rcur, rnext.data(), static_cast<int>(rnext.size()));
        if (rw == LinkWrite::written) return true;
        if (rw == LinkWrite::gone) return false;
    }
    return false;
}

namespace {

int random_level(int m) {
    double u = 1.0 - pg_prng_double(&pg_global_prng_state);  // (0, 1]
    int level = static_cast<int>(-std::log(u) / std::log(static_cast<double>(m)));
    return level > core::kMaxLevel ? core::kMaxLevel : level;
}

// Writes a vector's chunks (last first, so each knows its successor) and
// returns the first chunk's TID.
ItemPointerData write_chunks(Relation index, const float* v, int dims, BlockNumber* hint) {
    char* buf = static_cast<char*>(palloc(kMaxTupleSize));
    ItemPointerData next;
    ItemPointerSetInvalid(&next);
    int chunks = static_cast<int>((dims + kChunkMaxFloats - 1) / kChunkMaxFloats);
    for (int c = chunks - 1; c >= 0; --c) {
        int start = c * static_cast<int>(kChunkMaxFloats);
        int count = std::min<int>(dims - start, static_cast<int>(kChunkMaxFloats));
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

struct MetaUpdate {
    bool set_dims;
    uint32 dims;
    bool set_entry;
    ItemPointerData entry;
    int16 entry_level;
    BlockNumber insert_page;
    BlockNumber chunk_page;
};

void update_meta(Relation index, const MetaUpdate& u) {
    Buffer buf = ReadBuffer(index, kMetaBlock);
    LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
    GenericXLogState* state = GenericXLogStart(index);
    Page page = GenericXLogRegisterBuffer(state, buf, 0);
    MetaPageData* meta = meta_for_write(page);
    if (u.set_dims) meta->dims = u.dims;
    if (u.set_entry) {
        meta->entry = u.entry;
        meta->entry_level = u.entry_level;
    }
    if (u.insert_page != InvalidBlockNumber) meta->insert_page = u.insert_page;
    if (u.chunk_page != InvalidBlockNumber) meta->chunk_page = u.chunk_page;
    meta->element_count += 1;
    GenericXLogFinish(state);
    UnlockReleaseBuffer(buf);
}

// The graph work of one insert, run inside guarded(): C++ containers live
// here and every PostgreSQL call goes through pg_call.
void insert_into_graph(Relation index, const MetaPageData& meta, const IndexParams& params,
                       const float* v, int dims, int level, ItemPointerData heap_tid, bool from_pending) {
    ElementLayout layout{params.m, dims};
    auto metric = static_cast<core::Metric>(params.metric);
    core::GraphDistance dist = core::GraphDistance::for_metric(metric);
    PageGraph g(index, params.m, dims, metric);
    VectorCache vectors(g);
    g.set_query(v);
    g.reset_visited(1024);

    std::vector<std::vector<Cand>> chosen_per_level(static_cast<std::size_t>(level) + 1);
    bool has_entry = ItemPointerIsValid(&meta.entry) && meta.entry_level >= 0;
    if (has_entry) {
        Id ep = pack_tid(meta.entry);
        g.visit(ep);
        Cand cur{g.distance(ep), ep};
        for (int l = meta.entry_level; l > level; --l) cur = core::greedy_closest(g, cur, l);
        std::vector<Cand> entry{cur};
        core::NearHeap<Id> frontier;
        core::FarHeap<Id> found;
        std::vector<Cand> sorted;
        for (int l = std::min<int>(level, meta.entry_level); l >= 0; --l) {
            g.new_round();
            for (const auto& e : entry) g.visit(e.id);
            core::search_layer(g, entry, params.ef_construction, l, frontier, found);
            sorted.assign(found.items().begin(), found.items().end());
            core::sort_closest_first(sorted);
            if (from_pending && l == 0)
                for (const auto& c : sorted) {
                    const ElementInfo* info = g.info(c.id);
                    if (info != nullptr && info->state == kLive && pack_tid(info->heap_tid) == pack_tid(heap_tid))
                        return;  // merged before a crash: already in the graph
                }
            // Deleted elements still route searches but take no new links.
            std::vector<Cand> usable;
            for (const auto& c : sorted)
                if (g.usable(c.id) && std::isfinite(c.distance)) usable.push_back(c);
            auto& chosen = chosen_per_level[static_cast<std::size_t>(l)];
            select(usable, static_cast<std::size_t>(layout.max_links(l)), vectors, dist, dims, chosen);
            core::top_up_neighbors(usable, core::min_out_degree(params.m), chosen);
            if (!sorted.empty()) entry = sorted;
        }
    }

    // The element tuple, with its own links already set.
    BlockNumber chunk_hint = meta.chunk_page;
    ItemPointerData first_chunk;
    ItemPointerSetInvalid(&first_chunk);
    bool inline_vector = layout.vector_inline(level);
    if (!inline_vector) first_chunk = pg_call([&] { return write_chunks(index, v, dims, &chunk_hint); });
    std::vector<char> tuple(layout.tuple_size(level));
    fill_element(tuple.data(), layout, level, heap_tid, first_chunk, v);
    ElementView view{reinterpret_cast<ElementHeader*>(tuple.data()), &layout};
    for (int l = 0; l <= level; ++l) {
        const auto& chosen = chosen_per_level[static_cast<std::size_t>(l)];
        view.counts()[l] = static_cast<uint8>(chosen.size());
        for (std::size_t i = 0; i < chosen.size(); ++i) view.links(l)[i] = unpack_tid(chosen[i].id);
    }
    BlockNumber element_block = InvalidBlockNumber;
    ItemPointerData self = pg_call([&] {
        return place_tuple(index, kPageElements, tuple.data(), tuple.size(), meta.insert_page, &element_block);
    });

    // Neighbours link back.
    Id self_id = pack_tid(self);
    bool linked_on_base = false;
    std::vector<Id> dropped;
    for (int l = 0; l <= level; ++l) {
        dropped.clear();
        for (const auto& c : chosen_per_level[static_cast<std::size_t>(l)]) {
            bool kept = add_reverse_link(index, g, vectors, dist, c.id, self_id, l, dropped);
            if (l == 0) linked_on_base |= kept;
        }
        adopt_dropped(index, layout, self_id, l, dropped);
        if (l == 0) {
            // A dropped element the newcomer could not adopt, with no other
            // way in, would be a row no search finds: link it from here.
            std::vector<ItemPointerData> mine;
            read_links(index, layout, self_id, 0, mine);
            for (Id d : dropped) {
                bool adopted = false;
                for (const auto& t : mine) adopted |= pack_tid(t) == d;
                if (!adopted && !has_incoming_link(index, layout, d))
                    force_in_link(index, g, vectors, dist, self_id, d,
                                  [&](Id t) { return has_incoming_link(index, layout, t, self_id); });
            }
        }
    }
    // Every neighbour pruned us (ties among duplicates do that): force one
    // incoming link so the new row stays findable.
    if (!linked_on_base)
        for (const auto& c : chosen_per_level[0])
            if (force_in_link(index, g, vectors, dist, c.id, self_id,
                              [&](Id t) { return has_incoming_link(index, layout, t, self_id); }))
                break;

    MetaUpdate u{};
    u.set_dims = meta.dims == 0;
    u.dims = static_cast<uint32>(dims);
    u.set_entry = !has_entry || level > meta.entry_level;
    u.entry = self;
    u.entry_level = static_cast<int16>(level);
    u.insert_page = element_block;
    u.chunk_page = chunk_hint != meta.chunk_page ? chunk_hint : InvalidBlockNumber;
    pg_call([&] { update_meta(index, u); });
}

void check_dimensions(const MetaPageData& meta, int dims) {
    if (meta.dims != 0 && static_cast<int>(meta.dims) != dims)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("expected %u dimensions, not %d", meta.dims, dims),
                        errhint("Every vector in a rushdb_hnsw index must have the same number of dimensions.")));
}

// The pending list takes a row when it is enabled, the entry fits a page
// and the index already has its dimension count and entry point (the first
// vector goes into the graph, which fixes both).
bool use_pending_list(const MetaPageData& meta, int dims, const IndexParams& params) {
    return params.pending_list_limit_kb > 0 && pending_fits(dims) && meta.dims != 0 && meta.entry_level >= 0;
}

void append_to_pending_list(Relation index, const MetaPageData& meta, Vector* x, ItemPointer heap_tid,
                            const IndexParams& params) {
    int dims = x->dim;
    auto* v = static_cast<float*>(palloc(sizeof(float) * dims));
    std::memcpy(v, x->x, sizeof(float) * dims);
    if (!core::prepare_vector(static_cast<core::Metric>(params.metric), v, static_cast<std::size_t>(dims)))
        return;  // zero vector under cosine: no direction, not indexed
    check_dimensions(meta, dims);
    pending_append(index, v, dims, *heap_tid);
    pending_maybe_merge(index, params);
}

}  // namespace

bool insert_vector(Relation index, Relation heap, const float* x, int dims, ItemPointer heap_tid,
                   const IndexParams& params, bool from_pending) {
    auto* v = static_cast<float*>(palloc(sizeof(float) * dims));
    std::memcpy(v, x, sizeof(float) * dims);
    if (!core::prepare_vector(static_cast<core::Metric>(params.metric), v, static_cast<std::size_t>(dims))) {
        pfree(v);
        return false;  // zero vector under cosine: no direction, not indexed
    }
    int level = random_level(params.m);

    MetaPageData meta;
    read_meta(index, &meta);
    check_dimensions(meta, dims);

    // A taller element (or the first one) replaces the entry point: that
    // insert runs alone; all others share the lock.
    LOCKMODE mode = (meta.entry_level < 0 || level > meta.entry_level) ? ExclusiveLock : ShareLock;
    LockPage(index, kMetaBlock, mode);
    read_meta(index, &meta);  // the entry point may have moved while we waited
    if (mode == ShareLock && (meta.entry_level < 0 || level > meta.entry_level)) {
        UnlockPage(index, kMetaBlock, mode);
        mode = ExclusiveLock;
        LockPage(index, kMetaBlock, mode);
        read_meta(index, &meta);
    }
    ItemPointerData tid = *heap_tid;
    guarded([&] { insert_into_graph(index, meta, params, v, dims, level, tid, from_pending); });
    UnlockPage(index, kMetaBlock, mode);
    pfree(v);
    return true;
}

bool insert(Relation index, Datum* values, bool* isnull, ItemPointer heap_tid, Relation heap,
            IndexUniqueCheck check_unique, bool index_unchanged, IndexInfo* info) {
    if (isnull[0]) return false;  // NULL vectors are not indexed
    MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "rushdb_hnsw insert", ALLOCSET_DEFAULT_SIZES);
    MemoryContext old = MemoryContextSwitchTo(cxt);
    Vector* v = datum_to_vector(values[0]);
    IndexParams params = index_params(index);
    MetaPageData meta;
    read_meta(index, &meta);
    if (use_pending_list(meta, v->dim, params)) {
        append_to_pending_list(index, meta, v, heap_tid, params);
    } else {
        insert_vector(index, heap, v->x, v->dim, heap_tid, params);
    }
    MemoryContextSwitchTo(old);
    MemoryContextDelete(cxt);
    return false;
}

}  // namespace rushdb::pg::hnsw

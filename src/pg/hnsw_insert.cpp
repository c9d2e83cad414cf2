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
#include <cmath>
#include <optional>
#include <vector>

#include "boundary.hpp"
#include "hnsw/candidates.hpp"
#include "hnsw/search_layer.hpp"
#include "hnsw/select_neighbors.hpp"
#include "hnsw_graph_access.hpp"
#include "hnsw_links.hpp"
#include "hnsw_pending.hpp"
#include "hnsw_storage.hpp"
#include "vector_type.hpp"

extern "C" {
#include "common/pg_prng.h"
#include "storage/lmgr.h"
}

namespace core = rushdb::hnsw;

namespace rushdb::pg::hnsw {
namespace {

// Makes `target` link back to `newcomer` on `level`, pruning with the
// heuristic when its list is full. True when target now links to newcomer.
// Links the target dropped to make room are appended to `dropped`.
bool add_reverse_link(Relation index, PageGraph& g, VectorCache& vectors, const core::GraphDistance& dist, Id target,
                      Id newcomer, int level, std::vector<Id>& dropped) {
    const ElementLayout& layout = g.layout();
    std::size_t max = static_cast<std::size_t>(layout.max_links(level));
    ItemPointerData newcomer_tid = unpack_tid(newcomer);
    std::vector<ItemPointerData> current;
    std::vector<Cand> sorted, chosen;
    std::vector<Id> next_ids, lost;
    DropLocks locks;
    return retry_on_change([&]() -> std::optional<bool> {
        if (!read_links(index, layout, target, level, current)) return false;  // target vanished
        if (links_contain(current, newcomer)) return true;
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
        return std::nullopt;
    });
}

// Links that neighbours dropped for the newcomer are handed to it while it
// has free slots: the dropped element may have had no other way in, and
// the newcomer is reachable (someone just linked to it).
void adopt_dropped(Relation index, const ElementLayout& layout, Id self, int level, std::vector<Id>& dropped) {
    if (dropped.empty()) return;
    std::sort(dropped.begin(), dropped.end());
    dropped.erase(std::unique(dropped.begin(), dropped.end()), dropped.end());
    std::vector<ItemPointerData> current;
    retry_on_change([&]() -> std::optional<bool> {
        if (!read_links(index, layout, self, level, current)) return false;
        std::vector<ItemPointerData> next(current);
        for (Id d : dropped) {
            if (next.size() >= static_cast<std::size_t>(layout.max_links(level))) break;
            if (d == self) continue;
            if (!links_contain(next, d)) next.push_back(unpack_tid(d));
        }
        if (next.size() == current.size()) return false;
        LinkWrite w = write_links(index, layout, self, level, current, next.data(), static_cast<int>(next.size()));
        if (w != LinkWrite::changed) return w == LinkWrite::written;
        return std::nullopt;
    });
}

int random_level(int m) {
    double u = 1.0 - pg_prng_double(&pg_global_prng_state);  // (0, 1]
    int level = static_cast<int>(-std::log(u) / std::log(static_cast<double>(m)));
    return level > core::kMaxLevel ? core::kMaxLevel : level;
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
    modify_meta(index, [&](MetaPageData* meta) {
        if (u.set_dims) meta->dims = u.dims;
        if (u.set_entry) {
            meta->entry = u.entry;
            meta->entry_level = u.entry_level;
        }
        if (u.insert_page != InvalidBlockNumber) meta->insert_page = u.insert_page;
        if (u.chunk_page != InvalidBlockNumber) meta->chunk_page = u.chunk_page;
        meta->element_count += 1;
    });
}

// The graph work of one insert, run inside guarded(): C++ containers live
// here and every PostgreSQL call goes through pg_call.
void insert_into_graph(Relation index, const MetaPageData& meta, const IndexParams& params, const float* v, int dims,
                       int level, ItemPointerData heap_tid, bool from_pending) {
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
    if (!inline_vector) first_chunk = pg_call([&] { return write_vector_chunks(index, v, dims, &chunk_hint); });
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
                if (!links_contain(mine, d) && !has_incoming_link(index, layout, d))
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
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("expected %u dimensions, not %d", meta.dims, dims),
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

bool insert_vector(Relation index, const float* x, int dims, ItemPointer heap_tid, const IndexParams& options,
                   bool from_pending) {
    // The pages were laid out for the m the index was built with: ALTER
    // INDEX ... SET (m = ...) changes only the reloption, which must not
    // change how element tuples are read or written.
    IndexParams params = options;
    auto* v = static_cast<float*>(palloc(sizeof(float) * dims));
    std::memcpy(v, x, sizeof(float) * dims);
    if (!core::prepare_vector(static_cast<core::Metric>(params.metric), v, static_cast<std::size_t>(dims))) {
        pfree(v);
        return false;  // zero vector under cosine: no direction, not indexed
    }
    MetaPageData meta;
    read_meta(index, &meta);
    check_dimensions(meta, dims);
    if (meta.m != 0) params.m = meta.m;
    int level = random_level(params.m);

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
    IndexParams params = index_params(index);
    Vector* v = key_vector(values[0], params);
    MetaPageData meta;
    read_meta(index, &meta);
    if (use_pending_list(meta, v->dim, params)) {
        append_to_pending_list(index, meta, v, heap_tid, params);
    } else {
        insert_vector(index, v->x, v->dim, heap_tid, params);
    }
    MemoryContextSwitchTo(old);
    MemoryContextDelete(cxt);
    return false;
}

}  // namespace rushdb::pg::hnsw

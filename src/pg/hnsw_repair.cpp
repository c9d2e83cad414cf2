// Repair after deletes: only the neighbourhoods of deleted elements are
// touched. A read-only pass finds the deleted set D and every live element
// whose list points into D; each such list is recomputed from its live links
// plus the live links of the deleted neighbours it loses (a two-hop
// candidate set), with the same heuristic as insertion. Inserts keep running
// meanwhile; then, under the metapage's exclusive lock (inserts wait, scans
// do not), lists that gained a link into D since are fixed the same way, the
// entry point is moved off a deleted element, and D's tuples (and vector
// chunks) are removed so their space is reused.
#include "hnsw_repair.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "boundary.hpp"
#include "hnsw/metric.hpp"
#include "hnsw/search_layer.hpp"
#include "hnsw_graph_access.hpp"
#include "hnsw_links.hpp"
#include "hnsw_storage.hpp"

extern "C" {
#include "commands/vacuum.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
}

namespace core = rushdb::hnsw;

namespace rushdb::pg::hnsw {
namespace {

struct Scan {
    std::unordered_set<Id> deleted;
    std::vector<std::pair<Id, int>> to_repair;  // (element, level)
    Id tallest = 0;
    int tallest_level = -1;
    double live = 0;
};

// Reads every element page: collects D (first pass) or the lists pointing
// into D (second pass).
void scan_elements(Relation index, BufferAccessStrategy strategy, const ElementLayout& layout, Scan& s,
                   bool find_links) {
    if (!find_links) s.live = 0;
    s.to_repair.clear();
    // The tallest live element, found again by every pass: the last one runs
    // under the metapage's exclusive lock, and an element inserted after the
    // first (as tall as a deleted entry point, so it did not take its place)
    // must be seen when the entry point moves.
    s.tallest_level = -1;
    s.tallest = 0;
    for_each_element(index, strategy, [&](Id id, ElementHeader* e) {
        bool dead = (e->flags & kFlagDeleted) != 0;
        if (!dead && e->level > s.tallest_level) {
            s.tallest_level = e->level;
            s.tallest = id;
        }
        if (!find_links) {
            if (dead)
                s.deleted.insert(id);
            else
                s.live += 1;
            return;
        }
        if (dead) return;
        ElementView view{e, &layout};
        for (int l = 0; l <= e->level; ++l) {
            int n = std::min<int>(view.counts()[l], layout.max_links(l));
            for (int i = 0; i < n; ++i)
                if (s.deleted.count(pack_tid(view.links(l)[i]))) {
                    s.to_repair.emplace_back(id, l);
                    break;
                }
        }
    });
}

// Recomputes element's list on `level` without its deleted neighbours.
bool repair_list(Relation index, PageGraph& g, VectorCache& vectors, const core::GraphDistance& dist, const Scan& s,
                 Id element, int level) {
    const ElementLayout& layout = g.layout();
    std::vector<ItemPointerData> current, hop;
    std::vector<Cand> candidates, chosen;
    std::vector<Id> dropping;
    DropLocks locks;
    vectors.trim();  // no vector pointer is held between lists
    return retry_on_change([&]() -> std::optional<bool> {
        if (!read_links(index, layout, element, level, current)) return false;
        const float* ev = vectors.get(element);
        if (ev == nullptr) return false;
        std::unordered_set<Id> seen{element};
        candidates.clear();
        auto consider = [&](Id c) {
            if (s.deleted.count(c) || !seen.insert(c).second) return;
            const float* cv = vectors.get(c);
            if (cv) candidates.push_back(Cand{dist(ev, cv, static_cast<std::size_t>(layout.dims)), c});
        };
        for (const auto& t : current) {
            Id c = pack_tid(t);
            if (s.deleted.count(c)) {
                // The deleted neighbour's own neighbours replace it.
                if (read_links(index, layout, c, level, hop))
                    for (const auto& h : hop) consider(pack_tid(h));
            } else {
                consider(c);
            }
        }
        core::sort_closest_first(candidates);
        std::size_t max = static_cast<std::size_t>(layout.max_links(level));
        select(candidates, max, vectors, dist, layout.dims, chosen);
        // The heuristic keeps only well-spread links, so a repaired list
        // would shrink well below what insertions had left (lists fill up
        // with reverse links over time): the closest pruned candidates fill
        // it back to its previous length ("keep pruned connections") - not
        // beyond, or every later insert would find it full and pay for a
        // prune.
        std::size_t target = std::min(max, current.size());
        for (const auto& c : candidates) {
            if (chosen.size() >= target) break;
            bool taken = false;
            for (const auto& k : chosen) taken |= k.id == c.id;
            if (!taken) chosen.push_back(c);
        }
        // Crash safety, as for inserts: a live link the new list drops must
        // lead to an element with another way in (not through D, which is
        // about to go), or it stays, in place of a link the list did not
        // have before (there always is one: the list lost at least one
        // link into D).
        // The live links it would drop are guarded against concurrent
        // inserts dropping the other way in (DropLocks).
        dropping.clear();
        if (level == 0)
            for (const auto& t : current) {
                Id tid = pack_tid(t);
                bool kept = s.deleted.count(tid) > 0;
                for (const auto& c : chosen) kept |= c.id == tid;
                if (!kept) dropping.push_back(tid);
            }
        if (!dropping.empty()) {
            locks.lock(index, dropping);
            auto in_d = [&](Id y) { return s.deleted.count(y) > 0; };
            // A kept link only ever replaces one the old list did not have,
            // so the links dropped stay those computed above.
            for (Id tid : dropping) {
                if (has_incoming_link(index, layout, tid, element, in_d)) continue;
                const float* tv = vectors.get(tid);
                Cand keep{tv ? dist(ev, tv, static_cast<std::size_t>(layout.dims)) : 0.0f, tid};
                if (chosen.size() < max) {
                    chosen.push_back(keep);
                    continue;
                }
                for (std::size_t i = chosen.size(); i-- > 0;) {
                    if (!links_contain(current, chosen[i].id)) {
                        chosen[i] = keep;
                        break;
                    }
                }
            }
        }
        std::vector<ItemPointerData> next;
        next.reserve(chosen.size());
        for (const auto& c : chosen) next.push_back(unpack_tid(c.id));
        LinkWrite w = write_links(index, layout, element, level, current, next.data(), static_cast<int>(next.size()));
        if (!dropping.empty()) locks.unlock(index);
        if (w != LinkWrite::changed) return w == LinkWrite::written;
        return std::nullopt;
    });
}

// Deletes D's element tuples and their vector chunks, page by page.
double remove_deleted(Relation index, BufferAccessStrategy strategy, const Scan& s) {
    std::vector<ItemPointerData> chunks;
    double removed = 0;
    if (s.deleted.empty()) return 0;
    // Before any slot is freed: a freed slot can hold another element
    // later, so element caches made under the old epoch must not be used by
    // scans that start from now on (hnsw_element_cache.hpp).
    pg_call([&] { modify_meta(index, [](MetaPageData* meta) { ++meta->cache_epoch; }); });
    std::vector<Id> sorted(s.deleted.begin(), s.deleted.end());
    std::sort(sorted.begin(), sorted.end());
    std::size_t i = 0;
    while (i < sorted.size()) {
        BlockNumber blk = static_cast<BlockNumber>(sorted[i] >> 16);
        std::size_t j = i;
        while (j < sorted.size() && static_cast<BlockNumber>(sorted[j] >> 16) == blk) ++j;
        pg_call([&] {
            Buffer buf = ReadBufferExtended(index, MAIN_FORKNUM, blk, RBM_NORMAL, strategy);
            LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
            GenericXLogState* state = GenericXLogStart(index);
            Page page = GenericXLogRegisterBuffer(state, buf, 0);
            // Highest offsets first keeps the remaining offsets valid.
            for (std::size_t k = j; k-- > i;) {
                OffsetNumber off = static_cast<OffsetNumber>(sorted[k] & 0xFFFF);
                ElementHeader* e = element_in_page(page, off);
                if (e == nullptr || !(e->flags & kFlagDeleted)) continue;
                if (!e->vector_inline && ItemPointerIsValid(&e->first_chunk)) chunks.push_back(e->first_chunk);
                PageIndexTupleDeleteNoCompact(page, off);
                removed += 1;
            }
            GenericXLogFinish(state);
            UnlockReleaseBuffer(buf);
        });
        i = j;
    }
    for (ItemPointerData first : chunks) pg_call([&] { delete_vector_chunks(index, first, strategy); });
    return removed;
}

// The layer-0 lists of the live elements, for the reachability pass. Built
// page by page while inserts run (no index-wide lock: building the map is
// most of the pass's time, and inserts used to wait for it), with each
// page's LSN as read; refresh_layer0 then brings it up to date under the
// metapage's exclusive lock by re-reading only the pages whose LSN moved.
// Every change to an element page is a generic WAL record, which sets the
// page's LSN, so a page whose LSN did not move holds what was read. An index
// that is not WAL-logged (unlogged, temporary) keeps its LSNs, so there the
// map is built under the exclusive lock as a whole (relink_unreachable's
// caller decides).
struct Layer0Snapshot {
    std::unordered_map<Id, std::vector<Id>> adjacency;
    std::vector<XLogRecPtr> lsn;  // by block, as read
    double live = 0;
    bool any_deleted = false;  // an element flagged deleted was seen
};

// Records the live elements of element page `page` (locked) into `adjacency`.
void read_layer0(Page page, BlockNumber blk, const ElementLayout& layout, Layer0Snapshot& snap) {
    for_each_element_in_page(page, [&](OffsetNumber off, ElementHeader* e) {
        if (e->flags & kFlagDeleted) {
            snap.any_deleted = true;
            return;
        }
        ElementView view{e, &layout};
        auto& list = snap.adjacency[element_id(blk, off)];
        int n = std::min<int>(view.counts()[0], layout.max_links(0));
        for (int i = 0; i < n; ++i) list.push_back(pack_tid(view.links(0)[i]));
        snap.live += 1;
    });
}

void snapshot_layer0(Relation index, BufferAccessStrategy strategy, const ElementLayout& layout, Layer0Snapshot& snap) {
    snap.adjacency.clear();
    snap.live = 0;
    snap.any_deleted = false;
    snap.lsn.clear();
    for_each_page(index, strategy, BUFFER_LOCK_SHARE, [&](BlockNumber blk, Buffer, Page page) {
        if (snap.lsn.size() <= blk) snap.lsn.resize(blk + 1, InvalidXLogRecPtr);
        snap.lsn[blk] = PageGetLSN(page);
        read_layer0(page, blk, layout, snap);
    });
}

// Under the metapage's exclusive lock (no element page changes meanwhile):
// re-reads the pages changed or added since snapshot_layer0, so the map is
// the graph as it is now. Returns the pages re-read.
BlockNumber refresh_layer0(Relation index, BufferAccessStrategy strategy, const ElementLayout& layout,
                           Layer0Snapshot& snap) {
    BlockNumber nblocks = pg_call([&] { return RelationGetNumberOfBlocks(index); });
    std::vector<BlockNumber> changed;
    for (BlockNumber blk = 1; blk < nblocks; ++blk) {
        pg_call([&] {
            Buffer buf = ReadBufferExtended(index, MAIN_FORKNUM, blk, RBM_NORMAL, strategy);
            LockBuffer(buf, BUFFER_LOCK_SHARE);
            if (blk >= snap.lsn.size() || PageGetLSN(BufferGetPage(buf)) != snap.lsn[blk]) changed.push_back(blk);
            UnlockReleaseBuffer(buf);
        });
    }
    if (changed.empty()) return 0;
    // Forget what those pages held, then read them again.
    for (auto it = snap.adjacency.begin(); it != snap.adjacency.end();) {
        auto blk = static_cast<BlockNumber>(it->first >> 16);
        if (std::binary_search(changed.begin(), changed.end(), blk)) {
            it = snap.adjacency.erase(it);
            snap.live -= 1;
        } else {
            ++it;
        }
    }
    for (BlockNumber blk : changed) {
        pg_call([&] {
            Buffer buf = ReadBufferExtended(index, MAIN_FORKNUM, blk, RBM_NORMAL, strategy);
            LockBuffer(buf, BUFFER_LOCK_SHARE);
            read_layer0(BufferGetPage(buf), blk, layout, snap);
            UnlockReleaseBuffer(buf);
        });
    }
    return static_cast<BlockNumber>(changed.size());
}

// Under the metapage's exclusive lock, with `snap` current (see
// Layer0Snapshot): every live element must be reachable on layer 0 from the
// entry point (ties among duplicate vectors can leave a repaired
// neighbourhood with no way in, and inserts can leave islands: see
// repair_and_remove_deleted). Unreachable ones get an incoming link from a
// reachable neighbour found by searching for them.
double relink_unreachable(Relation index, const ElementLayout& layout, Layer0Snapshot& snap, PageGraph& g,
                          VectorCache& vectors, const core::GraphDistance& dist, core::Metric metric,
                          int ef_construction) {
    auto& adjacency = snap.adjacency;
    MetaPageData meta;
    pg_call([&] { read_meta(index, &meta); });
    if (!ItemPointerIsValid(&meta.entry) || adjacency.empty()) return 0;
    Id entry = pack_tid(meta.entry);
    std::unordered_set<Id> reached;
    std::vector<Id> todo;
    auto spread = [&](Id from) {
        reached.insert(from);
        todo.assign(1, from);
        while (!todo.empty()) {
            Id id = todo.back();
            todo.pop_back();
            auto it = adjacency.find(id);
            if (it == adjacency.end()) continue;
            for (Id to : it->second)
                if (adjacency.count(to) && reached.insert(to).second) todo.push_back(to);
        }
    };
    spread(entry);
    if (reached.size() == adjacency.size()) return 0;

    double fixed = 0;
    std::vector<float> query(static_cast<std::size_t>(layout.dims));
    core::NearHeap<Id> frontier;
    core::FarHeap<Id> found;
    std::vector<ItemPointerData> links;
    std::vector<Id> unreached;
    // A relink may cut off a link of the element it brings in (when all of
    // that element's links lead into the unreachable part), so passes repeat
    // while they make progress.
    for (int pass = 0; pass < 8 && reached.size() < adjacency.size(); ++pass) {
        double fixed_before = fixed;
        unreached.clear();
        for (const auto& kv : adjacency)
            if (!reached.count(kv.first)) unreached.push_back(kv.first);
        std::sort(unreached.begin(), unreached.end());
        for (Id u : unreached) {
            if (reached.count(u)) continue;
            pg_call([] { CHECK_FOR_INTERRUPTS(); });
            vectors.trim();  // no vector pointer is held between elements
            if (!g.copy_vector(u, query.data())) continue;
            PageGraph search(index, layout.m, layout.dims, metric);
            search.set_query(query.data());
            search.reset_visited(1024);
            search.visit(entry);
            Cand start{search.distance(entry), entry};
            Cand cur = start;
            for (int l = meta.entry_level; l > 0; --l) cur = core::greedy_closest(search, cur, l);
            // The upper layers lead to u's own neighbourhood, which may be
            // the part cut off on layer 0: a layer-0 search from there finds
            // no reachable element to link from. Then start from the entry
            // point, whose layer-0 walk stays within the reachable part.
            if (!reached.count(cur.id)) cur = start;
            search.new_round();
            search.visit(cur.id);
            core::search_layer(search, {cur}, ef_construction, 0, frontier, found);
            std::vector<Cand> near(found.items().begin(), found.items().end());
            core::sort_closest_first(near);
            for (const auto& c : near) {
                if (c.id == u || !reached.count(c.id)) continue;
                if (!force_in_link(index, g, vectors, dist, c.id, u, [&](Id t) { return reached.count(t) > 0; }))
                    continue;
                for (Id changed : {c.id, u})
                    if (read_links(index, layout, changed, 0, links)) {
                        auto& list = adjacency[changed];
                        list.clear();
                        for (const auto& t : links) list.push_back(pack_tid(t));
                    }
                fixed += 1;
                spread(u);  // u was unreachable, so the link it lost cut off nothing reachable
                break;
            }
        }
        if (fixed == fixed_before) break;
    }
    return fixed;
}

void set_entry(Relation index, bool valid, Id entry, int level, double live) {
    modify_meta(index, [&](MetaPageData* meta) {
        if (valid) {
            meta->entry = unpack_tid(entry);
            meta->entry_level = static_cast<int16>(level);
        } else {
            ItemPointerSetInvalid(&meta->entry);
            meta->entry_level = -1;
        }
        meta->element_count = static_cast<uint64>(live);
    });
}

// The reachability pass on its own (nothing to remove): the map is built
// while inserts run, then brought up to date and walked under the
// metapage's exclusive lock. False, without relinking, when the pages hold
// elements flagged deleted (left by a VACUUM that stopped between its
// halves): the caller then runs the whole repair, which removes them.
bool reachability_pass(Relation index, BufferAccessStrategy strategy, const ElementLayout& layout, PageGraph& g,
                       VectorCache& vectors, const core::GraphDistance& dist, core::Metric metric, int ef_construction,
                       RepairStats& out) {
    Layer0Snapshot snap;
    bool wal = RelationNeedsWAL(index);
    if (wal) {
        snapshot_layer0(index, strategy, layout, snap);
        if (snap.any_deleted) return false;
    }
    pg_call([&] { LockPage(index, kMetaBlock, ExclusiveLock); });
    if (wal)
        refresh_layer0(index, strategy, layout, snap);
    else
        snapshot_layer0(index, strategy, layout, snap);
    bool done = !snap.any_deleted;
    if (done) {
        out.live_elements = snap.live;
        out.relinked += relink_unreachable(index, layout, snap, g, vectors, dist, metric, ef_construction);
    }
    pg_call([&] { UnlockPage(index, kMetaBlock, ExclusiveLock); });
    return done;
}

}  // namespace

RepairStats repair_and_remove_deleted(Relation index, BufferAccessStrategy strategy, bool bulk_delete_ran) {
    MetaPageData meta;
    read_meta(index, &meta);
    RepairStats out{0, 0, 0};
    if (meta.dims == 0) return out;
    ElementLayout layout{meta.m, static_cast<int>(meta.dims)};
    auto metric = static_cast<core::Metric>(meta.metric);

    return guarded([&] {
        core::GraphDistance dist = core::GraphDistance::for_metric(metric);
        PageGraph g(index, meta.m, static_cast<int>(meta.dims), metric);
        VectorCache vectors(g);
        bool wal = RelationNeedsWAL(index);
        // Nothing was flagged in this VACUUM, but inserts can leave an
        // element without a way in: the check before a link is dropped
        // looks only at the element's neighbours, which can themselves be
        // reachable only through it (docs/hnsw.md, "Crash consistency").
        // VACUUM is where that is repaired, so it walks layer 0 either way;
        // the scan for deleted elements and the list repair are skipped.
        if (!bulk_delete_ran &&
            reachability_pass(index, strategy, layout, g, vectors, dist, metric, meta.ef_construction, out))
            return out;

        Scan s;
        scan_elements(index, strategy, layout, s, /*find_links=*/false);
        out.live_elements = s.live;
        if (s.deleted.empty()) {
            reachability_pass(index, strategy, layout, g, vectors, dist, metric, meta.ef_construction, out);
            out.live_elements = s.live;
            return out;
        }

        // Concurrently with inserts.
        scan_elements(index, strategy, layout, s, /*find_links=*/true);
        for (const auto& [element, level] : s.to_repair) {
            pg_call([] { CHECK_FOR_INTERRUPTS(); });
            if (repair_list(index, g, vectors, dist, s, element, level)) out.relinked += 1;
        }
        // The reachability pass's map, brought up to date after the removal.
        Layer0Snapshot snap;
        if (wal) snapshot_layer0(index, strategy, layout, snap);

        // Inserts wait from here on: catch links made since, move the entry
        // point, remove D.
        pg_call([&] { LockPage(index, kMetaBlock, ExclusiveLock); });
        scan_elements(index, strategy, layout, s, /*find_links=*/true);
        for (const auto& [element, level] : s.to_repair)
            if (repair_list(index, g, vectors, dist, s, element, level)) out.relinked += 1;
        MetaPageData now;
        pg_call([&] { read_meta(index, &now); });
        Id entry = pack_tid(now.entry);
        if (ItemPointerIsValid(&now.entry) && s.deleted.count(entry))
            pg_call([&] { set_entry(index, s.tallest_level >= 0, s.tallest, s.tallest_level, s.live); });
        out.removed = remove_deleted(index, strategy, s);
        if (wal)
            refresh_layer0(index, strategy, layout, snap);
        else
            snapshot_layer0(index, strategy, layout, snap);
        out.relinked += relink_unreachable(index, layout, snap, g, vectors, dist, metric, meta.ef_construction);
        pg_call([&] { UnlockPage(index, kMetaBlock, ExclusiveLock); });
        return out;
    });
}

}  // namespace rushdb::pg::hnsw

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
#include <unordered_set>
#include <vector>

#include "boundary.hpp"
#include "hnsw/metric.hpp"
#include "hnsw_graph_access.hpp"
#include "hnsw_links.hpp"
#include "hnsw_page.hpp"

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
    BlockNumber nblocks = pg_call([&] { return RelationGetNumberOfBlocks(index); });
    if (!find_links) s.live = 0;
    s.to_repair.clear();
    for (BlockNumber blk = 1; blk < nblocks; ++blk) {
        pg_call([&] {
            vacuum_delay_point();
            Buffer buf = ReadBufferExtended(index, MAIN_FORKNUM, blk, RBM_NORMAL, strategy);
            LockBuffer(buf, BUFFER_LOCK_SHARE);
            Page page = BufferGetPage(buf);
            if (page_kind(page) == kPageElements) {
                OffsetNumber max = PageGetMaxOffsetNumber(page);
                for (OffsetNumber off = FirstOffsetNumber; off <= max; ++off) {
                    ElementHeader* e = element_in_page(page, off);
                    if (e == nullptr) continue;
                    ItemPointerData tid;
                    ItemPointerSet(&tid, blk, off);
                    Id id = pack_tid(tid);
                    bool dead = (e->flags & kFlagDeleted) != 0;
                    if (!find_links) {
                        if (dead) {
                            s.deleted.insert(id);
                        } else {
                            s.live += 1;
                            if (e->level > s.tallest_level) {
                                s.tallest_level = e->level;
                                s.tallest = id;
                            }
                        }
                        continue;
                    }
                    if (dead) continue;
                    ElementView view{e, &layout};
                    for (int l = 0; l <= e->level; ++l) {
                        int n = std::min<int>(view.counts()[l], layout.max_links(l));
                        for (int i = 0; i < n; ++i)
                            if (s.deleted.count(pack_tid(view.links(l)[i]))) {
                                s.to_repair.emplace_back(id, l);
                                break;
                            }
                    }
                }
            }
            UnlockReleaseBuffer(buf);
        });
    }
}

// Recomputes element's list on `level` without its deleted neighbours.
bool repair_list(Relation index, PageGraph& g, VectorCache& vectors, const core::GraphDistance& dist,
                 const Scan& s, Id element, int level) {
    const ElementLayout& layout = g.layout();
    std::vector<ItemPointerData> current, hop;
    std::vector<Cand> candidates, chosen;
    for (int attempt = 0; attempt < 5; ++attempt) {
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
        select(candidates, static_cast<std::size_t>(layout.max_links(level)), vectors, dist, layout.dims, chosen);
        std::vector<ItemPointerData> next;
        for (const auto& c : chosen) next.push_back(unpack_tid(c.id));
        LinkWrite w = write_links(index, layout, element, level, current, next.data(), static_cast<int>(next.size()));
        if (w != LinkWrite::changed) return w == LinkWrite::written;
    }
    return false;
}

// Deletes D's element tuples and their vector chunks, page by page.
double remove_deleted(Relation index, BufferAccessStrategy strategy, const Scan& s) {
    std::vector<ItemPointerData> chunks;
    double removed = 0;
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
    // Chunk chains: follow `next` before deleting each chunk.
    for (ItemPointerData at : chunks) {
        while (ItemPointerIsValid(&at)) {
            ItemPointerData next;
            ItemPointerSetInvalid(&next);
            pg_call([&] {
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
            });
            at = next;
        }
    }
    return removed;
}

void set_entry(Relation index, bool valid, Id entry, int level, double live) {
    Buffer buf = ReadBuffer(index, kMetaBlock);
    LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
    GenericXLogState* state = GenericXLogStart(index);
    Page page = GenericXLogRegisterBuffer(state, buf, 0);
    MetaPageData* meta = meta_of(page);
    if (valid) {
        meta->entry = unpack_tid(entry);
        meta->entry_level = static_cast<int16>(level);
    } else {
        ItemPointerSetInvalid(&meta->entry);
        meta->entry_level = -1;
    }
    meta->element_count = static_cast<uint64>(live);
    GenericXLogFinish(state);
    UnlockReleaseBuffer(buf);
}

}  // namespace

RepairStats repair_and_remove_deleted(Relation index, BufferAccessStrategy strategy) {
    MetaPageData meta;
    read_meta(index, &meta);
    RepairStats out{0, 0, 0};
    if (meta.dims == 0) return out;
    ElementLayout layout{meta.m, static_cast<int>(meta.dims)};
    auto metric = static_cast<core::Metric>(meta.metric);

    return guarded([&] {
        Scan s;
        scan_elements(index, strategy, layout, s, /*find_links=*/false);
        out.live_elements = s.live;
        if (s.deleted.empty()) return out;

        core::GraphDistance dist = core::GraphDistance::for_metric(metric);
        PageGraph g(index, meta.m, static_cast<int>(meta.dims), metric);
        VectorCache vectors(g);

        // Concurrently with inserts.
        scan_elements(index, strategy, layout, s, /*find_links=*/true);
        for (const auto& [element, level] : s.to_repair) {
            pg_call([] { CHECK_FOR_INTERRUPTS(); });
            if (repair_list(index, g, vectors, dist, s, element, level)) out.relinked += 1;
        }

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
        pg_call([&] { UnlockPage(index, kMetaBlock, ExclusiveLock); });
        return out;
    });
}

}  // namespace rushdb::pg::hnsw

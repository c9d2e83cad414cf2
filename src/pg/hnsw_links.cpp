// Neighbour-list maintenance shared by insert and the VACUUM repair: the
// selection heuristic over page vectors, the incoming-link check and the
// locks that guard a dropped link, and the forced link that makes an
// element reachable again (see hnsw_links.hpp). Page access goes through
// hnsw_storage.
#include "hnsw_links.hpp"

#include <algorithm>
#include <limits>
#include <optional>

#include "boundary.hpp"
#include "hnsw/select_neighbors.hpp"

extern "C" {
#include "storage/lmgr.h"
}

namespace core = rushdb::hnsw;

namespace rushdb::pg::hnsw {

// Chooses up to max links among `sorted` (closest first) with the HNSW
// heuristic; distances between candidates come from their vectors.
void select(std::vector<Cand>& sorted, std::size_t max, VectorCache& vectors, const core::GraphDistance& dist, int dims,
            std::vector<Cand>& out) {
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
    core::select_neighbors(
        by_pos, max,
        [&](uint32_t a, uint32_t b) {
            if (!ptrs[a] || !ptrs[b]) return std::numeric_limits<float>::infinity();
            return dist(ptrs[a], ptrs[b], n);
        },
        chosen);
    out.clear();
    for (const auto& c : chosen) out.push_back(sorted[c.id]);
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
        if (read_links(index, layout, yid, 0, theirs) && links_contain(theirs, x)) return true;
    }
    return false;
}

bool force_in_link(Relation index, PageGraph& g, VectorCache& vectors, const core::GraphDistance& dist, Id r, Id u,
                   const std::function<bool(Id)>& reachable) {
    const ElementLayout& layout = g.layout();
    std::size_t max = static_cast<std::size_t>(layout.max_links(0));
    std::size_t dims = static_cast<std::size_t>(layout.dims);
    ItemPointerData u_tid = unpack_tid(u);
    std::vector<ItemPointerData> rcur, ucur;
    std::vector<Id> replaced;
    DropLocks locks;
    return retry_on_change([&]() -> std::optional<bool> {
        if (!read_links(index, layout, r, 0, rcur) || !read_links(index, layout, u, 0, ucur)) return false;
        if (links_contain(rcur, u)) return true;
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
            if (!links_contain(ucur, pack_tid(w)) && pack_tid(w) != u) {
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
                        return std::nullopt;
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
                return std::nullopt;
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
            return std::nullopt;
        }
        LinkWrite rw = write_links(index, layout, r, 0, rcur, rnext.data(), static_cast<int>(rnext.size()));
        if (rw == LinkWrite::written) return true;
        if (rw == LinkWrite::gone) return false;
        return std::nullopt;
    });
}

}  // namespace rushdb::pg::hnsw

// The HNSW layer search (Malkov & Yashunin, algorithm 2), written once over
// a graph "access" policy so the same code walks the in-memory build graph
// and the index's buffer pages.
//
// An Access type provides:
//   using Id = ...;                                     node reference
//   bool visit(Id id);                  true the first time id is seen
//   float distance(Id id);              distance from the current query
//   void distances(const Id* ids, std::size_t n, float* out);
//                                        the same for a batch (a page-based
//                                        graph pins and prefetches them all
//                                        first, overlapping memory latency)
//   template <class F> void for_each_neighbor(Id id, int level, F f);
//                                        calls f(Id) for each neighbour
//   bool usable(Id id);                 may be returned (false: deleted)
// `for_each_neighbor` may skip ids it cannot read; `distance` may return
// +infinity for an element that vanished under a concurrent vacuum.
#pragma once

#include <limits>
#include <vector>

#include "hnsw/candidates.hpp"

namespace rushdb::hnsw {

// The neighbours of `id` on `level` (only those not visited yet when
// `only_new`), measured in one batch.
template <class Access>
void measure_neighbors(Access& g, typename Access::Id id, int level, bool only_new,
                       std::vector<typename Access::Id>& ids, std::vector<float>& dists) {
    using Id = typename Access::Id;
    ids.clear();
    g.for_each_neighbor(id, level, [&](Id n) {
        if (!only_new || g.visit(n)) ids.push_back(n);
    });
    dists.resize(ids.size());
    if (!ids.empty()) g.distances(ids.data(), ids.size(), dists.data());
}

// Greedy descent with ef = 1 on upper layers: returns the closest node found.
template <class Access>
Candidate<typename Access::Id> greedy_closest(Access& g, Candidate<typename Access::Id> start, int level) {
    using Id = typename Access::Id;
    Candidate<Id> best = start;
    std::vector<Id> ids;
    std::vector<float> dists;
    bool improved = true;
    while (improved) {
        improved = false;
        measure_neighbors(g, best.id, level, /*only_new=*/false, ids, dists);
        Candidate<Id> next = best;
        for (std::size_t i = 0; i < ids.size(); ++i)
            if (dists[i] < next.distance) next = Candidate<Id>{dists[i], ids[i]};
        if (next.id != best.id) {
            best = next;
            improved = true;
        }
    }
    return best;
}

// Expands from `entry` (already visited and measured) and leaves the best
// `ef` usable nodes in `found` (a far-first heap). `frontier` is scratch.
template <class Access>
void search_layer(Access& g, const std::vector<Candidate<typename Access::Id>>& entry, int ef, int level,
                  NearHeap<typename Access::Id>& frontier, FarHeap<typename Access::Id>& found) {
    using Id = typename Access::Id;
    frontier.clear();
    found.clear();
    for (const auto& c : entry) {
        frontier.push(c);
        if (g.usable(c.id)) found.push(c);
    }
    while (static_cast<int>(found.size()) > ef) found.pop();

    std::vector<Id> ids;
    std::vector<float> dists;
    while (!frontier.empty()) {
        Candidate<Id> current = frontier.top();
        float bound =
            static_cast<int>(found.size()) >= ef ? found.top().distance : std::numeric_limits<float>::infinity();
        if (current.distance > bound) break;
        frontier.pop();
        measure_neighbors(g, current.id, level, /*only_new=*/true, ids, dists);
        for (std::size_t i = 0; i < ids.size(); ++i) {
            Id n = ids[i];
            float d = dists[i];
            float limit =
                static_cast<int>(found.size()) >= ef ? found.top().distance : std::numeric_limits<float>::infinity();
            if (d < limit) {
                // Deleted nodes still route the search but are never results.
                frontier.push(Candidate<Id>{d, n});
                if (g.usable(n)) {
                    found.push(Candidate<Id>{d, n});
                    if (static_cast<int>(found.size()) > ef) found.pop();
                }
            }
        }
    }
}

}  // namespace rushdb::hnsw

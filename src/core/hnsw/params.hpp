// HNSW construction parameters and their limits (shared by the SQL options
// validation and the core).
#pragma once

#include <cmath>
#include <cstddef>

namespace rushdb::hnsw {

constexpr int kMinM = 2;
constexpr int kMaxM = 100;
constexpr int kMinEfConstruction = 4;
constexpr int kMaxEfConstruction = 1000;
constexpr int kMaxLevel = 16;  // levels above this are capped (p < 16^-16)

struct Params {
    int m = 16;                // links per node on upper layers
    int ef_construction = 64;  // candidate list size while building
    bool keep_pruned = true;   // fill neighbour lists with pruned candidates (SelectRule)

    int max_links(int level) const noexcept { return level == 0 ? 2 * m : m; }
    // Level distribution multiplier mL = 1 / ln(M): expected nodes per layer
    // shrink by a factor M going up.
    double level_multiplier() const noexcept { return 1.0 / std::log(static_cast<double>(m)); }
};

}  // namespace rushdb::hnsw

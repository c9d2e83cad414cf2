// Distances between sparse vectors: sorted (index, value) lists of the same
// dimension count, merged with two cursors so the cost is nnz(a) + nnz(b),
// whatever the dimension count. An index present on one side only meets a
// zero on the other.
//
// Sums are kept in double, like rushdb.vector's exact path (exact.hpp): a
// float32 value squared always fits a double, so no result overflows where
// the true value is finite, and the answers match the dense type's for the
// same values. (pgvector sums sparsevec in float32; the difference is the
// one docs/vector.md lists for vector.)
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

namespace rushdb::distance::sparse {

// One sparse operand: nnz indices (0-based, strictly ascending) and values.
struct View {
    const int32_t* indices;
    const float* values;
    std::size_t nnz;
};

// Calls both(x, y) for an index on both sides, only_a(x) / only_b(y) for one
// present on one side, in ascending index order.
template <typename Both, typename OnlyA, typename OnlyB>
inline void merge(View a, View b, Both both, OnlyA only_a, OnlyB only_b) noexcept {
    std::size_t i = 0, j = 0;
    while (i < a.nnz && j < b.nnz) {
        if (a.indices[i] == b.indices[j]) {
            both(a.values[i++], b.values[j++]);
        } else if (a.indices[i] < b.indices[j]) {
            only_a(a.values[i++]);
        } else {
            only_b(b.values[j++]);
        }
    }
    for (; i < a.nnz; ++i) only_a(a.values[i]);
    for (; j < b.nnz; ++j) only_b(b.values[j]);
}

inline double squared_norm(View a) noexcept {
    double s = 0.0;
    for (std::size_t i = 0; i < a.nnz; ++i) s += static_cast<double>(a.values[i]) * a.values[i];
    return s;
}

// The product only needs the common indices: skip ahead on either side.
inline double inner_product(View a, View b) noexcept {
    double s = 0.0;
    std::size_t i = 0, j = 0;
    while (i < a.nnz && j < b.nnz) {
        if (a.indices[i] == b.indices[j]) {
            s += static_cast<double>(a.values[i++]) * b.values[j++];
        } else if (a.indices[i] < b.indices[j]) {
            ++i;
        } else {
            ++j;
        }
    }
    return s;
}

inline double l2_squared(View a, View b) noexcept {
    double s = 0.0;
    merge(
        a, b,
        [&](float x, float y) {
            double d = static_cast<double>(x) - y;
            s += d * d;
        },
        [&](float x) { s += static_cast<double>(x) * x; }, [&](float y) { s += static_cast<double>(y) * y; });
    return s;
}

inline double l1(View a, View b) noexcept {
    double s = 0.0;
    merge(
        a, b, [&](float x, float y) { s += std::fabs(static_cast<double>(x) - y); },
        [&](float x) { s += std::fabs(static_cast<double>(x)); }, [&](float y) { s += std::fabs(static_cast<double>(y)); });
    return s;
}

// 1 - cos(a, b), clamped to [0, 2]; NaN when either side is all zeros (no
// direction), as for the dense types.
inline double cosine_distance(View a, View b) noexcept {
    double na = squared_norm(a), nb = squared_norm(b);
    if (na == 0.0 || nb == 0.0) return std::nan("");
    double c = inner_product(a, b) / std::sqrt(na * nb);
    if (c > 1.0) c = 1.0;
    if (c < -1.0) c = -1.0;
    return 1.0 - c;
}

}  // namespace rushdb::distance::sparse

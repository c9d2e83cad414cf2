// How the HNSW graph measures closeness. Inside the graph every metric is a
// "smaller is closer" float computed by one raw kernel:
//   l2            -> squared Euclidean distance
//   cosine        -> -(a.b) on vectors normalised at insert and query time
//   inner_product -> -(a.b)
// Squaring and negation keep the order of the user-visible distance, so the
// graph never pays for a sqrt or a division; scans convert at the edge.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "distance/kernels.hpp"

namespace rushdb::hnsw {

enum class Metric : std::uint8_t { l2 = 1, cosine = 2, inner_product = 3 };

struct GraphDistance {
    Metric metric;
    distance::L2SquaredFn l2;
    distance::InnerProductFn ip;

    static GraphDistance for_metric(Metric m) noexcept {
        const distance::KernelSet& k = distance::active();
        return GraphDistance{m, k.l2_squared, k.inner_product};
    }

    float operator()(const float* a, const float* b, std::size_t n) const noexcept {
        return metric == Metric::l2 ? l2(a, b, n) : -ip(a, b, n);
    }
};

// Prepares a vector for the graph in place. Returns false when the vector
// cannot be indexed under this metric (a zero vector has no direction, so it
// is skipped under cosine).
inline bool prepare_vector(Metric m, float* v, std::size_t n) noexcept {
    if (m != Metric::cosine) return true;
    double sum = 0.0;
    for (std::size_t i = 0; i < n; ++i) sum += static_cast<double>(v[i]) * v[i];
    if (!(sum > 0.0)) return false;
    double inv = 1.0 / std::sqrt(sum);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<float>(v[i] * inv);
    return true;
}

}  // namespace rushdb::hnsw

// How the HNSW graph measures closeness. Inside the graph every metric is a
// "smaller is closer" float computed by one raw kernel:
//   l2            -> squared Euclidean distance
//   cosine        -> -(a.b) on vectors normalised at insert and query time
//   inner_product -> -(a.b)
//   l1            -> sum |a_i - b_i| (taxicab; no normalisation)
// Squaring and negation keep the order of the user-visible distance, so the
// graph never pays for a sqrt or a division; scans convert at the edge.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "distance/kernels.hpp"

namespace rushdb::hnsw {

// The codes are stored in the index's meta page: never renumber them.
enum class Metric : std::uint8_t { l2 = 1, cosine = 2, inner_product = 3, l1 = 4 };

constexpr int kFirstMetric = 1;
constexpr int kLastMetric = 4;

// One kernel and a sign: every metric is `sign * kernel(a, b)` (the negation
// of the inner product is exact), so the hot loop has no branch on the metric.
struct GraphDistance {
    Metric metric;
    distance::L2SquaredFn kernel;  // all three kernel types share this signature
    float sign;

    static GraphDistance for_metric(Metric m) noexcept {
        const distance::KernelSet& k = distance::active();
        switch (m) {
            case Metric::l2:
                return GraphDistance{m, k.l2_squared, 1.0f};
            case Metric::l1:
                return GraphDistance{m, k.l1, 1.0f};
            case Metric::cosine:
            case Metric::inner_product:
                break;
        }
        return GraphDistance{m, k.inner_product, -1.0f};
    }

    float operator()(const float* a, const float* b, std::size_t n) const noexcept { return sign * kernel(a, b, n); }
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

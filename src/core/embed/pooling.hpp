// Pooling of several embeddings into one, for string-array properties:
// RushDB embeds each item of a string[] value and stores the mean of the item
// vectors, re-normalised to unit length.
//
// mean_pool(vectors):
//   - every vector must have the same length and only finite components
//     (std::invalid_argument otherwise); an empty list gives an empty vector (the caller knows the
//     dimension count and decides: usually "no vector" for an empty array);
//   - the mean is summed in double precision in list order, so the result is
//     deterministic; it is then divided by its L2 norm;
//   - zero vectors (items without features, e.g. "" or "!!!") take part in
//     the mean; since the result is re-normalised they change nothing unless
//     every item is zero, in which case the result is the zero vector;
//   - items that cancel exactly also give the zero vector.
// Provider-independent: works on any embedder's output.
#pragma once

#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <vector>

namespace rushdb::embed {

inline std::vector<float> mean_pool(const std::vector<std::vector<float>>& vectors) {
    if (vectors.empty()) return {};
    const std::size_t dims = vectors.front().size();
    std::vector<double> sum(dims, 0.0);
    for (const auto& v : vectors) {
        if (v.size() != dims)
            throw std::invalid_argument("mean_pool: vectors have different dimension counts");
        for (std::size_t i = 0; i < dims; ++i) {
            if (!std::isfinite(v[i])) throw std::invalid_argument("mean_pool: NaN or infinite component");
            sum[i] += v[i];
        }
    }
    // The mean's direction is the sum's; dividing by the count first would
    // only change rounding, so normalise the sum directly.
    double sum_sq = 0.0;
    for (double x : sum) {
        const double sq = x * x;
        sum_sq += sq;
    }
    std::vector<float> out(dims, 0.0f);
    if (!(sum_sq > 0.0)) return out;  // finite floats cannot overflow a double sum of squares
    const double norm = std::sqrt(sum_sq);
    for (std::size_t i = 0; i < dims; ++i) out[i] = static_cast<float>(sum[i] / norm);
    return out;
}

}  // namespace rushdb::embed

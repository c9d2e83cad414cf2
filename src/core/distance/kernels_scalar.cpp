// Plain-loop kernels: the reference the SIMD variants are tested and
// benchmarked against, and the fallback on CPUs without a compiled variant.
// A single float accumulator, summed in index order, is what a straightforward
// C loop does; the compiler may not vectorise it without -ffast-math.
#include <cmath>

#include "distance/kernels.hpp"

namespace rushdb::distance {
namespace {

float l2_squared_scalar(const float* a, const float* b, std::size_t n) noexcept {
    float sum = 0.0f;
    for (std::size_t i = 0; i < n; ++i) {
        float d = a[i] - b[i];
        sum += d * d;
    }
    return sum;
}

float inner_product_scalar(const float* a, const float* b, std::size_t n) noexcept {
    float sum = 0.0f;
    for (std::size_t i = 0; i < n; ++i) sum += a[i] * b[i];
    return sum;
}

float l1_scalar(const float* a, const float* b, std::size_t n) noexcept {
    float sum = 0.0f;
    for (std::size_t i = 0; i < n; ++i) sum += std::fabs(a[i] - b[i]);
    return sum;
}

DotAndNorms dot_and_norms_scalar(const float* a, const float* b, std::size_t n) noexcept {
    DotAndNorms r{0.0f, 0.0f, 0.0f};
    for (std::size_t i = 0; i < n; ++i) {
        r.dot += a[i] * b[i];
        r.norm_a_sq += a[i] * a[i];
        r.norm_b_sq += b[i] * b[i];
    }
    return r;
}

}  // namespace

const KernelSet* kernels_scalar() noexcept {
    static constexpr KernelSet set{"scalar",   &l2_squared_scalar,    &inner_product_scalar,
                                   &l1_scalar, &dot_and_norms_scalar, &half_to_float_portable};
    return &set;
}

}  // namespace rushdb::distance

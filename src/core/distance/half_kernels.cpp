// Block-wise conversion to float32, then the float kernels (see
// half_kernels.hpp). Compiled without extra -m flags: the instruction-set
// specific work happens inside the kernel set's function pointers.
#include "distance/half_kernels.hpp"

#include "distance/half.hpp"

namespace rushdb::distance {

void half_to_float_portable(const std::uint16_t* in, float* out, std::size_t n) noexcept {
    half_to_float_loop(in, out, n);
}

namespace {

// Calls step(fa, fb, m) for each block of up to kHalfBlock converted
// elements of a and b.
template <class Step>
void for_each_block(const KernelSet& k, const std::uint16_t* a, const std::uint16_t* b, std::size_t n,
                    Step step) noexcept {
    float fa[kHalfBlock];
    float fb[kHalfBlock];
    for (std::size_t i = 0; i < n; i += kHalfBlock) {
        std::size_t m = n - i < kHalfBlock ? n - i : kHalfBlock;
        k.half_to_float(a + i, fa, m);
        k.half_to_float(b + i, fb, m);
        step(fa, fb, m);
    }
}

template <class Kernel>
float sum_over_blocks(const KernelSet& k, Kernel kernel, const std::uint16_t* a, const std::uint16_t* b,
                      std::size_t n) noexcept {
    float sum = 0.0f;
    for_each_block(k, a, b, n, [&](const float* fa, const float* fb, std::size_t m) { sum += kernel(fa, fb, m); });
    return sum;
}

}  // namespace

float l2_squared_half(const KernelSet& k, const std::uint16_t* a, const std::uint16_t* b, std::size_t n) noexcept {
    return sum_over_blocks(k, k.l2_squared, a, b, n);
}

float inner_product_half(const KernelSet& k, const std::uint16_t* a, const std::uint16_t* b, std::size_t n) noexcept {
    return sum_over_blocks(k, k.inner_product, a, b, n);
}

float l1_half(const KernelSet& k, const std::uint16_t* a, const std::uint16_t* b, std::size_t n) noexcept {
    return sum_over_blocks(k, k.l1, a, b, n);
}

DotAndNorms dot_and_norms_half(const KernelSet& k, const std::uint16_t* a, const std::uint16_t* b,
                               std::size_t n) noexcept {
    DotAndNorms r{0.0f, 0.0f, 0.0f};
    for_each_block(k, a, b, n, [&](const float* fa, const float* fb, std::size_t m) {
        DotAndNorms p = k.dot_and_norms(fa, fb, m);
        r.dot += p.dot;
        r.norm_a_sq += p.norm_a_sq;
        r.norm_b_sq += p.norm_b_sq;
    });
    return r;
}

}  // namespace rushdb::distance

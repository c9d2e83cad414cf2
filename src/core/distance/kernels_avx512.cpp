// Compiled with -mavx512f -mavx512dq (xsimd 8.1 reduces avx512f batches with a
// DQ instruction); used only when the CPU reports both.
// This file must only instantiate templates keyed on the arch tag, so no
// non-template inline function compiled with wider instructions can be picked
// by the linker for another translation unit.
#if defined(__x86_64__)
#include <immintrin.h>

#include <cstring>

#include "distance/kernels_simd.hpp"

namespace rushdb::distance {
namespace {

// AVX-512F: sixteen halves per vcvtph2ps; the tail through a padded block.
// The zero-masked form with a full mask: GCC 12's unmasked intrinsic passes
// an undefined source vector that -Wmaybe-uninitialized reports.
void half_to_float_avx512(const std::uint16_t* in, float* out, std::size_t n) noexcept {
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(out + i,
                         _mm512_maskz_cvtph_ps(0xffff, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + i))));
    if (i < n) {
        std::uint16_t h[16] = {};
        float f[16];
        std::memcpy(h, in + i, (n - i) * sizeof h[0]);
        _mm512_storeu_ps(f, _mm512_maskz_cvtph_ps(0xffff, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(h))));
        std::memcpy(out + i, f, (n - i) * sizeof f[0]);
    }
}

}  // namespace

const KernelSet* kernels_avx512() noexcept {
    static constexpr KernelSet set = simd::Kernels<xsimd::avx512f>::make("avx512f", &half_to_float_avx512);
    return &set;
}

}  // namespace rushdb::distance
#endif

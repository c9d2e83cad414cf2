// Compiled with -mavx2 -mfma -mf16c; used only when the CPU reports all three.
// This file must only instantiate templates keyed on the arch tag, so no
// non-template inline function compiled with wider instructions can be picked
// by the linker for another translation unit.
#if defined(__x86_64__)
#include <immintrin.h>

#include <cstring>

#include "distance/kernels_simd.hpp"

namespace rushdb::distance {
namespace {

// F16C: eight halves per vcvtph2ps. The tail goes through a zero-padded
// block rather than half.hpp's inline converter, which must not be compiled
// here (see above).
void half_to_float_f16c(const std::uint16_t* in, float* out, std::size_t n) noexcept {
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i))));
    if (i < n) {
        std::uint16_t h[8] = {};
        float f[8];
        std::memcpy(h, in + i, (n - i) * sizeof h[0]);
        _mm256_storeu_ps(f, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h))));
        std::memcpy(out + i, f, (n - i) * sizeof f[0]);
    }
}

}  // namespace

const KernelSet* kernels_avx2() noexcept {
    static constexpr KernelSet set = simd::Kernels<xsimd::fma3<xsimd::avx2>>::make("avx2+fma", &half_to_float_f16c);
    return &set;
}

}  // namespace rushdb::distance
#endif

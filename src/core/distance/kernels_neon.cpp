// Built only on arm64 (NEON is baseline there).
// This file must only instantiate templates keyed on the arch tag, so no
// non-template inline function compiled with wider instructions can be picked
// by the linker for another translation unit.
#if defined(__aarch64__)
#include <arm_neon.h>

#include <cstring>

#include "distance/kernels_simd.hpp"

namespace rushdb::distance {
namespace {

// fcvtl: four halves per instruction (baseline on arm64); the tail through
// a padded block.
void half_to_float_neon(const std::uint16_t* in, float* out, std::size_t n) noexcept {
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) vst1q_f32(out + i, vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(in + i))));
    if (i < n) {
        std::uint16_t h[4] = {};
        float f[4];
        std::memcpy(h, in + i, (n - i) * sizeof h[0]);
        vst1q_f32(f, vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(h))));
        std::memcpy(out + i, f, (n - i) * sizeof f[0]);
    }
}

}  // namespace

const KernelSet* kernels_neon() noexcept {
    static constexpr KernelSet set = simd::Kernels<xsimd::neon64>::make("neon", &half_to_float_neon);
    return &set;
}

}  // namespace rushdb::distance
#endif

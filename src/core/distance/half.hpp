// IEEE 754 binary16 ("half") values: the element type of rushdb.halfvec.
//
// Conversions are exact and portable (no F16C needed): half -> float is
// exact by construction, float -> half rounds to nearest, ties to even, the
// rounding F16C's vcvtps2ph and ARM's fcvt use, so a value converted here
// and one converted by hardware are the same bits. The SIMD distance path
// converts blocks with the instruction set's own converter
// (KernelSet::half_to_float) and runs the float32 kernels on them.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace rushdb::distance {

using Half = std::uint16_t;

// Largest finite half (0x7bff).
constexpr float kHalfMax = 65504.0f;

inline float half_to_float(Half h) noexcept {
    std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
    std::uint32_t exp = (h >> 10) & 0x1fu;
    std::uint32_t mant = h & 0x3ffu;
    std::uint32_t bits;
    if (exp == 0) {
        // Zero or subnormal: mant * 2^-24, exact in float.
        float f = static_cast<float>(mant) * 5.9604644775390625e-8f;
        return sign ? -f : f;
    }
    if (exp == 31)
        bits = sign | 0x7f800000u | (mant << 13);  // infinity or NaN (payload kept)
    else
        bits = sign | ((exp + 112u) << 23) | (mant << 13);
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

// Rounds to nearest, ties to even. |f| >= 65520 becomes infinity (65520 is
// the tie between 65504 and 2^16 and goes to the even one, infinity); NaN
// stays a quiet NaN. Callers that must not store infinity check the result.
inline Half float_to_half(float f) noexcept {
    std::uint32_t x;
    std::memcpy(&x, &f, sizeof x);
    auto sign = static_cast<Half>((x >> 16) & 0x8000u);
    std::uint32_t ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u) return static_cast<Half>(sign | 0x7c00u | (ax > 0x7f800000u ? 0x200u : 0u));
    if (ax >= 0x477ff000u) return static_cast<Half>(sign | 0x7c00u);  // >= 65520
    if (ax < 0x38800000u) {
        // Below the smallest normal half (2^-14): a multiple of 2^-24.
        // Scaling by 2^24 is exact; nearbyint rounds ties to even in the
        // default rounding mode. 1024 is the smallest normal, which is what
        // its bits mean, so no special case is needed.
        float a;
        std::memcpy(&a, &ax, sizeof a);
        auto m = static_cast<std::uint32_t>(std::nearbyint(a * 16777216.0f));
        return static_cast<Half>(sign | m);
    }
    std::uint32_t mant = ax & 0x7fffffu;
    std::uint32_t h = (((ax >> 23) - 112u) << 10) | (mant >> 13);
    std::uint32_t rest = mant & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;  // a carry moves into the exponent, as it should
    return static_cast<Half>(sign | h);
}

inline bool half_is_finite(Half h) noexcept { return (h & 0x7c00u) != 0x7c00u; }

// Plain conversion loop: the fallback converter of the kernel sets without
// a hardware one (scalar, SSE2).
inline void half_to_float_loop(const Half* in, float* out, std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i) out[i] = half_to_float(in[i]);
}

}  // namespace rushdb::distance

// xsimd implementations of the distance kernels, templated on the xsimd
// architecture tag. Included only by the per-architecture translation units
// (kernels_<arch>.cpp), each compiled with the matching -m flags, so that the
// generic code is instantiated once per instruction set.
//
// Four independent accumulators hide the FMA latency (4 cycles on current
// x86 cores): with one accumulator the loop would be latency-bound at a
// quarter of the machine's throughput.
#pragma once

#include <cmath>
#include <cstddef>

#include <xsimd/xsimd.hpp>

#include "distance/kernels.hpp"

namespace rushdb::distance::simd {

template <class Arch>
struct Kernels {
    using Batch = xsimd::batch<float, Arch>;
    static constexpr std::size_t W = Batch::size;
    static constexpr std::size_t kUnroll = 4;

    static float l2_squared(const float* a, const float* b, std::size_t n) noexcept {
        Batch s0(0.0f), s1(0.0f), s2(0.0f), s3(0.0f);
        std::size_t i = 0;
        for (; i + kUnroll * W <= n; i += kUnroll * W) {
            Batch d0 = Batch::load_unaligned(a + i) - Batch::load_unaligned(b + i);
            Batch d1 = Batch::load_unaligned(a + i + W) - Batch::load_unaligned(b + i + W);
            Batch d2 = Batch::load_unaligned(a + i + 2 * W) - Batch::load_unaligned(b + i + 2 * W);
            Batch d3 = Batch::load_unaligned(a + i + 3 * W) - Batch::load_unaligned(b + i + 3 * W);
            s0 = xsimd::fma(d0, d0, s0);
            s1 = xsimd::fma(d1, d1, s1);
            s2 = xsimd::fma(d2, d2, s2);
            s3 = xsimd::fma(d3, d3, s3);
        }
        for (; i + W <= n; i += W) {
            Batch d = Batch::load_unaligned(a + i) - Batch::load_unaligned(b + i);
            s0 = xsimd::fma(d, d, s0);
        }
        float sum = xsimd::hadd((s0 + s1) + (s2 + s3));
        for (; i < n; ++i) {
            float d = a[i] - b[i];
            sum += d * d;
        }
        return sum;
    }

    static float inner_product(const float* a, const float* b, std::size_t n) noexcept {
        Batch s0(0.0f), s1(0.0f), s2(0.0f), s3(0.0f);
        std::size_t i = 0;
        for (; i + kUnroll * W <= n; i += kUnroll * W) {
            s0 = xsimd::fma(Batch::load_unaligned(a + i), Batch::load_unaligned(b + i), s0);
            s1 = xsimd::fma(Batch::load_unaligned(a + i + W), Batch::load_unaligned(b + i + W), s1);
            s2 = xsimd::fma(Batch::load_unaligned(a + i + 2 * W), Batch::load_unaligned(b + i + 2 * W), s2);
            s3 = xsimd::fma(Batch::load_unaligned(a + i + 3 * W), Batch::load_unaligned(b + i + 3 * W), s3);
        }
        for (; i + W <= n; i += W) s0 = xsimd::fma(Batch::load_unaligned(a + i), Batch::load_unaligned(b + i), s0);
        float sum = xsimd::hadd((s0 + s1) + (s2 + s3));
        for (; i < n; ++i) sum += a[i] * b[i];
        return sum;
    }

    static float l1(const float* a, const float* b, std::size_t n) noexcept {
        Batch s0(0.0f), s1(0.0f), s2(0.0f), s3(0.0f);
        std::size_t i = 0;
        for (; i + kUnroll * W <= n; i += kUnroll * W) {
            s0 += xsimd::abs(Batch::load_unaligned(a + i) - Batch::load_unaligned(b + i));
            s1 += xsimd::abs(Batch::load_unaligned(a + i + W) - Batch::load_unaligned(b + i + W));
            s2 += xsimd::abs(Batch::load_unaligned(a + i + 2 * W) - Batch::load_unaligned(b + i + 2 * W));
            s3 += xsimd::abs(Batch::load_unaligned(a + i + 3 * W) - Batch::load_unaligned(b + i + 3 * W));
        }
        for (; i + W <= n; i += W) s0 += xsimd::abs(Batch::load_unaligned(a + i) - Batch::load_unaligned(b + i));
        float sum = xsimd::hadd((s0 + s1) + (s2 + s3));
        for (; i < n; ++i) sum += std::fabs(a[i] - b[i]);
        return sum;
    }

    // Two accumulators per quantity: three quantities already give six
    // independent FMA chains, enough to saturate the FMA ports.
    static DotAndNorms dot_and_norms(const float* a, const float* b, std::size_t n) noexcept {
        Batch d0(0.0f), d1(0.0f), na0(0.0f), na1(0.0f), nb0(0.0f), nb1(0.0f);
        std::size_t i = 0;
        for (; i + 2 * W <= n; i += 2 * W) {
            Batch x0 = Batch::load_unaligned(a + i), y0 = Batch::load_unaligned(b + i);
            Batch x1 = Batch::load_unaligned(a + i + W), y1 = Batch::load_unaligned(b + i + W);
            d0 = xsimd::fma(x0, y0, d0);
            d1 = xsimd::fma(x1, y1, d1);
            na0 = xsimd::fma(x0, x0, na0);
            na1 = xsimd::fma(x1, x1, na1);
            nb0 = xsimd::fma(y0, y0, nb0);
            nb1 = xsimd::fma(y1, y1, nb1);
        }
        for (; i + W <= n; i += W) {
            Batch x = Batch::load_unaligned(a + i), y = Batch::load_unaligned(b + i);
            d0 = xsimd::fma(x, y, d0);
            na0 = xsimd::fma(x, x, na0);
            nb0 = xsimd::fma(y, y, nb0);
        }
        DotAndNorms r{xsimd::hadd(d0 + d1), xsimd::hadd(na0 + na1), xsimd::hadd(nb0 + nb1)};
        for (; i < n; ++i) {
            r.dot += a[i] * b[i];
            r.norm_a_sq += a[i] * a[i];
            r.norm_b_sq += b[i] * b[i];
        }
        return r;
    }

    static constexpr KernelSet make(const char* name, HalfToFloatFn half_to_float) {
        return KernelSet{name, &l2_squared, &inner_product, &l1, &dot_and_norms, half_to_float};
    }
};

}  // namespace rushdb::distance::simd

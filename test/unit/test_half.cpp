// IEEE binary16 conversions (half.hpp) and the halfvec distances
// (half_kernels.hpp) on every kernel variant the CPU runs.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "distance/half.hpp"
#include "distance/half_kernels.hpp"
#include "distance/kernels.hpp"

using namespace rushdb::distance;

namespace {

std::uint32_t bits_of(float f) {
    std::uint32_t x;
    std::memcpy(&x, &f, sizeof x);
    return x;
}

// The value a half's bits mean, straight from IEEE 754's definition (no bit
// tricks), as the reference for the fast converter.
double half_value(Half h) {
    int sign = (h & 0x8000) ? -1 : 1;
    int exp = (h >> 10) & 0x1f;
    int mant = h & 0x3ff;
    if (exp == 0) return sign * std::ldexp(mant, -24);
    if (exp == 31) return mant ? NAN : sign * INFINITY;
    return sign * std::ldexp(1024 + mant, exp - 25);
}

std::vector<const KernelSet*> supported_sets() {
    std::vector<const KernelSet*> sets;
    for (std::size_t i = 0; i < variant_count(); ++i)
        if (variant(i).supported) sets.push_back(variant(i).set);
    return sets;
}

}  // namespace

TEST(Half, EveryHalfConvertsExactlyAndRoundTrips) {
    for (std::uint32_t h = 0; h <= 0xffff; ++h) {
        auto half = static_cast<Half>(h);
        float f = half_to_float(half);
        double expected = half_value(half);
        if (std::isnan(expected)) {
            ASSERT_TRUE(std::isnan(f)) << h;
            continue;
        }
        ASSERT_EQ(static_cast<double>(f), expected) << h;
        ASSERT_EQ(std::signbit(f), (h & 0x8000) != 0) << h;
        ASSERT_EQ(float_to_half(f), half) << h;  // exact values convert back to themselves
    }
}

TEST(Half, RoundsToNearestTiesToEven) {
    // Between 1 (0x3c00) and its successor 1 + 2^-10 (0x3c01).
    EXPECT_EQ(float_to_half(1.0f + std::ldexp(1.0f, -11)), 0x3c00);      // tie, to the even 0x3c00
    EXPECT_EQ(float_to_half(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);  // tie between 0x3c01 and 0x3c02
    EXPECT_EQ(float_to_half(1.0f + std::ldexp(1.0f, -11) + std::ldexp(1.0f, -20)), 0x3c01);  // just above the tie
    EXPECT_EQ(float_to_half(1.0f + std::ldexp(1.0f, -11) - std::ldexp(1.0f, -20)), 0x3c00);
    // A carry into the exponent: just below 2 rounds up to 2 (0x4000).
    EXPECT_EQ(float_to_half(std::nextafter(2.0f, 0.0f)), 0x4000);
    // The largest finite half, the tie above it, and beyond.
    EXPECT_EQ(float_to_half(65504.0f), 0x7bff);
    EXPECT_EQ(float_to_half(65519.99f), 0x7bff);
    EXPECT_EQ(float_to_half(65520.0f), 0x7c00);  // the tie goes to the even one: infinity
    EXPECT_EQ(float_to_half(-1e10f), 0xfc00);
    EXPECT_FALSE(half_is_finite(float_to_half(65520.0f)));
    EXPECT_TRUE(half_is_finite(float_to_half(65504.0f)));
    // Subnormals: multiples of 2^-24, ties to even, underflow to (signed) zero.
    EXPECT_EQ(float_to_half(std::ldexp(1.0f, -24)), 0x0001);
    EXPECT_EQ(float_to_half(std::ldexp(1.0f, -25)), 0x0000);      // tie between 0 and 1, to 0
    EXPECT_EQ(float_to_half(3 * std::ldexp(1.0f, -25)), 0x0002);  // tie between 1 and 2, to 2
    EXPECT_EQ(float_to_half(-std::ldexp(1.0f, -30)), 0x8000);
    EXPECT_EQ(float_to_half(std::ldexp(1.0f, -14)), 0x0400);     // the smallest normal
    EXPECT_EQ(float_to_half(std::ldexp(1023.5f, -24)), 0x0400);  // rounds up into the normals
    // Infinity and NaN.
    EXPECT_EQ(float_to_half(INFINITY), 0x7c00);
    Half nan = float_to_half(NAN);
    EXPECT_EQ(nan & 0x7c00, 0x7c00);
    EXPECT_NE(nan & 0x03ff, 0);
}

// Against the definition for random floats across the whole half range:
// the result is the nearest half, and on a tie the even one.
TEST(Half, RandomFloatsRoundToTheNearestHalf) {
    std::mt19937 rng(7);
    std::uniform_int_distribution<std::uint32_t> any;
    for (int i = 0; i < 200000; ++i) {
        std::uint32_t x = any(rng);
        float f;
        std::memcpy(&f, &x, sizeof f);
        if (!std::isfinite(f) || std::fabs(f) >= 65520.0f) continue;
        Half h = float_to_half(f);
        double got = half_value(h), err = std::fabs(got - f);
        // Neighbours of h in magnitude.
        auto mag = static_cast<Half>(h & 0x7fff);
        double up = mag < 0x7bff ? half_value(static_cast<Half>(mag + 1)) : INFINITY;
        double down = mag > 0 ? half_value(static_cast<Half>(mag - 1)) : 0.0;
        double af = std::fabs(f);
        ASSERT_LE(err, std::fabs(up - af)) << f;
        ASSERT_LE(err, std::fabs(af - down)) << f;
        if (err == std::fabs(up - af) || (mag > 0 && err == std::fabs(af - down) && err > 0)) {
            ASSERT_EQ(h & 1, 0) << "tie not to even for " << f;
        }
    }
}

TEST(Half, EveryKernelSetConvertsLikeTheReference) {
    std::vector<Half> all(65536 + 13);
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<Half>(i & 0xffff);
    for (const KernelSet* k : supported_sets()) {
        // Every length up to 40 (each tail size), then everything at once.
        for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{3}, std::size_t{7}, std::size_t{8},
                              std::size_t{15}, std::size_t{16}, std::size_t{17}, std::size_t{40}, all.size()}) {
            std::vector<float> out(n + 1, 12345.0f);
            k->half_to_float(all.data() + 5, out.data(), n);
            for (std::size_t i = 0; i < n; ++i) {
                float ref = half_to_float(all[5 + i]);
                if (std::isnan(ref))
                    ASSERT_TRUE(std::isnan(out[i])) << k->name;
                else
                    ASSERT_EQ(bits_of(out[i]), bits_of(ref)) << k->name << " at " << i;
            }
            ASSERT_EQ(out[n], 12345.0f) << k->name << ": wrote past the end for n = " << n;
        }
    }
}

// The half distances equal the float kernels on the converted vectors (the
// same kernels on the same values, blocked), within float rounding of the
// double reference, for lengths that cross block boundaries.
TEST(Half, DistancesMatchADoubleReferenceOnEveryKernelSet) {
    std::mt19937 rng(11);
    std::normal_distribution<float> g(0.0f, 3.0f);
    for (std::size_t n : {std::size_t{1}, std::size_t{5}, std::size_t{100}, std::size_t{256}, std::size_t{257},
                          std::size_t{1000}, std::size_t{16000}}) {
        std::vector<Half> a(n), b(n);
        for (std::size_t i = 0; i < n; ++i) {
            a[i] = float_to_half(g(rng));
            b[i] = float_to_half(g(rng));
        }
        double l2 = 0, ip = 0, l1 = 0, na = 0, nb = 0, abs_ip = 0;
        for (std::size_t i = 0; i < n; ++i) {
            double x = half_to_float(a[i]), y = half_to_float(b[i]);
            l2 += (x - y) * (x - y);
            ip += x * y;
            abs_ip += std::fabs(x * y);
            l1 += std::fabs(x - y);
            na += x * x;
            nb += y * y;
        }
        double tol = (n + 2) * FLT_EPSILON;
        for (const KernelSet* k : supported_sets()) {
            EXPECT_NEAR(l2_squared_half(*k, a.data(), b.data(), n), l2, tol * l2) << k->name << " n=" << n;
            EXPECT_NEAR(inner_product_half(*k, a.data(), b.data(), n), ip, tol * abs_ip) << k->name << " n=" << n;
            EXPECT_NEAR(l1_half(*k, a.data(), b.data(), n), l1, tol * l1) << k->name << " n=" << n;
            DotAndNorms r = dot_and_norms_half(*k, a.data(), b.data(), n);
            EXPECT_NEAR(r.dot, ip, tol * abs_ip) << k->name;
            EXPECT_NEAR(r.norm_a_sq, na, tol * na) << k->name;
            EXPECT_NEAR(r.norm_b_sq, nb, tol * nb) << k->name;
        }
    }
}

TEST(Half, ExtremeHalvesDoNotOverflowFloat) {
    std::vector<Half> a(16000, 0x7bff), b(16000, 0xfbff);  // +65504 and -65504
    for (const KernelSet* k : supported_sets()) {
        float l2 = l2_squared_half(*k, a.data(), b.data(), a.size());
        EXPECT_TRUE(std::isfinite(l2)) << k->name;
        EXPECT_NEAR(l2, 16000.0 * 131008.0 * 131008.0, 1e-3 * l2) << k->name;
        EXPECT_TRUE(std::isfinite(inner_product_half(*k, a.data(), b.data(), a.size()))) << k->name;
    }
    std::vector<Half> tiny(3, 0x0001);  // the smallest subnormal
    for (const KernelSet* k : supported_sets())
        EXPECT_GT(dot_and_norms_half(*k, tiny.data(), tiny.data(), 3).norm_a_sq, 0.0f) << k->name;
}

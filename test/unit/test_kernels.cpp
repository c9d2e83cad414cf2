// Every compiled kernel variant the CPU can run, against a double-precision
// reference.
//
// Tolerance: for a sum of n float terms computed in any order (and with FMA),
// the rounding error is bounded by (n + 2) * FLT_EPSILON * sum|term| (the
// classic gamma_n bound), plus, for terms below FLT_MIN, the underflow of
// each product: rounded to a multiple of the smallest subnormal 2^-149, it
// is off by at most half of that (n * 2^-149 allows it twice over). Nothing
// else is allowed: a result is never accepted just for being tiny, so a
// kernel that flushes subnormals to zero fails wherever the true result is
// representable. The test asserts that bound; any lost or doubled element
// breaks it by orders of magnitude, and ToleranceRejectsAZeroResult checks
// that a kernel returning 0 would fail.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "distance/kernels.hpp"

using namespace rushdb::distance;

namespace {

struct Ref {
    double value;
    double abs_sum;  // sum of |term|, for the error bound
};

Ref ref_l2(const std::vector<float>& a, const std::vector<float>& b) {
    Ref r{0, 0};
    for (size_t i = 0; i < a.size(); ++i) {
        double d = double(a[i]) - double(b[i]);
        r.value += d * d;
        r.abs_sum += d * d;
    }
    return r;
}
Ref ref_ip(const std::vector<float>& a, const std::vector<float>& b) {
    Ref r{0, 0};
    for (size_t i = 0; i < a.size(); ++i) {
        double t = double(a[i]) * double(b[i]);
        r.value += t;
        r.abs_sum += std::fabs(t);
    }
    return r;
}
Ref ref_l1(const std::vector<float>& a, const std::vector<float>& b) {
    Ref r{0, 0};
    for (size_t i = 0; i < a.size(); ++i) {
        double t = std::fabs(double(a[i]) - double(b[i]));
        r.value += t;
        r.abs_sum += t;
    }
    return r;
}

constexpr double kSmallestSubnormal = 0x1p-149;  // FLT_TRUE_MIN

double bound(size_t n, double abs_sum) {
    return double(n + 2) * FLT_EPSILON * abs_sum + double(n) * kSmallestSubnormal;
}

bool within(double got, const Ref& r, size_t n) { return std::fabs(got - r.value) <= bound(n, r.abs_sum); }

std::vector<size_t> test_dims() {
    std::vector<size_t> dims;
    for (size_t d = 1; d <= 300; ++d) dims.push_back(d);
    dims.push_back(768);
    dims.push_back(1536);
    dims.push_back(4096);
    return dims;
}

// normal: N(0, 1). denormal: both vectors below FLT_MIN (differences are
// exact; products underflow to 0, which is then the right float answer).
// tiny: about 1e-20, so squares and products (about 1e-40) are subnormal.
// denormal_by_normal: a subnormal, b normal (products about 1e-39).
// large: squares about 1e30. mixed: subnormal, 1 and 1e12 magnitudes.
enum class Fill { normal, denormal, tiny, denormal_by_normal, large, mixed };
constexpr Fill kFills[] = {Fill::normal, Fill::denormal, Fill::tiny, Fill::denormal_by_normal,
                           Fill::large,  Fill::mixed};

float draw(std::mt19937& rng, Fill f, bool second) {
    std::normal_distribution<float> nd(0.0f, 1.0f);
    switch (f) {
        case Fill::normal:
            return nd(rng);
        case Fill::denormal:
            return nd(rng) * 1e-39f;
        case Fill::tiny:
            return nd(rng) * 1e-20f;
        case Fill::denormal_by_normal:
            return second ? nd(rng) : nd(rng) * 1e-39f;
        case Fill::large:
            return nd(rng) * 1e15f;
        case Fill::mixed: {
            float s = (rng() % 3 == 0) ? 1e-40f : (rng() % 2 ? 1e12f : 1.0f);
            return nd(rng) * s;
        }
    }
    return 0;
}

void fill_pair(std::vector<float>& a, std::vector<float>& b, std::mt19937& rng, Fill f) {
    for (auto& x : a) x = draw(rng, f, false);
    for (auto& x : b) x = draw(rng, f, true);
}

// One kernel result against its reference.
void expect_within(const char* what, double got, const Ref& r, size_t n) {
    EXPECT_TRUE(within(got, r, n)) << what << ": got " << got << ", reference " << r.value << ", bound "
                                   << bound(n, r.abs_sum);
}

void check_variant(const KernelSet& k) {
    std::mt19937 rng(42);
    for (Fill f : kFills) {
        for (size_t n : test_dims()) {
            std::vector<float> a(n), b(n);
            fill_pair(a, b, rng, f);
            SCOPED_TRACE(testing::Message() << k.name << " n=" << n << " fill=" << int(f));

            Ref l2 = ref_l2(a, b), ip = ref_ip(a, b), l1 = ref_l1(a, b), na = ref_ip(a, a), nb = ref_ip(b, b);
            expect_within("l2_squared", k.l2_squared(a.data(), b.data(), n), l2, n);
            expect_within("inner_product", k.inner_product(a.data(), b.data(), n), ip, n);
            expect_within("l1", k.l1(a.data(), b.data(), n), l1, n);
            DotAndNorms dn = k.dot_and_norms(a.data(), b.data(), n);
            expect_within("dot", dn.dot, ip, n);
            expect_within("norm_a_sq", dn.norm_a_sq, na, n);
            expect_within("norm_b_sq", dn.norm_b_sq, nb, n);
        }
    }
}

}  // namespace

TEST(Kernels, PrintsChosenInstructionSet) {
    std::printf("[ kernels ] active: %s; compiled:", active().name);
    for (size_t i = 0; i < variant_count(); ++i)
        std::printf(" %s%s", variant(i).set->name, variant(i).supported ? "" : "(cpu lacks it)");
    std::printf("\n");
    // The chosen set must be the best one the CPU supports.
    const KernelSet* best = nullptr;
    for (size_t i = 0; i < variant_count(); ++i)
        if (variant(i).supported) best = variant(i).set;
    EXPECT_EQ(&active(), best);
}

TEST(Kernels, EveryRunnableVariantMatchesReference) {
    size_t tested = 0;
    for (size_t i = 0; i < variant_count(); ++i) {
        KernelVariant v = variant(i);
        if (!v.supported) {
            std::printf("[ kernels ] skipping %s: not supported by this CPU\n", v.set->name);
            continue;
        }
        check_variant(*v.set);
        ++tested;
    }
    EXPECT_GE(tested, 2u);  // at least scalar + the native baseline
}

// The tolerance above must not accept a kernel that returns 0: for sums of
// non-negative terms (l2, l1, squared norms) whenever the true result is
// more than its underflow allowance, which is every case but the products
// of two subnormals (those round to 0 in float); for inner products, whose
// terms cancel, in nearly every case.
TEST(Kernels, ToleranceRejectsAZeroResult) {
    std::mt19937 rng(42);
    for (Fill f : kFills) {
        size_t positive = 0, positive_accepted = 0, ip_cases = 0, ip_accepted = 0;
        for (size_t n : test_dims()) {
            std::vector<float> a(n), b(n);
            fill_pair(a, b, rng, f);
            for (const Ref& r : {ref_l2(a, b), ref_l1(a, b), ref_ip(a, a), ref_ip(b, b)}) {
                if (r.value <= 4 * double(n) * kSmallestSubnormal) continue;  // rounds to (almost) 0 in float
                ++positive;
                if (within(0.0, r, n)) ++positive_accepted;
            }
            Ref ip = ref_ip(a, b);
            if (std::fabs(ip.value) > 4 * double(n) * kSmallestSubnormal) {
                ++ip_cases;
                if (within(0.0, ip, n)) ++ip_accepted;
            }
        }
        SCOPED_TRACE(testing::Message() << "fill=" << int(f));
        EXPECT_EQ(positive_accepted, 0u) << "of " << positive;
        // Every fill has cases to reject (in `denormal`, the l1 of every
        // length; its squares and products round to nothing).
        EXPECT_GE(positive, test_dims().size());
        EXPECT_LE(ip_accepted * 20, ip_cases) << ip_accepted << " of " << ip_cases;  // at most 5%
        if (f != Fill::denormal) {
            EXPECT_GE(ip_cases, test_dims().size() * 9 / 10);
        }
        std::printf(
            "[ kernels ] fill %d: a zero result passes %zu of %zu non-negative sums, %zu of %zu inner products\n",
            int(f), positive_accepted, positive, ip_accepted, ip_cases);
    }
}

TEST(Kernels, OverflowGivesInfinityNotGarbage) {
    std::vector<float> a(64, 3e38f), b(64, -3e38f);
    for (size_t i = 0; i < variant_count(); ++i) {
        if (!variant(i).supported) continue;
        const KernelSet& k = *variant(i).set;
        EXPECT_TRUE(std::isinf(k.l2_squared(a.data(), b.data(), 64))) << k.name;
        EXPECT_TRUE(std::isinf(k.l1(a.data(), b.data(), 64))) << k.name;
    }
}

TEST(Kernels, CosineOfZeroVectorIsNaN) {
    std::vector<float> z(10, 0.0f), a(10, 1.0f);
    EXPECT_TRUE(std::isnan(cosine_distance(z.data(), a.data(), 10)));
    EXPECT_TRUE(std::isnan(cosine_distance(z.data(), z.data(), 10)));
    EXPECT_NEAR(cosine_distance(a.data(), a.data(), 10), 0.0, 1e-7);
}

TEST(Kernels, CosineStaysInRange) {
    std::vector<float> a(3, 0.1f), neg(3, -0.1f);
    double same = cosine_distance(a.data(), a.data(), 3);
    double opposite = cosine_distance(a.data(), neg.data(), 3);
    EXPECT_GE(same, 0.0);
    EXPECT_LE(opposite, 2.0);
    EXPECT_NEAR(opposite, 2.0, 1e-6);
}

TEST(Kernels, SelectByName) {
    EXPECT_TRUE(select_by_name("scalar"));
    EXPECT_STREQ(active().name, "scalar");
    EXPECT_FALSE(select_by_name("no-such-isa"));
    EXPECT_STREQ(active().name, "scalar");
    EXPECT_TRUE(select_by_name("auto"));
    EXPECT_STRNE(active().name, "scalar");
}

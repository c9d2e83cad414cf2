// Every compiled kernel variant the CPU can run, against a double-precision
// reference.
//
// Tolerance: for a sum of n float terms computed in any order (and with FMA),
// the rounding error is bounded by (n + 2) * FLT_EPSILON * sum|term| (the
// classic gamma_n bound). The test asserts that bound; any lost or doubled
// element breaks it by orders of magnitude.
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

double bound(size_t n, double abs_sum) {
    // + a denormal-sized absolute slack: FMA and separate multiply round
    // differently below FLT_MIN.
    return double(n + 2) * FLT_EPSILON * abs_sum + 1e-38;
}

std::vector<size_t> test_dims() {
    std::vector<size_t> dims;
    for (size_t d = 1; d <= 300; ++d) dims.push_back(d);
    dims.push_back(768);
    dims.push_back(1536);
    dims.push_back(4096);
    return dims;
}

enum class Fill { normal, denormal, large, mixed };

void fill(std::vector<float>& v, std::mt19937& rng, Fill f) {
    std::normal_distribution<float> nd(0.0f, 1.0f);
    for (auto& x : v) {
        switch (f) {
            case Fill::normal: x = nd(rng); break;
            case Fill::denormal: x = nd(rng) * 1e-39f; break;   // below FLT_MIN
            case Fill::large: x = nd(rng) * 1e15f; break;        // squares ~1e30
            case Fill::mixed: {
                float s = (rng() % 3 == 0) ? 1e-40f : (rng() % 2 ? 1e12f : 1.0f);
                x = nd(rng) * s;
                break;
            }
        }
    }
}

void check_variant(const KernelSet& k) {
    std::mt19937 rng(42);
    for (Fill f : {Fill::normal, Fill::denormal, Fill::large, Fill::mixed}) {
        for (size_t n : test_dims()) {
            std::vector<float> a(n), b(n);
            fill(a, rng, f);
            fill(b, rng, f);
            SCOPED_TRACE(testing::Message() << k.name << " n=" << n << " fill=" << int(f));

            Ref l2 = ref_l2(a, b);
            EXPECT_NEAR(k.l2_squared(a.data(), b.data(), n), l2.value, bound(n, l2.abs_sum));
            Ref ip = ref_ip(a, b);
            EXPECT_NEAR(k.inner_product(a.data(), b.data(), n), ip.value, bound(n, ip.abs_sum));
            Ref l1r = ref_l1(a, b);
            EXPECT_NEAR(k.l1(a.data(), b.data(), n), l1r.value, bound(n, l1r.abs_sum));

            DotAndNorms dn = k.dot_and_norms(a.data(), b.data(), n);
            Ref na = ref_ip(a, a), nb = ref_ip(b, b);
            EXPECT_NEAR(dn.dot, ip.value, bound(n, ip.abs_sum));
            EXPECT_NEAR(dn.norm_a_sq, na.value, bound(n, na.abs_sum));
            EXPECT_NEAR(dn.norm_b_sq, nb.value, bound(n, nb.abs_sum));
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

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "distance/exact.hpp"
#include "distance/sparse.hpp"

namespace sp = rushdb::distance::sparse;
namespace ex = rushdb::distance::exact;

namespace {

struct Sparse {
    std::vector<int32_t> idx;
    std::vector<float> val;
    sp::View view() const { return sp::View{idx.data(), val.data(), idx.size()}; }
};

Sparse from_dense(const std::vector<float>& d) {
    Sparse s;
    for (std::size_t i = 0; i < d.size(); ++i)
        if (d[i] != 0.0f) {
            s.idx.push_back(static_cast<int32_t>(i));
            s.val.push_back(d[i]);
        }
    return s;
}

// A random dense vector with about `density` of its elements non-zero.
std::vector<float> random_dense(std::mt19937& rng, std::size_t n, double density) {
    std::uniform_real_distribution<float> value(-3.0f, 3.0f);
    std::bernoulli_distribution present(density);
    std::vector<float> d(n, 0.0f);
    for (auto& x : d)
        if (present(rng)) x = value(rng);
    return d;
}

}  // namespace

// Every distance equals the dense exact distance of the same values, on
// overlapping, disjoint, empty and identical patterns.
TEST(SparseDistance, MatchesDenseExact) {
    std::mt19937 rng(42);
    for (int round = 0; round < 500; ++round) {
        std::size_t n = 1 + rng() % 300;
        double da = (round % 5) * 0.25, db = ((round / 5) % 5) * 0.25;
        auto a = random_dense(rng, n, da), b = random_dense(rng, n, db);
        if (round % 7 == 0) b = a;
        Sparse sa = from_dense(a), sb = from_dense(b);
        EXPECT_NEAR(sp::l2_squared(sa.view(), sb.view()), ex::l2_squared(a.data(), b.data(), n), 1e-9);
        EXPECT_NEAR(sp::inner_product(sa.view(), sb.view()), ex::inner_product(a.data(), b.data(), n), 1e-9);
        EXPECT_NEAR(sp::l1(sa.view(), sb.view()), ex::l1(a.data(), b.data(), n), 1e-9);
        double c = sp::cosine_distance(sa.view(), sb.view()), e = ex::cosine_distance(a.data(), b.data(), n);
        if (std::isnan(e)) {
            EXPECT_TRUE(std::isnan(c));
        } else {
            EXPECT_NEAR(c, e, 1e-9);
        }
    }
}

TEST(SparseDistance, ZeroVectorCosineIsNaN) {
    Sparse empty, one{{3}, {2.0f}};
    EXPECT_TRUE(std::isnan(sp::cosine_distance(empty.view(), one.view())));
    EXPECT_TRUE(std::isnan(sp::cosine_distance(one.view(), empty.view())));
    EXPECT_EQ(sp::l2_squared(empty.view(), one.view()), 4.0);
    EXPECT_EQ(sp::l1(one.view(), empty.view()), 2.0);
    EXPECT_EQ(sp::inner_product(empty.view(), empty.view()), 0.0);
}

// Sums past float32's range stay finite (double accumulation).
TEST(SparseDistance, NoFloatOverflow) {
    Sparse a{{0, 5}, {3e38f, 1e20f}}, b{{0, 5}, {-3e38f, 1e20f}};
    EXPECT_NEAR(sp::l2_squared(a.view(), b.view()), 3.6e77, 1e72);
    EXPECT_NEAR(sp::inner_product(a.view(), b.view()), -9e76 + 1e40, 1e72);
    EXPECT_TRUE(std::isfinite(sp::l1(a.view(), b.view())));
    EXPECT_NEAR(sp::cosine_distance(a.view(), a.view()), 0.0, 1e-12);
}

TEST(SparseDistance, CosineClampedForParallelVectors) {
    Sparse a{{1, 2, 9}, {0.1f, 0.2f, 0.3f}};
    double c = sp::cosine_distance(a.view(), a.view());
    EXPECT_GE(c, 0.0);
    EXPECT_NEAR(c, 0.0, 1e-12);
}

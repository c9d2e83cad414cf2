// The in-memory HNSW graph: recall against brute force on clustered data,
// serial and parallel builds, and the structural invariants every graph must
// keep (no self links, no duplicates, bounded degree, reachability).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <queue>
#include <random>
#include <set>
#include <vector>

#include "hnsw/memory_graph.hpp"

using namespace rushdb::hnsw;

namespace {

// n points around n/50 centres: centre ~ N(0, 2^2), point = centre + N(0, 1).
std::vector<float> clustered(std::size_t n, std::size_t d, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> centre_dist(0.0f, 2.0f), noise(0.0f, 1.0f);
    std::size_t centres = std::max<std::size_t>(1, n / 50);
    std::vector<float> c(centres * d);
    for (auto& x : c) x = centre_dist(rng);
    std::vector<float> v(n * d);
    for (std::size_t i = 0; i < n; ++i) {
        std::size_t k = rng() % centres;
        for (std::size_t j = 0; j < d; ++j) v[i * d + j] = c[k * d + j] + noise(rng);
    }
    return v;
}

std::vector<std::uint32_t> brute_force(const MemoryGraph& g, const float* q, std::size_t k) {
    std::vector<float> qq(q, q + g.dims());
    prepare_vector(g.metric(), qq.data(), g.dims());
    GraphDistance dist = GraphDistance::for_metric(g.metric());
    std::vector<std::pair<float, std::uint32_t>> all;
    for (std::uint32_t i = 0; i < g.size(); ++i) all.push_back({dist(qq.data(), g.vector(i), g.dims()), i});
    std::partial_sort(all.begin(), all.begin() + k, all.end());
    std::vector<std::uint32_t> ids;
    for (std::size_t i = 0; i < k; ++i) ids.push_back(all[i].second);
    return ids;
}

double recall_at_10(const MemoryGraph& g, const std::vector<float>& queries, std::size_t nq, int ef) {
    double hits = 0;
    for (std::size_t qi = 0; qi < nq; ++qi) {
        const float* q = &queries[qi * g.dims()];
        auto truth = brute_force(g, q, 10);
        auto got = g.search(q, 10, ef);
        std::set<std::uint32_t> t(truth.begin(), truth.end());
        for (auto& c : got) hits += t.count(c.id);
    }
    return hits / (10.0 * nq);
}

void check_invariants(const MemoryGraph& g) {
    const bool metric_space = g.metric() != Metric::inner_product;
    for (std::uint32_t id = 0; id < g.size(); ++id) {
        for (int l = 0; l <= g.level(id); ++l) {
            std::size_t n = g.link_count(id, l);
            ASSERT_LE(n, static_cast<std::size_t>(g.params().max_links(l)));
            std::set<std::uint32_t> seen;
            for (std::size_t i = 0; i < n; ++i) {
                std::uint32_t other = g.links(id, l)[i].id;
                ASSERT_NE(other, id) << "self link";
                ASSERT_LT(other, g.size());
                ASSERT_GE(g.level(other), l) << "link to a node absent from the layer";
                ASSERT_TRUE(seen.insert(other).second) << "duplicate link";
            }
        }
    }
    // Every node is reachable from the entry point on layer 0. Not so for
    // inner product: it is not a metric, and a short vector is nobody's
    // nearest neighbour (not even its own), so pruning may orphan it.
    if (!metric_space) return;
    std::vector<char> reached(g.size(), 0);
    std::queue<std::uint32_t> todo;
    todo.push(g.entry_point());
    reached[g.entry_point()] = 1;
    std::size_t count = 1;
    while (!todo.empty()) {
        std::uint32_t id = todo.front();
        todo.pop();
        for (std::size_t i = 0; i < g.link_count(id, 0); ++i) {
            std::uint32_t o = g.links(id, 0)[i].id;
            if (!reached[o]) {
                reached[o] = 1;
                ++count;
                todo.push(o);
            }
        }
    }
    EXPECT_EQ(count, g.size()) << "nodes unreachable from the entry point";
}

struct Case {
    Metric metric;
    int threads;
};

class HnswMemory : public ::testing::TestWithParam<Case> {};

}  // namespace

TEST_P(HnswMemory, RecallAndInvariants) {
    const std::size_t n = 5000, d = 32, nq = 100;
    auto data = clustered(n + nq, d, 11);
    Params p;
    p.m = 12;
    p.ef_construction = 64;
    MemoryGraph g(GetParam().metric, d, p);
    for (std::size_t i = 0; i < n; ++i) ASSERT_NE(g.add(&data[i * d]), MemoryGraph::kNone);
    ASSERT_TRUE(g.build(GetParam().threads));
    check_invariants(g);
    std::vector<float> queries(data.begin() + n * d, data.end());
    double r = recall_at_10(g, queries, nq, 64);
    EXPECT_GE(r, 0.95) << "recall@10 at ef=64";
    // A bigger ef never hurts much and should approach exact.
    EXPECT_GE(recall_at_10(g, queries, nq, 400), 0.99);
}

INSTANTIATE_TEST_SUITE_P(Metrics, HnswMemory,
                         ::testing::Values(Case{Metric::l2, 1}, Case{Metric::cosine, 1}, Case{Metric::inner_product, 1},
                                           Case{Metric::l2, 4}, Case{Metric::cosine, 3}));

TEST(HnswMemoryBasics, ZeroVectorIsNotIndexedUnderCosine) {
    MemoryGraph g(Metric::cosine, 3, Params{});
    float zero[3] = {0, 0, 0}, one[3] = {1, 0, 0};
    EXPECT_EQ(g.add(zero), MemoryGraph::kNone);
    EXPECT_EQ(g.add(one), 0u);
    EXPECT_EQ(g.size(), 1u);
    ASSERT_TRUE(g.build(1));
    auto r = g.search(one, 5, 10);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].id, 0u);
}

TEST(HnswMemoryBasics, EmptyAndTinyGraphs) {
    MemoryGraph g(Metric::l2, 2, Params{});
    float q[2] = {0, 0};
    EXPECT_TRUE(g.build(2));
    EXPECT_TRUE(g.search(q, 5, 10).empty());
    float a[2] = {1, 1}, b[2] = {2, 2};
    g.add(a);
    g.add(b);
    ASSERT_TRUE(g.build(2));
    auto r = g.search(q, 5, 10);
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0].id, 0u);
    EXPECT_FLOAT_EQ(r[0].distance, 2.0f);
}

// Cancelling from the progress callback stops the build there: build
// returns false, the callback is not called again, and only the nodes
// inserted by then are in the graph (a node in the graph has layer-0 links;
// one never inserted has none).
TEST(HnswMemoryBasics, CancelStopsTheBuild) {
    auto data = clustered(5000, 8, 3);
    auto linked = [](const MemoryGraph& g) {
        std::size_t n = 0;
        for (std::size_t i = 0; i < g.size(); ++i) n += g.link_count(static_cast<MemoryGraph::Id>(i), 0) > 0;
        return n;
    };
    for (int threads : {1, 2}) {
        SCOPED_TRACE(testing::Message() << threads << " thread(s)");
        MemoryGraph g(Metric::l2, 8, Params{});
        for (std::size_t i = 0; i < 5000; ++i) g.add(&data[i * 8]);
        std::vector<std::size_t> calls;
        bool complete = g.build(threads, [&](std::size_t done) {
            calls.push_back(done);
            return true;  // cancel at the first report
        });
        EXPECT_FALSE(complete);
        ASSERT_EQ(calls.size(), 1u) << "the build went on reporting after it was cancelled";
        // The caller reports after its own 1,000th insertion; another thread
        // finishes at most the insertion it is in.
        if (threads == 1) {
            EXPECT_EQ(calls[0], 1000u);
        }
        EXPECT_GE(calls[0], 1000u);
        EXPECT_LE(linked(g), calls[0] + threads) << "nodes were inserted after the cancel";
        EXPECT_GE(linked(g), calls[0] - 1);
    }
    // Not cancelling: every node is inserted and the callback sees the end.
    MemoryGraph g(Metric::l2, 8, Params{});
    for (std::size_t i = 0; i < 5000; ++i) g.add(&data[i * 8]);
    std::size_t last = 0;
    EXPECT_TRUE(g.build(2, [&](std::size_t done) {
        last = done;
        return false;
    }));
    EXPECT_EQ(last, 5000u);
    EXPECT_EQ(linked(g), 5000u);
}

TEST(HnswMemoryBasics, MemoryEstimateCoversActualUse) {
    auto data = clustered(20000, 16, 5);
    Params p;
    MemoryGraph g(Metric::l2, 16, p);
    for (std::size_t i = 0; i < 20000; ++i) g.add(&data[i * 16]);
    ASSERT_TRUE(g.build(2));
    // Chunk rounding aside, the per-element estimate bounds real use.
    EXPECT_LE(g.memory_used(),
              20000 * MemoryGraph::bytes_per_element(16, p) + 4096 * MemoryGraph::bytes_per_element(16, p));
}

TEST(HnswMemoryBasics, DuplicateVectorsStayReachable) {
    // Many identical vectors (the same text embedded twice, a default
    // value...) tie every distance at 0; pruning then keeps the lowest ids
    // and would orphan the rest without the reachability repair.
    Params p;
    p.m = 8;
    p.ef_construction = 32;
    for (Metric metric : {Metric::l2, Metric::cosine}) {
        MemoryGraph g(metric, 8, p);
        std::mt19937 rng(3);
        std::normal_distribution<float> nd;
        float same[8] = {0.5f, 0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f};
        float v[8];
        for (int i = 0; i < 3000; ++i) {
            if (i % 10 == 9) {
                for (float& x : v) x = nd(rng);
                g.add(v);
            } else {
                g.add(same);
            }
        }
        ASSERT_TRUE(g.build(2));
        check_invariants(g);
    }
}

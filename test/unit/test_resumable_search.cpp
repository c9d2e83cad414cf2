// The resumable layer-0 search behind filtered index scans: batches never
// repeat a node and come out nearest first (sorted within a batch, nearly so
// across batches), exhausting the search returns every usable reachable node
// exactly once, and a selective filter still finds its true nearest rows.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <set>
#include <vector>

#include "hnsw/memory_graph.hpp"
#include "hnsw/resumable_search.hpp"
#include "hnsw/search_layer.hpp"

using namespace rushdb::hnsw;

namespace {

struct TestAccess {
    using Id = std::uint32_t;
    const MemoryGraph& g;
    const float* q;
    std::vector<char> seen;
    GraphDistance dist;
    int deleted_every;  // ids divisible by this are "deleted" (route, never returned)

    TestAccess(const MemoryGraph& graph, const float* query, int deleted)
        : g(graph),
          q(query),
          seen(graph.size(), 0),
          dist(GraphDistance::for_metric(graph.metric())),
          deleted_every(deleted) {}
    bool visit(Id id) {
        if (seen[id]) return false;
        seen[id] = 1;
        return true;
    }
    float distance(Id id) const { return dist(q, g.vector(id), g.dims()); }
    void distances(const Id* ids, std::size_t n, float* out) const {
        for (std::size_t i = 0; i < n; ++i) out[i] = distance(ids[i]);
    }
    bool usable(Id id) const { return deleted_every == 0 || id % deleted_every != 0; }
    template <class F>
    void for_each_neighbor(Id id, int level, F&& f) {
        for (std::size_t i = 0; i < g.link_count(id, level); ++i) f(g.links(id, level)[i].id);
    }
};

std::unique_ptr<MemoryGraph> make_graph(std::size_t n, std::size_t d) {
    std::mt19937 rng(9);
    std::normal_distribution<float> nd;
    std::vector<float> centres(20 * d);
    for (auto& x : centres) x = nd(rng) * 2;
    Params p;
    p.m = 8;
    auto g = std::make_unique<MemoryGraph>(Metric::l2, d, p);
    std::vector<float> v(d);
    for (std::size_t i = 0; i < n; ++i) {
        std::size_t c = rng() % 20;
        for (std::size_t j = 0; j < d; ++j) v[j] = centres[c * d + j] + nd(rng);
        g->add(v.data());
    }
    g->build(2);
    return g;
}

std::vector<Candidate<std::uint32_t>> entry_for(TestAccess& a) {
    std::uint32_t ep = a.g.entry_point();
    a.visit(ep);
    Candidate<std::uint32_t> cur{a.distance(ep), ep};
    for (int l = a.g.max_level(); l > 0; --l) cur = greedy_closest(a, cur, l);
    return {cur};
}

}  // namespace

TEST(ResumableSearch, ExhaustionReturnsEveryUsableNodeOnce) {
    auto graph = make_graph(3000, 8);
    const MemoryGraph& g = *graph;
    const float* q = g.vector(17);
    TestAccess a(g, q, 3);
    ResumableSearch<TestAccess> s;
    s.start(a, entry_for(a), 10);
    std::vector<std::uint32_t> all;
    std::vector<std::size_t> batch_ends;  // len(all) after each batch
    double previous_batch_mean = -1;
    for (int round = 0; round < 100; ++round) {
        auto& batch = s.next_batch(a);
        if (batch.empty()) break;
        for (std::size_t i = 1; i < batch.size(); ++i)
            ASSERT_LE(batch[i - 1].distance, batch[i].distance) << "batch not sorted";
        // Across batches the order is approximate (a later batch may hold a
        // node closer than the end of an earlier one), but each batch lies
        // farther out than the one before: its mean distance is larger.
        double mean = 0;
        for (auto& c : batch) mean += c.distance / double(batch.size());
        EXPECT_GT(mean, previous_batch_mean) << "batch " << round << " is not farther than batch " << round - 1;
        previous_batch_mean = mean;
        for (auto& c : batch) all.push_back(c.id);
        batch_ends.push_back(all.size());
    }
    EXPECT_TRUE(s.exhausted());
    EXPECT_GE(batch_ends.size(), 5u) << "the search should take several batches";
    // After each batch from the third on (ef 40 and more), the nodes
    // returned so far are (nearly) the nearest that many usable nodes.
    std::vector<std::pair<float, std::uint32_t>> exact;
    for (std::uint32_t i = 0; i < g.size(); ++i)
        if (i % 3 != 0) exact.push_back({a.distance(i), i});
    std::sort(exact.begin(), exact.end());
    for (std::size_t b = 2; b < batch_ends.size(); ++b) {
        std::size_t end = batch_ends[b];
        std::set<std::uint32_t> nearest;
        for (std::size_t k = 0; k < end && k < exact.size(); ++k) nearest.insert(exact[k].second);
        std::size_t hits = 0;
        for (std::size_t k = 0; k < end; ++k) hits += nearest.count(all[k]);
        EXPECT_GE(double(hits), 0.9 * double(end))
            << "after " << end << " results, only " << hits << " are among the nearest " << end;
    }
    std::set<std::uint32_t> unique(all.begin(), all.end());
    EXPECT_EQ(unique.size(), all.size()) << "a node was returned twice";
    std::size_t usable = 0;
    for (std::uint32_t i = 0; i < g.size(); ++i) usable += (i % 3 != 0);
    EXPECT_EQ(all.size(), usable);
    for (auto id : all) EXPECT_NE(id % 3, 0u) << "deleted node returned";
}

TEST(ResumableSearch, SelectiveFilterFindsItsNearestRows) {
    auto graph = make_graph(5000, 16);
    const MemoryGraph& g = *graph;
    double hits = 0;
    const int queries = 20;
    for (int qi = 0; qi < queries; ++qi) {
        const float* q = g.vector(qi * 101);
        // Only 2% of the rows pass the filter.
        auto wanted = [](std::uint32_t id) { return id % 50 == 7; };
        std::vector<std::pair<float, std::uint32_t>> truth;
        GraphDistance dist = GraphDistance::for_metric(Metric::l2);
        for (std::uint32_t i = 0; i < g.size(); ++i)
            if (wanted(i)) truth.push_back({dist(q, g.vector(i), g.dims()), i});
        std::sort(truth.begin(), truth.end());
        std::set<std::uint32_t> top10;
        for (int k = 0; k < 10; ++k) top10.insert(truth[k].second);

        TestAccess a(g, q, 0);
        ResumableSearch<TestAccess> s;
        s.start(a, entry_for(a), 40);
        std::vector<std::uint32_t> got;
        while (got.size() < 10) {
            auto& batch = s.next_batch(a);
            if (batch.empty()) break;
            for (auto& c : batch)
                if (wanted(c.id) && got.size() < 10) got.push_back(c.id);
        }
        ASSERT_EQ(got.size(), 10u) << "fewer rows than the filter matches";
        for (auto id : got) hits += top10.count(id);
    }
    EXPECT_GE(hits / (10.0 * queries), 0.9);
}

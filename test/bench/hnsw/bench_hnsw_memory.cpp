// In-memory HNSW build and search speed, independent of PostgreSQL: the
// ceiling for the index build. Usage:
//   bench_hnsw_memory [n=100000] [dims=128] [threads=2] [m=16] [ef_construction=64]
// Data: the clustered generator's recipe (n/500 centres ~ N(0, 2^2), point =
// centre + N(0, 1)), cosine metric, 200 queries from the same distribution.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <set>
#include <vector>

#include "hnsw/memory_graph.hpp"

using namespace rushdb::hnsw;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
    std::size_t n = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 100000;
    std::size_t d = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 128;
    int threads = argc > 3 ? std::atoi(argv[3]) : 2;
    Params p;
    p.m = argc > 4 ? std::atoi(argv[4]) : 16;
    p.ef_construction = argc > 5 ? std::atoi(argv[5]) : 64;
    const std::size_t nq = 200;

    std::mt19937_64 rng(42);
    std::normal_distribution<float> centre(0.0f, 2.0f), noise(0.0f, 1.0f);
    std::size_t nc = std::max<std::size_t>(1, n / 500);
    std::vector<float> centres(nc * d), data((n + nq) * d);
    for (auto& x : centres) x = centre(rng);
    for (std::size_t i = 0; i < n + nq; ++i) {
        std::size_t c = rng() % nc;
        for (std::size_t j = 0; j < d; ++j) data[i * d + j] = centres[c * d + j] + noise(rng);
    }

    MemoryGraph g(Metric::cosine, d, p);
    auto t0 = Clock::now();
    for (std::size_t i = 0; i < n; ++i) g.add(&data[i * d]);
    auto t1 = Clock::now();
    g.build(threads);
    auto t2 = Clock::now();
    std::printf("n=%zu d=%zu m=%d efc=%d threads=%d: add %.2f s, build %.2f s, memory %.1f MB\n", n, d, p.m,
                p.ef_construction, threads, std::chrono::duration<double>(t1 - t0).count(),
                std::chrono::duration<double>(t2 - t1).count(), g.memory_used() / 1e6);

    // Exact top-10 for the queries.
    GraphDistance dist = GraphDistance::for_metric(Metric::cosine);
    std::vector<std::set<std::uint32_t>> truth(nq);
    for (std::size_t q = 0; q < nq; ++q) {
        std::vector<float> qq(&data[(n + q) * d], &data[(n + q + 1) * d]);
        prepare_vector(Metric::cosine, qq.data(), d);
        std::vector<std::pair<float, std::uint32_t>> all(n);
        for (std::uint32_t i = 0; i < n; ++i) all[i] = {dist(qq.data(), g.vector(i), d), i};
        std::partial_sort(all.begin(), all.begin() + 10, all.end());
        for (int k = 0; k < 10; ++k) truth[q].insert(all[k].second);
    }
    for (int ef : {10, 20, 40, 80, 160}) {
        double hits = 0;
        auto s0 = Clock::now();
        for (std::size_t q = 0; q < nq; ++q) {
            auto r = g.search(&data[(n + q) * d], 10, ef);
            for (auto& c : r) hits += truth[q].count(c.id);
        }
        double secs = std::chrono::duration<double>(Clock::now() - s0).count();
        std::printf("ef_search=%3d recall@10 %.3f  %.0f queries/s (1 thread)\n", ef, hits / (10.0 * nq), nq / secs);
    }
    return 0;
}

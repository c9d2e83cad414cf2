// In-memory HNSW graph quality on a real set from test/bench/data (the
// fetch_*.sh layout: base.csv, queries.csv, gt_cosine.ivecs): the graph of
// src/core/hnsw without PostgreSQL, so construction rules can be compared in
// seconds. Usage:
//   bench_hnsw_real DIR [threads=2] [m=16] [ef_construction=64] [keep_pruned=1]
//                   [ef list, default 10,20,40,80,120,200,400]
// Prints build time, the mean layer-0 out-degree, and per ef_search:
// recall@10, distance evaluations per query and single-thread queries/s.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "hnsw/memory_graph.hpp"

using namespace rushdb::hnsw;
using Clock = std::chrono::steady_clock;

namespace {

// "id<TAB>[f,f,...]" per line; returns rows, sets dims.
std::vector<float> read_csv(const std::string& path, std::size_t& dims, std::size_t& rows) {
    std::ifstream in(path);
    if (!in) {
        std::fprintf(stderr, "cannot read %s\n", path.c_str());
        std::exit(2);
    }
    std::vector<float> out;
    std::string line;
    rows = 0;
    dims = 0;
    while (std::getline(in, line)) {
        const char* p = std::strchr(line.c_str(), '[');
        if (!p) continue;
        ++p;
        std::size_t d = 0;
        while (*p && *p != ']') {
            char* end;
            out.push_back(std::strtof(p, &end));
            ++d;
            p = end;
            if (*p == ',') ++p;
        }
        if (dims == 0) dims = d;
        ++rows;
    }
    return out;
}

std::vector<std::vector<std::uint32_t>> read_ivecs(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<std::vector<std::uint32_t>> out;
    std::int32_t k;
    while (in.read(reinterpret_cast<char*>(&k), 4)) {
        std::vector<std::uint32_t> row(static_cast<std::size_t>(k));
        in.read(reinterpret_cast<char*>(row.data()), 4 * k);
        out.push_back(std::move(row));
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_hnsw_real DIR [threads m efc keep_pruned efs]\n");
        return 2;
    }
    std::string dir = argv[1];
    int threads = argc > 2 ? std::atoi(argv[2]) : 2;
    Params p;
    p.m = argc > 3 ? std::atoi(argv[3]) : 16;
    p.ef_construction = argc > 4 ? std::atoi(argv[4]) : 64;
    p.keep_pruned = argc > 5 ? std::atoi(argv[5]) != 0 : true;
    std::vector<int> efs{10, 20, 40, 80, 120, 200, 400};
    if (argc > 6) {
        efs.clear();
        std::stringstream ss(argv[6]);
        std::string item;
        while (std::getline(ss, item, ',')) efs.push_back(std::atoi(item.c_str()));
    }

    std::size_t d = 0, n = 0, dq = 0, nq = 0;
    std::vector<float> base = read_csv(dir + "/base.csv", d, n);
    std::vector<float> queries = read_csv(dir + "/queries.csv", dq, nq);
    auto gt = read_ivecs(dir + "/gt_cosine.ivecs");
    if (dq != d || gt.size() < nq) {
        std::fprintf(stderr, "inconsistent set: dims %zu/%zu, gt %zu/%zu\n", d, dq, gt.size(), nq);
        return 2;
    }

    MemoryGraph g(Metric::cosine, d, p);
    std::vector<std::uint32_t> row_of;  // graph id -> base row (zero vectors are skipped)
    for (std::size_t i = 0; i < n; ++i)
        if (g.add(&base[i * d]) != MemoryGraph::kNone) row_of.push_back(static_cast<std::uint32_t>(i));
    auto t0 = Clock::now();
    g.build(threads);
    double build_s = std::chrono::duration<double>(Clock::now() - t0).count();
    double degree = 0;
    for (std::size_t i = 0; i < g.size(); ++i)
        degree += static_cast<double>(g.link_count(static_cast<MemoryGraph::Id>(i), 0));
    std::printf("%s: n=%zu d=%zu m=%d efc=%d keep_pruned=%d threads=%d\n", dir.c_str(), n, d, p.m, p.ef_construction,
                p.keep_pruned ? 1 : 0, threads);
    std::printf("build %.2f s, %.0f distances/insert, memory %.1f MB, mean layer-0 degree %.2f\n", build_s,
                static_cast<double>(g.build_distance_evaluations()) / static_cast<double>(g.size()),
                g.memory_used() / 1e6, degree / static_cast<double>(g.size()));

    for (int ef : efs) {
        double hits = 0;
        std::uint64_t evals_before = g.distance_evaluations();
        auto s0 = Clock::now();
        for (std::size_t q = 0; q < nq; ++q) {
            auto r = g.search(&queries[q * d], 10, ef);
            std::set<std::uint32_t> truth(gt[q].begin(), gt[q].begin() + 10);
            for (auto& c : r) hits += truth.count(row_of[c.id]);
        }
        double secs = std::chrono::duration<double>(Clock::now() - s0).count();
        double evals = static_cast<double>(g.distance_evaluations() - evals_before) / static_cast<double>(nq);
        std::printf("ef %4d  recall@10 %.4f  %7.0f distances/query  %6.0f queries/s (1 thread)\n", ef,
                    hits / (10.0 * static_cast<double>(nq)), evals, static_cast<double>(nq) / secs);
    }
    return 0;
}

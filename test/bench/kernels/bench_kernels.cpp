// ns per distance for each compiled kernel variant the CPU can run, at the
// dimensions embedding models use. Run: make bench-kernels
//
// After the table it prints a roofline summary: the measured peak AVX2 FMA
// rate gives the core's cycle time (2 FMA ports, 8 floats each). Per 8-float
// step a kernel issues 2 loads (2 load ports) and k floating-point ops on the
// 2 FMA/add ports: inner product k=1 (fma), L2 k=2 (sub, fma), L1 k=2 (sub,
// add; abs is a bitwise and on another port), cosine k=3 (three fma). The
// L1-resident bound is d/8 * max(2/2, k/2) cycles.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "distance/kernels.hpp"

using namespace rushdb::distance;

double fma_peak_per_ns_avx2(std::size_t iterations);

namespace {

std::vector<float> random_vector(size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd;
    std::vector<float> v(n);
    for (auto& x : v) x = nd(rng);
    return v;
}

enum class Kind { l2, ip, cosine, l1 };
const char* kind_name(Kind k) {
    switch (k) {
        case Kind::l2:
            return "l2_squared";
        case Kind::ip:
            return "inner_product";
        case Kind::cosine:
            return "cosine";
        case Kind::l1:
            return "l1";
    }
    return "?";
}

float run_once(const KernelSet& k, Kind kind, const float* a, const float* b, size_t n) {
    switch (kind) {
        case Kind::l2:
            return k.l2_squared(a, b, n);
        case Kind::ip:
            return k.inner_product(a, b, n);
        case Kind::cosine:
            return float(cosine_distance_from(k.dot_and_norms(a, b, n)));
        case Kind::l1:
            return k.l1(a, b, n);
    }
    return 0;
}

void bench(benchmark::State& state, const KernelSet* k, Kind kind, size_t n) {
    auto a = random_vector(n, 1), b = random_vector(n, 2);
    for (auto _ : state) {
        benchmark::DoNotOptimize(a.data());
        benchmark::DoNotOptimize(run_once(*k, kind, a.data(), b.data(), n));
    }
    state.counters["dims"] = double(n);
}

double time_ns(const KernelSet& k, Kind kind, size_t n) {
    auto a = random_vector(n, 1), b = random_vector(n, 2);
    const int reps = 200000;
    double best = 1e30;
    for (int round = 0; round < 5; ++round) {
        auto t0 = std::chrono::steady_clock::now();
        float sink = 0;
        for (int i = 0; i < reps; ++i) {
            benchmark::DoNotOptimize(a.data());
            sink += run_once(k, kind, a.data(), b.data(), n);
        }
        benchmark::DoNotOptimize(sink);
        double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / reps;
        if (ns < best) best = ns;
    }
    return best;
}

}  // namespace

int main(int argc, char** argv) {
    const size_t dims[] = {128, 384, 768, 1536};
    for (size_t i = 0; i < variant_count(); ++i) {
        KernelVariant v = variant(i);
        if (!v.supported) {
            std::printf("skipping %s: not supported by this CPU\n", v.set->name);
            continue;
        }
        for (Kind kind : {Kind::l2, Kind::ip, Kind::cosine, Kind::l1})
            for (size_t n : dims) {
                std::string name = std::string(kind_name(kind)) + "/" + v.set->name + "/" + std::to_string(n);
                benchmark::RegisterBenchmark(name.c_str(), bench, v.set, kind, n);
            }
    }
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();

#if defined(__x86_64__)
    const KernelSet* scalar = nullptr;
    const KernelSet* avx2 = nullptr;
    for (size_t i = 0; i < variant_count(); ++i) {
        if (!variant(i).supported) continue;
        if (!std::strcmp(variant(i).set->name, "scalar")) scalar = variant(i).set;
        if (!std::strcmp(variant(i).set->name, "avx2+fma")) avx2 = variant(i).set;
    }
    if (scalar && avx2) {
        double peak = 0;
        for (int r = 0; r < 5; ++r) peak = std::max(peak, fma_peak_per_ns_avx2(50'000'000));
        double cycle_ns = 2.0 / peak;  // 2 FMA ports
        std::printf("\n== roofline summary (768 dims) ==\n");
        std::printf("peak AVX2 FMA rate: %.2f FMA/ns -> cycle %.3f ns (%.2f GHz, 2 FMA ports)\n", peak, cycle_ns,
                    1.0 / cycle_ns);
        for (Kind kind : {Kind::l2, Kind::ip, Kind::cosine, Kind::l1}) {
            double fp_ops = kind == Kind::ip ? 1 : kind == Kind::cosine ? 3 : 2;
            double bound = 768.0 / 8.0 * std::max(1.0, fp_ops / 2.0) * cycle_ns;
            double s = time_ns(*scalar, kind, 768), v = time_ns(*avx2, kind, 768);
            std::printf(
                "%-14s scalar %7.1f ns  avx2+fma %6.1f ns  speedup %5.1fx  "
                "L1 bound %5.1f ns  ratio %.2fx\n",
                kind_name(kind), s, v, s / v, bound, v / bound);
        }
    }
#endif
    return 0;
}

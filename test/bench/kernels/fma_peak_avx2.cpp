// Measures the core's peak AVX2 FMA throughput with register-resident data:
// twelve independent accumulator chains, enough to cover FMA latency x ports
// (4 cycles x 2 ports = 8 on current x86 cores).
#if defined(__x86_64__)
#include <chrono>
#include <cstddef>

#include <xsimd/xsimd.hpp>

double fma_peak_per_ns_avx2(std::size_t iterations) {
    using B = xsimd::batch<float, xsimd::fma3<xsimd::avx2>>;
    B a0(1.0f), a1(1.1f), a2(1.2f), a3(1.3f), a4(1.4f), a5(1.5f), a6(1.6f), a7(1.7f), a8(1.8f), a9(1.9f), a10(2.0f),
        a11(2.1f);
    const B m(0.999999f), c(1e-7f);
    auto start = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < iterations; ++i) {
        a0 = xsimd::fma(a0, m, c);
        a1 = xsimd::fma(a1, m, c);
        a2 = xsimd::fma(a2, m, c);
        a3 = xsimd::fma(a3, m, c);
        a4 = xsimd::fma(a4, m, c);
        a5 = xsimd::fma(a5, m, c);
        a6 = xsimd::fma(a6, m, c);
        a7 = xsimd::fma(a7, m, c);
        a8 = xsimd::fma(a8, m, c);
        a9 = xsimd::fma(a9, m, c);
        a10 = xsimd::fma(a10, m, c);
        a11 = xsimd::fma(a11, m, c);
        asm volatile("" : "+x"(a0.data), "+x"(a1.data), "+x"(a2.data), "+x"(a3.data), "+x"(a4.data), "+x"(a5.data));
        asm volatile("" : "+x"(a6.data), "+x"(a7.data), "+x"(a8.data), "+x"(a9.data), "+x"(a10.data), "+x"(a11.data));
    }
    auto ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
    volatile float sink = xsimd::hadd(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
    (void)sink;
    return double(iterations) * 12.0 / ns;
}
#endif

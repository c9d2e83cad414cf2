// Chooses the kernel variant once, from what the running CPU supports.
//
// CPU features come from GCC's __builtin_cpu_supports, which also checks that
// the OS saves the wide registers (XCR0). xsimd 8.1's own detection is not
// used: it reads the AVX bit from the wrong CPUID leaf and ignores XCR0.
#include <atomic>
#include <cmath>
#include <cstring>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include "distance/kernels.hpp"

namespace rushdb::distance {

const KernelSet* kernels_scalar() noexcept;
#if defined(__x86_64__)
const KernelSet* kernels_sse2() noexcept;
const KernelSet* kernels_avx2() noexcept;
const KernelSet* kernels_avx512() noexcept;
#elif defined(__aarch64__)
const KernelSet* kernels_neon() noexcept;
#endif

namespace {

struct Entry {
    const KernelSet* (*get)() noexcept;
    bool (*cpu_has)() noexcept;
};

bool always() noexcept { return true; }
#if defined(__x86_64__)
// F16C (the halfvec converter of the AVX2 set) came with or before AVX2 on
// every Intel and AMD core, but it is its own CPUID bit (leaf 1, ECX bit
// 29), so it is checked; read with cpuid because not every compiler's
// __builtin_cpu_supports knows "f16c" (clang 14's does not). The OS side
// (XCR0 saving the YMM state) is covered by the AVX2 check.
bool has_f16c() noexcept {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    return __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 && (ecx & bit_F16C) != 0;
}
bool has_avx2_fma() noexcept { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && has_f16c(); }
bool has_avx512() noexcept { return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq"); }
#endif

constexpr Entry kEntries[] = {
    {&kernels_scalar, &always},
#if defined(__x86_64__)
    {&kernels_sse2, &always},
    {&kernels_avx2, &has_avx2_fma},
    {&kernels_avx512, &has_avx512},
#elif defined(__aarch64__)
    {&kernels_neon, &always},
#endif
};
constexpr std::size_t kEntryCount = sizeof(kEntries) / sizeof(kEntries[0]);

const KernelSet* best_supported() noexcept {
    const KernelSet* best = kEntries[0].get();
    for (const Entry& e : kEntries)
        if (e.cpu_has()) best = e.get();
    return best;
}

std::atomic<const KernelSet*> g_active{nullptr};

}  // namespace

std::size_t variant_count() noexcept { return kEntryCount; }

KernelVariant variant(std::size_t i) noexcept {
    if (i >= kEntryCount) return KernelVariant{nullptr, false};
    return KernelVariant{kEntries[i].get(), kEntries[i].cpu_has()};
}

const KernelSet& active() noexcept {
    const KernelSet* set = g_active.load(std::memory_order_acquire);
    if (set == nullptr) {
        set = best_supported();
        g_active.store(set, std::memory_order_release);
    }
    return *set;
}

bool select_by_name(const char* name) noexcept {
    if (name == nullptr) return false;
    if (std::strcmp(name, "auto") == 0) {
        g_active.store(best_supported(), std::memory_order_release);
        return true;
    }
    for (const Entry& e : kEntries) {
        if (std::strcmp(e.get()->name, name) == 0 && e.cpu_has()) {
            g_active.store(e.get(), std::memory_order_release);
            return true;
        }
    }
    return false;
}

double cosine_distance_from(const DotAndNorms& r) noexcept {
    double denom = std::sqrt(static_cast<double>(r.norm_a_sq) * static_cast<double>(r.norm_b_sq));
    if (!(denom > 0.0)) return std::nan("");
    double cos = static_cast<double>(r.dot) / denom;
    // Rounding can push |cos| a hair past 1; clamp so the distance stays in [0, 2].
    if (cos > 1.0) cos = 1.0;
    if (cos < -1.0) cos = -1.0;
    return 1.0 - cos;
}

}  // namespace rushdb::distance

// Distance kernels over float32 vectors.
//
// Several instruction-set variants are compiled into the same binary (each in
// its own translation unit with its own -m flags); one is chosen at load time
// from what the running CPU supports. Nothing here includes PostgreSQL.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rushdb::distance {

// Result of the one-pass cosine kernel: the dot product and both squared norms.
struct DotAndNorms {
    float dot;
    float norm_a_sq;
    float norm_b_sq;
};

using L2SquaredFn = float (*)(const float* a, const float* b, std::size_t n) noexcept;
using InnerProductFn = float (*)(const float* a, const float* b, std::size_t n) noexcept;
using L1Fn = float (*)(const float* a, const float* b, std::size_t n) noexcept;
using DotAndNormsFn = DotAndNorms (*)(const float* a, const float* b, std::size_t n) noexcept;
// IEEE binary16 -> float32 for n values (exact; see half.hpp).
using HalfToFloatFn = void (*)(const std::uint16_t* in, float* out, std::size_t n) noexcept;

// One instruction-set variant of every kernel.
struct KernelSet {
    const char* name;  // "scalar", "sse2", "avx2+fma", "avx512f", "neon"
    L2SquaredFn l2_squared;
    InnerProductFn inner_product;
    L1Fn l1;
    DotAndNormsFn dot_and_norms;
    // The instruction set's own converter (F16C, AVX-512F, NEON fp16), or
    // the portable loop where it has none: halfvec distances convert blocks
    // with it and run the float kernels above on them (half_kernels.hpp).
    HalfToFloatFn half_to_float;
};

// The portable converter (plain loop over half.hpp's half_to_float), compiled
// without extra -m flags; the scalar and SSE2 sets use it.
void half_to_float_portable(const std::uint16_t* in, float* out, std::size_t n) noexcept;

// Every variant compiled into this binary, best last. `supported` says whether
// the running CPU (and OS) can execute it.
struct KernelVariant {
    const KernelSet* set;
    bool supported;
};

// Number of compiled variants and access by position (0 = scalar reference).
std::size_t variant_count() noexcept;
KernelVariant variant(std::size_t i) noexcept;

// The best supported variant; resolved once on first use.
const KernelSet& active() noexcept;

// Force a variant by name (for tests and benchmarks). Returns false when the
// name is unknown or the CPU cannot run it; the active set is then unchanged.
bool select_by_name(const char* name) noexcept;

// Cosine distance from the one-pass kernel result: 1 - cos, or NaN when either
// vector has zero norm (there is no angle to a zero vector).
double cosine_distance_from(const DotAndNorms& r) noexcept;

// Convenience wrappers through the active set.
inline float l2_squared(const float* a, const float* b, std::size_t n) noexcept { return active().l2_squared(a, b, n); }
inline float inner_product(const float* a, const float* b, std::size_t n) noexcept {
    return active().inner_product(a, b, n);
}
inline float l1(const float* a, const float* b, std::size_t n) noexcept { return active().l1(a, b, n); }
inline double cosine_distance(const float* a, const float* b, std::size_t n) noexcept {
    return cosine_distance_from(active().dot_and_norms(a, b, n));
}

}  // namespace rushdb::distance

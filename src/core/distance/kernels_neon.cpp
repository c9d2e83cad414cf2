// Built only on arm64 (NEON is baseline there).
// This file must only instantiate templates keyed on the arch tag, so no
// non-template inline function compiled with wider instructions can be picked
// by the linker for another translation unit.
#if defined(__aarch64__)
#include "distance/kernels_simd.hpp"

namespace rushdb::distance {

const KernelSet* kernels_neon() noexcept {
    static constexpr KernelSet set = simd::Kernels<xsimd::neon64>::make("neon");
    return &set;
}

}  // namespace rushdb::distance
#endif

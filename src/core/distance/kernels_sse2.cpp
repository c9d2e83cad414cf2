// SSE2 is the x86-64 baseline: every x86-64 CPU runs this variant.
// This file must only instantiate templates keyed on the arch tag, so no
// non-template inline function compiled with wider instructions can be picked
// by the linker for another translation unit.
#if defined(__x86_64__)
#include "distance/kernels_simd.hpp"

namespace rushdb::distance {

const KernelSet* kernels_sse2() noexcept {
    static constexpr KernelSet set = simd::Kernels<xsimd::sse2>::make("sse2", &half_to_float_portable);
    return &set;
}

}  // namespace rushdb::distance
#endif

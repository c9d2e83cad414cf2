// Compiled with -mavx2 -mfma; used only when the CPU reports both.
// This file must only instantiate templates keyed on the arch tag, so no
// non-template inline function compiled with wider instructions can be picked
// by the linker for another translation unit.
#if defined(__x86_64__)
#include "distance/kernels_simd.hpp"

namespace rushdb::distance {

const KernelSet* kernels_avx2() noexcept {
    static constexpr KernelSet set = simd::Kernels<xsimd::fma3<xsimd::avx2>>::make("avx2+fma");
    return &set;
}

}  // namespace rushdb::distance
#endif

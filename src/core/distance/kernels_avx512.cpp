// Compiled with -mavx512f -mavx512dq (xsimd 8.1 reduces avx512f batches with a
// DQ instruction); used only when the CPU reports both.
// This file must only instantiate templates keyed on the arch tag, so no
// non-template inline function compiled with wider instructions can be picked
// by the linker for another translation unit.
#if defined(__x86_64__)
#include "distance/kernels_simd.hpp"

namespace rushdb::distance {

const KernelSet* kernels_avx512() noexcept {
    static constexpr KernelSet set = simd::Kernels<xsimd::avx512f>::make("avx512f");
    return &set;
}

}  // namespace rushdb::distance
#endif

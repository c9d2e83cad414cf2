// Distances between halfvec values (IEEE binary16 elements).
//
// Each operand is converted in blocks of kHalfBlock elements by the kernel
// set's converter (F16C / AVX-512F / NEON, or the portable loop) into stack
// buffers, and the set's float32 kernels run on the blocks; the block
// results are added in float, as the float kernels add their lanes. No
// float32 overflow is possible: a half is at most 65504 in magnitude, so
// even 16,000 squared differences of 131,008 stay below 3e14, and the
// smallest non-zero half squared (3.6e-15) is far above float32's smallest
// normal, so a non-zero halfvec never has a zero norm.
#pragma once

#include <cstddef>
#include <cstdint>

#include "distance/kernels.hpp"

namespace rushdb::distance {

constexpr std::size_t kHalfBlock = 256;

float l2_squared_half(const KernelSet& k, const std::uint16_t* a, const std::uint16_t* b, std::size_t n) noexcept;
float inner_product_half(const KernelSet& k, const std::uint16_t* a, const std::uint16_t* b, std::size_t n) noexcept;
float l1_half(const KernelSet& k, const std::uint16_t* a, const std::uint16_t* b, std::size_t n) noexcept;
DotAndNorms dot_and_norms_half(const KernelSet& k, const std::uint16_t* a, const std::uint16_t* b,
                               std::size_t n) noexcept;

// Through the active set.
inline float l2_squared_half(const std::uint16_t* a, const std::uint16_t* b, std::size_t n) noexcept {
    return l2_squared_half(active(), a, b, n);
}
inline float inner_product_half(const std::uint16_t* a, const std::uint16_t* b, std::size_t n) noexcept {
    return inner_product_half(active(), a, b, n);
}
inline float l1_half(const std::uint16_t* a, const std::uint16_t* b, std::size_t n) noexcept {
    return l1_half(active(), a, b, n);
}
inline DotAndNorms dot_and_norms_half(const std::uint16_t* a, const std::uint16_t* b, std::size_t n) noexcept {
    return dot_and_norms_half(active(), a, b, n);
}

}  // namespace rushdb::distance

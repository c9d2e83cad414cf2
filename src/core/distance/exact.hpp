// Double-precision distances: the fallback when a float32 kernel overflows
// or underflows on valid input ('[1e20]' <=> '[1e20]' squares past float
// range; '[1e-30]' squares to zero). Slow and rare; the SQL functions call
// them only when the fast kernel's result is not trustworthy.
#pragma once

#include <cmath>
#include <cstddef>

namespace rushdb::distance::exact {

inline double l2_squared(const float* a, const float* b, std::size_t n) noexcept {
    double s = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        double d = static_cast<double>(a[i]) - b[i];
        s += d * d;
    }
    return s;
}

inline double inner_product(const float* a, const float* b, std::size_t n) noexcept {
    double s = 0.0;
    for (std::size_t i = 0; i < n; ++i) s += static_cast<double>(a[i]) * b[i];
    return s;
}

inline double l1(const float* a, const float* b, std::size_t n) noexcept {
    double s = 0.0;
    for (std::size_t i = 0; i < n; ++i) s += std::fabs(static_cast<double>(a[i]) - b[i]);
    return s;
}

// 1 - cos(a, b), NaN when either vector is zero. Each vector is scaled by its
// largest magnitude first so even float extremes neither overflow nor
// underflow in double.
inline double cosine_distance(const float* a, const float* b, std::size_t n) noexcept {
    double ma = 0.0, mb = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        ma = std::fmax(ma, std::fabs(static_cast<double>(a[i])));
        mb = std::fmax(mb, std::fabs(static_cast<double>(b[i])));
    }
    if (ma == 0.0 || mb == 0.0) return std::nan("");
    double dot = 0.0, na = 0.0, nb = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        double x = a[i] / ma, y = b[i] / mb;
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    double c = dot / std::sqrt(na * nb);
    if (c > 1.0) c = 1.0;
    if (c < -1.0) c = -1.0;
    return 1.0 - c;
}

}  // namespace rushdb::distance::exact

#include "text/sparse_text.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <system_error>

#include "text/vector_text.hpp"

namespace rushdb::text {
namespace {

bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

const char* skip_space(const char* p) noexcept {
    while (is_space(*p)) ++p;
    return p;
}

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

bool starts_with_ci(const char* p, const char* word) noexcept {
    for (; *word; ++p, ++word) {
        char c = *p;
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != *word) return false;
    }
    return true;
}

// An integer: optional sign, digits. Saturates far beyond any valid index
// or dimension count so the caller's range check reports it, not a wrap.
const char* parse_integer(const char* p, long long* out) noexcept {
    bool negative = false;
    if (*p == '+' || *p == '-') {
        negative = *p == '-';
        ++p;
    }
    if (!is_digit(*p)) return nullptr;
    long long v = 0;
    for (; is_digit(*p); ++p) {
        if (v < (1LL << 40)) v = v * 10 + (*p - '0');
    }
    *out = negative ? -v : v;
    return p;
}

}  // namespace

std::size_t count_sparse_entries_upper_bound(const char* text) noexcept {
    std::size_t n = 1;
    for (const char* p = text; *p; ++p)
        if (*p == ',') ++n;
    return n;
}

SparseParseResult parse_sparse(const char* text, SparseEntry* out, std::size_t cap, long long max_dims) noexcept {
    const char* const end = text + std::strlen(text);
    auto fail = [text](SparseStatus s, const char* at) {
        return SparseParseResult{s, 0, 0, static_cast<std::size_t>(at - text)};
    };
    const char* p = skip_space(text);
    if (*p != '{') return fail(SparseStatus::malformed, p);
    p = skip_space(p + 1);

    // Entries as written (1-based index kept as long long until the
    // dimension count, which comes last, is known).
    std::size_t n = 0;
    long long max_index = 0;
    const char* max_index_at = p;
    if (*p == '}') {
        p = skip_space(p + 1);
    } else {
        for (;;) {
            const char* entry = p;
            long long index = 0;
            const char* q = parse_integer(p, &index);
            if (q == nullptr) return fail(SparseStatus::malformed, p);
            if (index < 1) return fail(SparseStatus::index_out_of_range, entry);
            p = skip_space(q);
            if (*p != ':') return fail(SparseStatus::malformed, p);
            p = skip_space(p + 1);

            const char* start = p;
            const char* num = (*p == '+') ? p + 1 : p;
            const char* unsigned_num = (*num == '-') ? num + 1 : num;
            if (starts_with_ci(unsigned_num, "nan") || starts_with_ci(unsigned_num, "inf"))
                return fail(SparseStatus::not_finite, start);
            if (num != p && (*num == '-' || *num == '+')) return fail(SparseStatus::malformed, start);
            if (*num == '-' && num[1] == '+') return fail(SparseStatus::malformed, start);
            float value = 0.0f;
            auto res = std::from_chars(num, end, value, std::chars_format::general);
            if (res.ec == std::errc::invalid_argument || res.ptr == num) return fail(SparseStatus::malformed, start);
            if (res.ec == std::errc::result_out_of_range) {
                // Overflow is an error; underflow reads as 0 or a denormal,
                // as float4 input does (strtof tells the two apart).
                char* strtof_end = nullptr;
                float v = std::strtof(num, &strtof_end);
                if (std::isinf(v)) return fail(SparseStatus::out_of_range, start);
                value = v;
            }
            if (!std::isfinite(value)) return fail(SparseStatus::not_finite, start);
            p = skip_space(res.ptr);
            if (*p != ',' && *p != '}') return fail(SparseStatus::malformed, p);

            if (value != 0.0f) {
                if (n >= cap) return fail(SparseStatus::too_many_nonzero, entry);
                if (index > max_index) {
                    max_index = index;
                    max_index_at = entry;
                }
                // Stored 0-based; the range check against dims follows.
                out[n++] = SparseEntry{static_cast<int32_t>(std::min<long long>(index, INT32_MAX) - 1), value};
            }
            if (*p == ',') {
                p = skip_space(p + 1);
                continue;
            }
            p = skip_space(p + 1);  // past '}'
            break;
        }
    }
    if (*p != '/') return fail(SparseStatus::malformed, p);
    p = skip_space(p + 1);
    const char* dims_at = p;
    long long dims = 0;
    const char* q = parse_integer(p, &dims);
    if (q == nullptr) return fail(SparseStatus::malformed, p);
    p = skip_space(q);
    if (*p != '\0') return fail(SparseStatus::malformed, p);
    if (dims < 1 || dims > max_dims) return fail(SparseStatus::bad_dims, dims_at);
    if (max_index > dims) return fail(SparseStatus::index_out_of_range, max_index_at);

    // Sorted by index (the text's order is the user's); a repeated index
    // has no single meaning, so it is refused rather than summed or replaced.
    std::stable_sort(out, out + n, [](const SparseEntry& a, const SparseEntry& b) { return a.index < b.index; });
    for (std::size_t i = 1; i < n; ++i)
        if (out[i].index == out[i - 1].index) return fail(SparseStatus::duplicate_index, text);
    return SparseParseResult{SparseStatus::ok, n, dims, 0};
}

std::size_t format_sparse(const int32_t* indices, const float* values, std::size_t nnz, int32_t dims,
                          char* buf) noexcept {
    char* p = buf;
    *p++ = '{';
    for (std::size_t i = 0; i < nnz; ++i) {
        if (i > 0) *p++ = ',';
        p = std::to_chars(p, p + 12, static_cast<long long>(indices[i]) + 1).ptr;
        *p++ = ':';
        p += format_float(values[i], p);
    }
    *p++ = '}';
    *p++ = '/';
    p = std::to_chars(p, p + 12, dims).ptr;
    *p = '\0';
    return static_cast<std::size_t>(p - buf);
}

}  // namespace rushdb::text

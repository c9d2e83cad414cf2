#include "text/vector_text.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <system_error>

namespace rushdb::text {
namespace {

bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

const char* skip_space(const char* p) noexcept {
    while (is_space(*p)) ++p;
    return p;
}

bool starts_with_ci(const char* p, const char* word) noexcept {
    for (; *word; ++p, ++word) {
        char c = *p;
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != *word) return false;
    }
    return true;
}

// A number token ends at whitespace, ',' or ']'; anything else glued to it
// ("1a", "1.2.3") is malformed rather than silently truncated.
bool is_token_end(char c) noexcept { return c == ',' || c == ']' || c == '\0' || is_space(c); }

}  // namespace

std::size_t count_elements_upper_bound(const char* text) noexcept {
    std::size_t n = 1;
    for (const char* p = text; *p; ++p)
        if (*p == ',') ++n;
    return n;
}

ParseResult parse_vector(const char* text, float* out, std::size_t cap) noexcept {
    // Measured once: from_chars needs the end, and rescanning the rest of the
    // input per element would make parsing quadratic in the input length.
    const char* const end = text + std::strlen(text);
    const char* p = skip_space(text);
    auto fail = [text](ParseStatus s, const char* at) {
        return ParseResult{s, 0, static_cast<std::size_t>(at - text)};
    };
    if (*p != '[') return fail(ParseStatus::malformed, p);
    p = skip_space(p + 1);
    if (*p == ']') return fail(ParseStatus::empty, p);

    std::size_t n = 0;
    for (;;) {
        const char* start = p;
        // from_chars rejects a leading '+', which float input accepts.
        const char* num = (*p == '+') ? p + 1 : p;
        if (starts_with_ci(num, "nan") || starts_with_ci(num, "inf") ||
            starts_with_ci(num[0] == '-' ? num + 1 : num, "inf") ||
            starts_with_ci(num[0] == '-' ? num + 1 : num, "nan"))
            return fail(ParseStatus::not_finite, start);
        // One sign at most: "+-1" and "-+1" are not numbers.
        if (num != p && (*num == '-' || *num == '+')) return fail(ParseStatus::malformed, start);
        if (*num == '-' && num[1] == '+') return fail(ParseStatus::malformed, start);

        float value = 0.0f;
        auto res = std::from_chars(num, end, value, std::chars_format::general);
        if (res.ec == std::errc::invalid_argument || res.ptr == num) return fail(ParseStatus::malformed, start);
        if (res.ec == std::errc::result_out_of_range) {
            // Distinguish overflow (error) from underflow (accepted as 0 or a
            // denormal, like float4 input): strtof tells the two apart.
            errno = 0;
            char* strtof_end = nullptr;
            float v = std::strtof(num, &strtof_end);
            if (std::isinf(v)) return fail(ParseStatus::out_of_range, start);
            value = v;
        }
        if (!is_token_end(*res.ptr)) return fail(ParseStatus::malformed, res.ptr);
        if (!std::isfinite(value)) return fail(ParseStatus::not_finite, start);
        if (n >= cap) return fail(ParseStatus::too_many_dims, start);
        out[n++] = value;

        p = skip_space(res.ptr);
        if (*p == ',') {
            p = skip_space(p + 1);
            continue;
        }
        if (*p == ']') {
            p = skip_space(p + 1);
            if (*p != '\0') return fail(ParseStatus::malformed, p);
            return ParseResult{ParseStatus::ok, n, 0};
        }
        return fail(ParseStatus::malformed, p);
    }
}

std::size_t format_float(float v, char* buf) noexcept {
    auto res = std::to_chars(buf, buf + kMaxFloatChars, v);
    return static_cast<std::size_t>(res.ptr - buf);
}

std::size_t format_vector(const float* v, std::size_t n, char* buf) noexcept {
    char* p = buf;
    *p++ = '[';
    for (std::size_t i = 0; i < n; ++i) {
        if (i > 0) *p++ = ',';
        p += format_float(v[i], p);
    }
    *p++ = ']';
    *p = '\0';
    return static_cast<std::size_t>(p - buf);
}

const char* describe(ParseStatus s) noexcept {
    switch (s) {
        case ParseStatus::ok:
            return "ok";
        case ParseStatus::malformed:
            return "malformed vector literal";
        case ParseStatus::empty:
            return "vector must have at least 1 dimension";
        case ParseStatus::not_finite:
            return "NaN and Infinity are not allowed in a vector";
        case ParseStatus::out_of_range:
            return "value is out of range for type real";
        case ParseStatus::too_many_dims:
            return "too many dimensions";
    }
    return "unknown error";
}

}  // namespace rushdb::text

// Text form of a vector: "[1,2.5,-3e-4]". The same form pgvector uses, so
// existing drivers and dumps work unchanged. Whitespace is allowed around
// brackets, numbers and commas.
#pragma once

#include <cstddef>

namespace rushdb::text {

enum class ParseStatus {
    ok,
    malformed,      // syntax error; `position` points at the offending byte
    empty,          // "[]": a vector needs at least one element
    not_finite,     // NaN or +-Infinity literal
    out_of_range,   // magnitude above float32's maximum
    too_many_dims,  // more elements than the caller's capacity
};

struct ParseResult {
    ParseStatus status;
    std::size_t dims;      // elements written to `out` (valid when ok)
    std::size_t position;  // byte offset of the problem (when not ok)
};

// Upper bound on the number of elements in `text` (commas + 1), so the caller
// can size the output buffer before parsing.
std::size_t count_elements_upper_bound(const char* text) noexcept;

// Parses a NUL-terminated string into `out` (capacity `cap` floats).
// Underflow to zero or a denormal is accepted, as for float4 input.
ParseResult parse_vector(const char* text, float* out, std::size_t cap) noexcept;

// Shortest text that reads back to exactly the same float (round-trip).
// `buf` must hold at least kMaxFloatChars bytes; returns the length written
// (no NUL terminator).
constexpr std::size_t kMaxFloatChars = 24;
std::size_t format_float(float v, char* buf) noexcept;

// Buffer size that always fits format_vector's output for n elements.
constexpr std::size_t max_formatted_size(std::size_t n) noexcept { return 3 + n * (kMaxFloatChars + 1); }

// Writes "[a,b,c]" followed by a NUL into a buffer of max_formatted_size(n)
// bytes; returns the length without the NUL.
std::size_t format_vector(const float* v, std::size_t n, char* buf) noexcept;

// Human-readable explanation of a non-ok status (static string).
const char* describe(ParseStatus s) noexcept;

}  // namespace rushdb::text

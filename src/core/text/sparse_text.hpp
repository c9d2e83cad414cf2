// Text form of a sparse vector: "{1:0.5,7:2}/10" — 1-based indices with
// their non-zero values, then the dimension count. pgvector's sparsevec
// form, so drivers and dumps written for it read and write ours.
// Whitespace is allowed around every token; "{}/3" is the zero vector.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rushdb::text {

enum class SparseStatus {
    ok,
    malformed,          // syntax error; `position` points at the offending byte
    not_finite,         // NaN or +-Infinity value
    out_of_range,       // a value beyond float32's range
    index_out_of_range, // an index < 1 or > the dimension count
    duplicate_index,    // the same index twice
    too_many_nonzero,   // more entries than the caller's capacity
    bad_dims,           // dimension count < 1 or > max_dims
};

struct SparseParseResult {
    SparseStatus status;
    std::size_t nnz;       // entries written (valid when ok)
    long long dims;        // the dimension count (valid when ok)
    std::size_t position;  // byte offset of the problem (when not ok)
};

// Upper bound on the entries in `text` (commas + 1), to size the buffers.
std::size_t count_sparse_entries_upper_bound(const char* text) noexcept;

struct SparseEntry {
    int32_t index;  // 0-based
    float value;
};

// Parses a NUL-terminated literal into `out` (capacity `cap` entries),
// sorted by index, zero values dropped (they are not stored). The entries
// may come in any order in the text; an index given twice is an error.
SparseParseResult parse_sparse(const char* text, SparseEntry* out, std::size_t cap, long long max_dims) noexcept;

// Buffer size that always fits format_sparse's output for nnz entries.
constexpr std::size_t max_sparse_formatted_size(std::size_t nnz) noexcept { return 16 + nnz * (12 + 24 + 1); }

// Writes "{i:v,...}/dims" (1-based indices, shortest round-trip floats) and
// a NUL into a buffer of max_sparse_formatted_size(nnz) bytes; returns the
// length without the NUL.
std::size_t format_sparse(const int32_t* indices, const float* values, std::size_t nnz, int32_t dims,
                          char* buf) noexcept;

}  // namespace rushdb::text

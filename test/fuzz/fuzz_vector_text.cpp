// libFuzzer target for the vector text parser (src/core/text/vector_text).
//
// Feeds arbitrary bytes to parse_vector the way the server does (buffer sized
// by count_elements_upper_bound, capped at the type's dimension limit) and
// checks the properties the rest of the extension relies on:
//   - a failure reports a position inside the input;
//   - a success yields 1..cap finite elements;
//   - format_vector fits in max_formatted_size(dims) and is NUL-terminated;
//   - the formatted text parses back to bit-identical floats.
// Any violation calls abort() so libFuzzer records the input.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "text/vector_text.hpp"

using namespace rushdb::text;

namespace {

// Same cap the server applies before allocating the parse buffer.
constexpr std::size_t kMaxDims = 16001;

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "fuzz_vector_text: property violated: %s\n", what);
    std::abort();
}

void check(bool ok, const char* what) {
    if (!ok) fail(what);
}

std::size_t capacity_for(const char* text) { return std::min(count_elements_upper_bound(text), kMaxDims); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // The parser takes a C string; an embedded NUL simply ends it early.
    std::vector<char> input(data, data + size);
    input.push_back('\0');
    const char* text = input.data();
    const std::size_t text_len = std::strlen(text);

    // Exactly-sized heap buffer so ASan flags any write past the capacity.
    const std::size_t cap = capacity_for(text);
    check(cap >= 1, "count_elements_upper_bound returned 0");
    std::vector<float> values(cap);
    ParseResult r = parse_vector(text, values.data(), cap);

    if (r.status != ParseStatus::ok) {
        check(r.position <= text_len, "error position beyond end of input");
        check(describe(r.status) != nullptr, "describe returned null");
        return 0;
    }

    check(r.dims >= 1 && r.dims <= cap, "dims outside 1..cap");
    for (std::size_t i = 0; i < r.dims; ++i) check(std::isfinite(values[i]), "parsed element is not finite");

    const std::size_t buf_size = max_formatted_size(r.dims);
    std::vector<char> formatted(buf_size);
    const std::size_t len = format_vector(values.data(), r.dims, formatted.data());
    check(len + 1 <= buf_size, "format_vector output exceeds max_formatted_size");
    check(formatted[len] == '\0', "format_vector output not NUL-terminated");
    check(std::strlen(formatted.data()) == len, "format_vector length mismatch");

    const std::size_t cap2 = capacity_for(formatted.data());
    check(cap2 >= r.dims, "upper bound below dims of formatted text");
    std::vector<float> again(cap2);
    ParseResult r2 = parse_vector(formatted.data(), again.data(), cap2);
    if (r2.status != ParseStatus::ok) {
        std::fprintf(stderr, "formatted: %s\nstatus: %s at %zu\n", formatted.data(), describe(r2.status), r2.position);
        fail("formatted vector does not parse");
    }
    check(r2.dims == r.dims, "round trip changed dims");
    if (std::memcmp(again.data(), values.data(), r.dims * sizeof(float)) != 0) fail("round trip changed float bits");
    return 0;
}

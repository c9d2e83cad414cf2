#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "text/vector_text.hpp"

using namespace rushdb::text;

namespace {

ParseResult parse(const std::string& s, std::vector<float>& out) {
    out.assign(count_elements_upper_bound(s.c_str()), 0.0f);
    ParseResult r = parse_vector(s.c_str(), out.data(), out.size());
    if (r.status == ParseStatus::ok) out.resize(r.dims);
    return r;
}

std::string format(const std::vector<float>& v) {
    std::string buf(max_formatted_size(v.size()), '\0');
    buf.resize(format_vector(v.data(), v.size(), buf.data()));
    return buf;
}

}  // namespace

TEST(VectorText, ParsesSimpleAndWhitespace) {
    std::vector<float> v;
    ASSERT_EQ(parse("[1,2,3]", v).status, ParseStatus::ok);
    EXPECT_EQ(v, (std::vector<float>{1, 2, 3}));
    ASSERT_EQ(parse("  [ 1.5 ,\t-2e3 ,\n+3 ]  ", v).status, ParseStatus::ok);
    EXPECT_EQ(v, (std::vector<float>{1.5f, -2000.0f, 3.0f}));
    ASSERT_EQ(parse("[.5,5.,-.25e-1]", v).status, ParseStatus::ok);
    EXPECT_EQ(v, (std::vector<float>{0.5f, 5.0f, -0.025f}));
}

TEST(VectorText, RejectsMalformed) {
    std::vector<float> v;
    for (const char* bad : {"[1,2", "[1,,2]", "[1a]", "[1,2]x", "1,2", "[", "", "[,1]", "[1,]", "[1 2]", "[--1]",
                            "[1e]", "[0x10]", "[1.2.3]", "[-+1]", "[+-1]", "[+-0.5e1]", "[++1]", "[[1]]"}) {
        EXPECT_EQ(parse(bad, v).status, ParseStatus::malformed) << bad;
    }
    EXPECT_EQ(parse("[]", v).status, ParseStatus::empty);
    EXPECT_EQ(parse("[ ]", v).status, ParseStatus::empty);
}

TEST(VectorText, RejectsNonFiniteAndOverflow) {
    std::vector<float> v;
    for (const char* bad : {"[NaN]", "[nan]", "[1,inf]", "[-Infinity]", "[+inf]", "[-nan]"})
        EXPECT_EQ(parse(bad, v).status, ParseStatus::not_finite) << bad;
    EXPECT_EQ(parse("[1e39]", v).status, ParseStatus::out_of_range);
    EXPECT_EQ(parse("[-3.5e38]", v).status, ParseStatus::out_of_range);
    ASSERT_EQ(parse("[3.4028235e38]", v).status, ParseStatus::ok);
}

TEST(VectorText, UnderflowBecomesZeroOrDenormal) {
    std::vector<float> v;
    ASSERT_EQ(parse("[1e-50,1e-40]", v).status, ParseStatus::ok);
    EXPECT_EQ(v[0], 0.0f);
    EXPECT_GT(v[1], 0.0f);
    EXPECT_LT(v[1], 1.2e-38f);
}

TEST(VectorText, ReportsPosition) {
    std::vector<float> v;
    ParseResult r = parse("[1,2x]", v);
    EXPECT_EQ(r.status, ParseStatus::malformed);
    EXPECT_EQ(r.position, 4u);
}

TEST(VectorText, CapacityIsRespected) {
    float out[2];
    ParseResult r = parse_vector("[1,2,3]", out, 2);
    EXPECT_EQ(r.status, ParseStatus::too_many_dims);
}

TEST(VectorText, FormatsShortest) {
    EXPECT_EQ(format({1, 2, 3}), "[1,2,3]");
    EXPECT_EQ(format({0.1f, -2.5f}), "[0.1,-2.5]");
    EXPECT_EQ(format({1e20f}), "[1e+20]");
    EXPECT_EQ(format({-0.0f}), "[-0]");
}

TEST(VectorText, RoundTripsEveryBitPatternSample) {
    std::mt19937 rng(7);
    std::vector<float> v(2000);
    size_t filled = 0;
    while (filled < v.size()) {
        uint32_t bits = rng();
        float f;
        std::memcpy(&f, &bits, 4);
        if (std::isfinite(f)) v[filled++] = f;
    }
    std::string s = format(v);
    std::vector<float> back;
    ASSERT_EQ(parse(s, back).status, ParseStatus::ok);
    ASSERT_EQ(back.size(), v.size());
    // Bit for bit (-0 and the exact float), not by value.
    auto bits_of = [](float f) {
        uint32_t b;
        std::memcpy(&b, &f, 4);
        return b;
    };
    for (size_t i = 0; i < v.size(); ++i) EXPECT_EQ(bits_of(v[i]), bits_of(back[i])) << i << " " << v[i];
}

TEST(VectorText, FormatBufferBoundHolds) {
    std::vector<float> worst(100, -1.17549435e-38f);
    std::string s = format(worst);
    EXPECT_LE(s.size() + 1, max_formatted_size(worst.size()));
}

TEST(VectorText, LinearInInputLength) {
    // Many elements followed by a long tail of spaces: each element used to
    // rescan the rest of the input. 20k elements + 2 MB tail parses at once.
    std::string s = "[";
    for (int i = 0; i < 20000; ++i) s += (i ? ",1" : "1");
    s += "]" + std::string(2 << 20, ' ');
    std::vector<float> v;
    ASSERT_EQ(parse(s, v).status, ParseStatus::ok);
    EXPECT_EQ(v.size(), 20000u);
}

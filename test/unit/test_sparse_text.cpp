#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "text/sparse_text.hpp"

using namespace rushdb::text;

namespace {

constexpr long long kMax = 1000000000LL;

struct Parsed {
    SparseParseResult r;
    std::vector<SparseEntry> e;
};

Parsed parse(const std::string& s, std::size_t cap = 0, long long max_dims = kMax) {
    Parsed p;
    if (cap == 0) cap = count_sparse_entries_upper_bound(s.c_str());
    p.e.assign(cap, SparseEntry{0, 0.0f});
    p.r = parse_sparse(s.c_str(), p.e.data(), cap, max_dims);
    if (p.r.status == SparseStatus::ok) p.e.resize(p.r.nnz);
    return p;
}

std::string format(const std::vector<int32_t>& idx, const std::vector<float>& val, int32_t dims) {
    std::string buf(max_sparse_formatted_size(idx.size()), '\0');
    buf.resize(format_sparse(idx.data(), val.data(), idx.size(), dims, buf.data()));
    return buf;
}

}  // namespace

TEST(SparseText, ParsesAndSorts) {
    auto p = parse("{1:1.5,3:2,5:3}/5");
    ASSERT_EQ(p.r.status, SparseStatus::ok);
    EXPECT_EQ(p.r.dims, 5);
    ASSERT_EQ(p.e.size(), 3u);
    EXPECT_EQ(p.e[0].index, 0);
    EXPECT_EQ(p.e[0].value, 1.5f);
    EXPECT_EQ(p.e[2].index, 4);

    p = parse("  { 5 : 3 ,\t1:1 , 3:-2e1 }  /  6 ");
    ASSERT_EQ(p.r.status, SparseStatus::ok);
    ASSERT_EQ(p.e.size(), 3u);
    EXPECT_EQ(p.e[0].index, 0);
    EXPECT_EQ(p.e[1].index, 2);
    EXPECT_EQ(p.e[1].value, -20.0f);
    EXPECT_EQ(p.e[2].index, 4);
}

TEST(SparseText, EmptyAndZeros) {
    auto p = parse("{}/3");
    ASSERT_EQ(p.r.status, SparseStatus::ok);
    EXPECT_EQ(p.r.nnz, 0u);
    EXPECT_EQ(p.r.dims, 3);
    // Zeros are not stored, and do not take capacity.
    p = parse("{1:0,2:1,3:-0}/3", 1);
    ASSERT_EQ(p.r.status, SparseStatus::ok);
    ASSERT_EQ(p.e.size(), 1u);
    EXPECT_EQ(p.e[0].index, 1);
}

TEST(SparseText, RejectsMalformed) {
    for (const char* s : {"", "{", "{}", "{}/", "{1:1}", "{1:1}/", "{1}/2", "{:1}/2", "{1:}/2", "{1:1,}/2",
                          "{,1:1}/2", "1:1/2", "{1:1}/2x", "{1:1}/2/3", "{1:1 2:2}/3", "{a:1}/2", "{1:b}/2",
                          "{1.5:1}/2", "{1:1}/2.0", "{1:+-1}/2", "{1:-+1}/2", "[1,2]", "{1:1}}/2"}) {
        auto p = parse(s);
        EXPECT_EQ(p.r.status, SparseStatus::malformed) << s;
    }
}

TEST(SparseText, RejectsBadValues) {
    EXPECT_EQ(parse("{1:NaN}/2").r.status, SparseStatus::not_finite);
    EXPECT_EQ(parse("{1:-inf}/2").r.status, SparseStatus::not_finite);
    EXPECT_EQ(parse("{1:Infinity}/2").r.status, SparseStatus::not_finite);
    EXPECT_EQ(parse("{1:1e39}/2").r.status, SparseStatus::out_of_range);
    EXPECT_EQ(parse("{1:-1e39}/2").r.status, SparseStatus::out_of_range);
    // Underflow is zero (then dropped) or a denormal, as float4 input reads it.
    auto p = parse("{1:1e-50,2:1e-40}/2");
    ASSERT_EQ(p.r.status, SparseStatus::ok);
    ASSERT_EQ(p.e.size(), 1u);
    EXPECT_EQ(p.e[0].index, 1);
}

TEST(SparseText, RejectsBadIndicesAndDims) {
    EXPECT_EQ(parse("{0:1}/2").r.status, SparseStatus::index_out_of_range);
    EXPECT_EQ(parse("{-1:1}/2").r.status, SparseStatus::index_out_of_range);
    EXPECT_EQ(parse("{3:1}/2").r.status, SparseStatus::index_out_of_range);
    EXPECT_EQ(parse("{99999999999999:1}/2").r.status, SparseStatus::index_out_of_range);
    EXPECT_EQ(parse("{1:1,1:2}/2").r.status, SparseStatus::duplicate_index);
    EXPECT_EQ(parse("{2:1,1:1,2:3}/2").r.status, SparseStatus::duplicate_index);
    EXPECT_EQ(parse("{}/0").r.status, SparseStatus::bad_dims);
    EXPECT_EQ(parse("{}/-3").r.status, SparseStatus::bad_dims);
    EXPECT_EQ(parse("{}/1000000001").r.status, SparseStatus::bad_dims);
    EXPECT_EQ(parse("{}/10", 0, 5).r.status, SparseStatus::bad_dims);
    EXPECT_EQ(parse("{}/1000000000").r.status, SparseStatus::ok);
    EXPECT_EQ(parse("{1:1,2:2,3:3}/3", 2).r.status, SparseStatus::too_many_nonzero);
}

TEST(SparseText, FormatsAndRoundTrips) {
    EXPECT_EQ(format({}, {}, 3), "{}/3");
    EXPECT_EQ(format({0, 2, 4}, {1.5f, -2.0f, 0.1f}, 5), "{1:1.5,3:-2,5:0.1}/5");
    std::vector<int32_t> idx{0, 7, 999999999};
    std::vector<float> val{3.4028235e38f, -1.17549435e-38f, 1.4e-45f};
    std::string s = format(idx, val, 1000000000);
    auto p = parse(s);
    ASSERT_EQ(p.r.status, SparseStatus::ok) << s;
    ASSERT_EQ(p.e.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(p.e[i].index, idx[i]);
        EXPECT_EQ(p.e[i].value, val[i]);
    }
    EXPECT_LE(s.size() + 1, max_sparse_formatted_size(3));
}

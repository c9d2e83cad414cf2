#include <gtest/gtest.h>

#include "text/near_miss.hpp"

using rushdb::text::closest_name;
using rushdb::text::edit_distance;

TEST(NearMiss, EditDistance) {
    EXPECT_EQ(edit_distance("", ""), 0u);
    EXPECT_EQ(edit_distance("where", "where"), 0u);
    EXPECT_EQ(edit_distance("wher", "where"), 1u);
    EXPECT_EQ(edit_distance("limt", "limit"), 1u);
    EXPECT_EQ(edit_distance("LIMIT", "limit"), 0u);
    EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
    EXPECT_EQ(edit_distance("", "abc"), 3u);
}

TEST(NearMiss, SuggestsOnlyPlausibleTypos) {
    std::vector<std::string> keys = {"label", "propertyName", "queryVector", "where", "limit", "skip"};
    EXPECT_EQ(closest_name("wher", keys), "where");
    EXPECT_EQ(closest_name("limt", keys), "limit");
    EXPECT_EQ(closest_name("propertyname", keys), "propertyName");
    EXPECT_EQ(closest_name("dimension", {"dimensions", "modelKey"}), "dimensions");
    EXPECT_EQ(closest_name("foo", keys), "");           // 3+ edits from everything
    EXPECT_EQ(closest_name("ab", {"abc", "xyz"}), "");  // one edit is half of "ab"
    EXPECT_EQ(closest_name("x", keys), "");
}

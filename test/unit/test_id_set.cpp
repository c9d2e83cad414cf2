#include "hnsw/id_set.hpp"

#include <gtest/gtest.h>

#include <random>
#include <set>

using rushdb::hnsw::IdSet;

TEST(IdSet, InsertReportsNewAndDuplicate) {
    IdSet s(4);
    EXPECT_TRUE(s.insert(42));
    EXPECT_FALSE(s.insert(42));
    EXPECT_TRUE(s.contains(42));
    EXPECT_FALSE(s.contains(43));
    EXPECT_EQ(s.size(), 1u);
}

TEST(IdSet, GrowsPastItsReservationAndAgreesWithStdSet) {
    IdSet s(2);
    std::set<std::uint64_t> ref;
    std::mt19937_64 rng(7);
    for (int i = 0; i < 50000; ++i) {
        // Packed TIDs: block << 16 | offset, small offsets, clustered blocks.
        std::uint64_t id = ((rng() % 3000 + 1) << 16) | (rng() % 40 + 1);
        EXPECT_EQ(s.insert(id), ref.insert(id).second);
    }
    EXPECT_EQ(s.size(), ref.size());
    for (std::uint64_t block = 1; block <= 3000; block += 7)
        for (std::uint64_t off = 1; off <= 45; ++off) {
            std::uint64_t id = (block << 16) | off;
            EXPECT_EQ(s.contains(id), ref.count(id) == 1) << id;
        }
}

TEST(IdSet, ReserveEmptiesTheSet) {
    IdSet s;
    for (std::uint64_t i = 1; i <= 100; ++i) s.insert(i);
    s.reserve(10);
    EXPECT_EQ(s.size(), 0u);
    EXPECT_FALSE(s.contains(5));
}

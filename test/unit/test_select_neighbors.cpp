// The neighbour-selection rules of src/core/hnsw/select_neighbors.hpp on
// points of a line, where every distance is known by hand.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "hnsw/select_neighbors.hpp"

using namespace rushdb::hnsw;

namespace {

using C = Candidate<int>;

// Points on a line; ids are positions, distance is |a - b|.
float line(int a, int b) { return static_cast<float>(std::abs(a - b)); }

std::vector<C> around(int owner, std::vector<int> ids) {
    std::vector<C> out;
    for (int id : ids) out.push_back(C{line(owner, id), id});
    sort_closest_first(out);
    return out;
}

std::vector<int> ids_of(const std::vector<C>& v) {
    std::vector<int> out;
    for (const auto& c : v) out.push_back(c.id);
    return out;
}

}  // namespace

TEST(SelectNeighbors, HeuristicKeepsOneEdgePerDirection) {
    // Owner 0; 1 hides 2 and 3 (each closer to 1 than to 0); -1 hides -2.
    auto sorted = around(0, {1, 2, 3, -1, -2});
    std::vector<C> out;
    std::size_t kept = select_neighbors(sorted, 4, line, out, SelectRule{false});
    EXPECT_EQ(kept, 2u);
    EXPECT_EQ(ids_of(out), (std::vector<int>{-1, 1}));
}

TEST(SelectNeighbors, KeepPrunedFillsWithClosestPruned) {
    auto sorted = around(0, {1, 2, 3, -1, -2});
    std::vector<C> out;
    std::size_t kept = select_neighbors(sorted, 4, line, out, SelectRule{true});
    EXPECT_EQ(kept, 2u);
    // Kept first, then the closest pruned ones, up to max.
    EXPECT_EQ(ids_of(out), (std::vector<int>{-1, 1, -2, 2}));
}

TEST(SelectNeighbors, FewCandidatesAreAllKept) {
    auto sorted = around(0, {1, 2});
    std::vector<C> out;
    select_neighbors(sorted, 4, line, out, SelectRule{true});
    EXPECT_EQ(ids_of(out), (std::vector<int>{1, 2}));
}

TEST(AdmitNeighbor, NotFullAppendsAndLabels) {
    // Owner 0 holds [1 kept]; 2 is hidden behind 1: added as a filler.
    std::vector<C> list = around(0, {1});
    std::size_t kept = 1;
    EXPECT_TRUE(admit_neighbor(list, kept, 3, C{line(0, 2), 2}, line, SelectRule{true}));
    EXPECT_EQ(kept, 1u);
    EXPECT_EQ(ids_of(list), (std::vector<int>{1, 2}));
    // -1 is in another direction: kept.
    EXPECT_TRUE(admit_neighbor(list, kept, 3, C{line(0, -1), -1}, line, SelectRule{true}));
    EXPECT_EQ(kept, 2u);
    EXPECT_EQ(list.size(), 3u);
}

TEST(AdmitNeighbor, FullDropsFarthestFiller) {
    // [1 kept, -1 kept | 2 filler, 3 filler], max 4. A new kept -4... is
    // hidden behind -1 (|-4 - -1| = 3 < 4): filler; the farthest filler (-4
    // itself at 4 vs 3 at 3) leaves, so nothing changes.
    std::vector<C> list{C{1, 1}, C{1, -1}, C{2, 2}, C{3, 3}};
    std::size_t kept = 2;
    EXPECT_FALSE(admit_neighbor(list, kept, 4, C{4, -4}, line, SelectRule{true}));
    EXPECT_EQ(ids_of(list), (std::vector<int>{1, -1, 2, 3}));
    // A closer filler (-2 at 2, hidden by -1) pushes out the farthest filler 3.
    EXPECT_TRUE(admit_neighbor(list, kept, 4, C{2, -2}, line, SelectRule{true}));
    EXPECT_EQ(kept, 2u);
    auto ids = ids_of(list);
    std::sort(ids.begin(), ids.end());
    EXPECT_EQ(ids, (std::vector<int>{-2, -1, 1, 2}));
}

TEST(AdmitNeighbor, KeptNewcomerDemotesWhatItHides) {
    // Owner 0 with max 3: [5 kept, -5 kept | 6 filler]. Newcomer 2 is kept
    // (nothing closer hides it) and hides 5 (|5 - 2| = 3 < 5): 5 becomes a
    // filler, and the farthest filler (6) leaves.
    std::vector<C> list{C{5, 5}, C{5, -5}, C{6, 6}};
    std::size_t kept = 2;
    EXPECT_TRUE(admit_neighbor(list, kept, 3, C{2, 2}, line, SelectRule{true}));
    EXPECT_EQ(kept, 2u);
    std::vector<int> all = ids_of(list);
    std::vector<int> kept_ids(all.begin(), all.begin() + 2);
    std::sort(kept_ids.begin(), kept_ids.end());
    EXPECT_EQ(kept_ids, (std::vector<int>{-5, 2}));
    EXPECT_EQ(list[2].id, 5);
}

TEST(AdmitNeighbor, DuplicateIsRefused) {
    std::vector<C> list{C{1, 1}};
    std::size_t kept = 1;
    EXPECT_FALSE(admit_neighbor(list, kept, 3, C{1, 1}, line, SelectRule{true}));
    EXPECT_EQ(list.size(), 1u);
}

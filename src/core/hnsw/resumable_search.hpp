// A layer-0 best-first search that can be resumed for more results.
//
// Filtered index scans (WHERE ... ORDER BY v <-> q LIMIT k) need more than
// ef candidates when the filter rejects many of them. Instead of starting
// over with a bigger ef, this search keeps every candidate it measured but
// did not expand ("deferred") and, when asked for more, widens ef and carries
// on from where it stopped. Nothing is ever measured twice, and when the
// reachable graph is exhausted every usable node has been returned once.
//
// Results come out in batches: each call to next_batch() returns the nodes
// of the current top-ef that were not returned before, closest first. Across
// batches the order is approximate (a later batch can hold a node closer than
// one returned earlier), as for any approximate index.
#pragma once

#include <algorithm>
#include <cstddef>
#include <limits>
#include <vector>

#include "hnsw/candidates.hpp"
#include "hnsw/search_layer.hpp"

namespace rushdb::hnsw {

template <class Access>
class ResumableSearch {
public:
    using Id = typename Access::Id;

    // `entry` must already be visited and measured by the caller.
    void start(Access& g, const std::vector<Candidate<Id>>& entry, int ef) {
        frontier_.clear();
        found_.clear();
        pending_.clear();
        evicted_.clear();
        returned_.clear();
        first_batch_done_ = false;
        ef_ = ef < 1 ? 1 : ef;
        for (const auto& c : entry) frontier_.push(c);
        for (const auto& c : entry)
            if (g.usable(c.id)) found_.push(c);
        expand(g);
    }

    // The next results (closest first), empty when the graph is exhausted.
    // `grow` multiplies ef before resuming (from the second batch on).
    std::vector<Candidate<Id>>& next_batch(Access& g, int grow = 2) {
        batch_.clear();
        for (;;) {
            if (!first_batch_done_) {
                first_batch_done_ = true;
            } else {
                if (exhausted()) break;
                ef_ = ef_ * (grow < 2 ? 2 : grow);
                // Measured-but-unexpanded nodes rejoin the frontier (and, if
                // usable, the results); evicted results compete again.
                for (const auto& c : pending_) {
                    frontier_.push(c);
                    if (g.usable(c.id)) add_result(c);
                }
                pending_.clear();
                std::vector<Candidate<Id>> evicted;
                evicted.swap(evicted_);
                for (const auto& c : evicted) add_result(c);
                expand(g);
            }
            collect_unreturned();
            if (!batch_.empty() || exhausted()) break;
        }
        return batch_;
    }

    // True when nothing measured is left to expand or to return.
    bool exhausted() const noexcept { return frontier_.empty() && pending_.empty() && evicted_.empty(); }
    std::size_t returned_count() const noexcept { return returned_.size(); }
    int ef() const noexcept { return ef_; }

private:
    void expand(Access& g) {
        auto limit = [&]() {
            return static_cast<int>(found_.size()) >= ef_ ? found_.top().distance
                                                          : std::numeric_limits<float>::infinity();
        };
        while (!frontier_.empty()) {
            Candidate<Id> current = frontier_.top();
            if (current.distance > limit()) break;  // stays in the frontier for later
            frontier_.pop();
            measure_neighbors(g, current.id, 0, /*only_new=*/true, ids_, dists_);
            for (std::size_t i = 0; i < ids_.size(); ++i) {
                Id n = ids_[i];
                float d = dists_[i];
                if (d < limit()) {
                    frontier_.push(Candidate<Id>{d, n});
                    if (g.usable(n)) add_result(Candidate<Id>{d, n});
                } else {
                    pending_.push_back(Candidate<Id>{d, n});
                }
            }
        }
    }

    // Evicted results are kept: a later, wider round may return them.
    void add_result(Candidate<Id> c) {
        found_.push(c);
        if (static_cast<int>(found_.size()) > ef_) evicted_.push_back(found_.pop());
    }

    // Moves the members of found_ not yet returned into batch_, closest first.
    void collect_unreturned() {
        for (const auto& c : found_.items())
            if (!was_returned(c.id)) batch_.push_back(c);
        sort_closest_first(batch_);
        for (const auto& c : batch_) returned_.push_back(c.id);
        std::sort(returned_.begin(), returned_.end());
    }

    bool was_returned(Id id) const { return std::binary_search(returned_.begin(), returned_.end(), id); }

    int ef_ = 1;
    bool first_batch_done_ = false;
    NearHeap<Id> frontier_;
    FarHeap<Id> found_;
    std::vector<Candidate<Id>> pending_;  // measured, not expanded, beyond the bound
    std::vector<Candidate<Id>> evicted_;  // usable results pushed out of found_
    std::vector<Id> returned_;            // sorted
    std::vector<Candidate<Id>> batch_;
    std::vector<Id> ids_;
    std::vector<float> dists_;
};

}  // namespace rushdb::hnsw

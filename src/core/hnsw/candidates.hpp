// Candidate lists for HNSW searches: a min-heap of nodes still to expand and
// a bounded max-heap of the best nodes found so far. Both sit on reusable
// std::vector storage so a search allocates nothing after warm-up.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace rushdb::hnsw {

template <class Id>
struct Candidate {
    float distance;
    Id id;
};

template <class Id>
struct CloserFirst {  // heap comparator: the top is the closest
    bool operator()(const Candidate<Id>& a, const Candidate<Id>& b) const noexcept { return a.distance > b.distance; }
};

template <class Id>
struct FartherFirst {  // heap comparator: the top is the farthest
    bool operator()(const Candidate<Id>& a, const Candidate<Id>& b) const noexcept { return a.distance < b.distance; }
};

template <class Id, class Compare>
class Heap {
public:
    void clear() noexcept { items_.clear(); }
    bool empty() const noexcept { return items_.empty(); }
    std::size_t size() const noexcept { return items_.size(); }
    const Candidate<Id>& top() const noexcept { return items_.front(); }
    void push(Candidate<Id> c) {
        items_.push_back(c);
        std::push_heap(items_.begin(), items_.end(), Compare{});
    }
    Candidate<Id> pop() noexcept {
        std::pop_heap(items_.begin(), items_.end(), Compare{});
        Candidate<Id> c = items_.back();
        items_.pop_back();
        return c;
    }
    // Unordered view (for draining without popping).
    std::vector<Candidate<Id>>& items() noexcept { return items_; }

private:
    std::vector<Candidate<Id>> items_;
};

template <class Id>
using NearHeap = Heap<Id, CloserFirst<Id>>;
template <class Id>
using FarHeap = Heap<Id, FartherFirst<Id>>;

// Sorts candidates closest first (ties by id, so results are deterministic).
template <class Id>
void sort_closest_first(std::vector<Candidate<Id>>& v) {
    std::sort(v.begin(), v.end(), [](const Candidate<Id>& a, const Candidate<Id>& b) {
        return a.distance < b.distance || (a.distance == b.distance && a.id < b.id);
    });
}

}  // namespace rushdb::hnsw

// Element vectors copied out of index pages for neighbour selection, by
// element id. Inserts and merges prune neighbour lists with the HNSW
// heuristic, which measures every pair among a list's ~2m candidates: one
// insert reads several hundred vectors, mostly the same few hundred again
// (its neighbours' lists overlap). Profiling a merge of the pending list on
// 335k real 100-dim vectors showed the old node-per-vector hash map and a
// shared-buffer lookup per vector at 29% of the time; this is a flat table
// with vectors in fixed blocks, filled through the backend's recent-buffer
// hints.
//
// Vectors of live elements never change, but a slot VACUUM frees can be
// reused by a later insert under the same TID. Slots are freed only by
// VACUUM's removal pass, which holds the metapage lock exclusively; an
// insert (or a merge batch) holds it in share mode for the cache's whole
// life, and VACUUM's own cache is used under that lock after its removal
// only for elements still linked. So no entry goes stale while cached.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "hnsw_graph_access.hpp"

namespace rushdb::pg::hnsw {

class VectorCache {
public:
    using Id = PageGraph::Id;
    explicit VectorCache(PageGraph& g);
    ~VectorCache();
    VectorCache(const VectorCache&) = delete;
    VectorCache& operator=(const VectorCache&) = delete;

    // The vector of `id` (prepared as stored), nullptr when the element is
    // gone. Valid until clear()/trim() or the cache's end: blocks never move.
    const float* get(Id id);
    // Forgets everything (the blocks are kept for reuse).
    void clear();
    // Bounded memory: clears the cache once it holds more than 64 MB of
    // vectors. Called where no pointer from get() is held (between rows of
    // a merge, between the lists a repair rewrites), never inside get().
    void trim();
    std::size_t size() const { return s_->count; }

private:
    static constexpr uint32_t kGone = 0xFFFFFFFFu;
    static constexpr std::size_t kBlockVectors = 256;
    // Bounded memory per call: past this many floats the cache starts over.
    static constexpr std::size_t kMaxFloats = std::size_t{16} << 20;  // 64 MB
    struct Slot {
        Id key;
        uint32_t index;  // into the blocks, or kGone
    };
    static constexpr Id kEmpty = ~Id{0};
    // The table and blocks are reused by the backend's next cache: an
    // insert makes one, and allocating them afresh each time cost page
    // faults worth 9% of a merge.
    struct Storage {
        std::vector<Slot> slots;
        std::size_t used_slots = 0;
        std::vector<std::unique_ptr<float[]>> blocks;
        std::size_t block_floats = 0;  // floats per block (the dims they were made for)
        std::size_t count = 0;         // vectors stored
    };
    static std::unique_ptr<Storage>& spare();
    static std::unique_ptr<Storage> take_storage(std::size_t dims);
    float* vector_at(uint32_t index) {
        return s_->blocks[index / kBlockVectors].get() + static_cast<std::size_t>(index % kBlockVectors) * dims_;
    }
    Slot& find_or_insert(Id id, bool* inserted);
    void grow();

    PageGraph& g_;
    std::size_t dims_;
    std::unique_ptr<Storage> s_;
};

}  // namespace rushdb::pg::hnsw

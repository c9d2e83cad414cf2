// A set of 64-bit ids (packed TIDs) in one flat open-addressing table.
//
// An index scan keeps the heap TIDs it has given out, or will give out from
// the pending list, to never return a row twice. With thousands of pending
// rows per scan, a node-based std::unordered_set spent more time in malloc
// than the scan spent measuring them; this is one allocation and linear
// probing. The id 0 marks an empty slot (no packed TID is 0: block 0 offset
// 0 is not a row).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace rushdb::hnsw {

// The slot hash of every open-addressing table keyed by packed TIDs (this
// set, and the scan's visited map, vector cache and element cache in
// src/pg): a multiply-xorshift mix, since packed TIDs of one page differ
// only in their low bits.
inline std::size_t hash_id(std::uint64_t k) noexcept {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    return static_cast<std::size_t>(k);
}

class IdSet {
public:
    explicit IdSet(std::size_t expected = 16) { reserve(expected); }

    // Makes room for `expected` ids without growing; drops the contents.
    void reserve(std::size_t expected) {
        std::size_t cap = 16;
        while (cap < expected * 2) cap <<= 1;
        slots_.assign(cap, 0);
        size_ = 0;
    }
    // Inserts `id` (nonzero); returns false when it was already there.
    bool insert(std::uint64_t id) {
        if ((size_ + 1) * 2 > slots_.size()) grow();
        std::size_t mask = slots_.size() - 1, i = hash(id) & mask;
        while (slots_[i] != 0) {
            if (slots_[i] == id) return false;
            i = (i + 1) & mask;
        }
        slots_[i] = id;
        ++size_;
        return true;
    }
    bool contains(std::uint64_t id) const noexcept {
        std::size_t mask = slots_.size() - 1, i = hash(id) & mask;
        while (slots_[i] != 0) {
            if (slots_[i] == id) return true;
            i = (i + 1) & mask;
        }
        return false;
    }
    std::size_t size() const noexcept { return size_; }

private:
    static std::size_t hash(std::uint64_t k) noexcept { return hash_id(k); }
    void grow() {
        std::vector<std::uint64_t> old;
        old.swap(slots_);
        slots_.assign(old.size() * 2, 0);
        size_ = 0;
        for (std::uint64_t id : old)
            if (id != 0) insert(id);
    }

    std::vector<std::uint64_t> slots_;
    std::size_t size_ = 0;
};

}  // namespace rushdb::hnsw

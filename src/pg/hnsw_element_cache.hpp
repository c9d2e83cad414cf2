// What index scans learned about graph elements, kept per backend across
// scans: each element's vector, heap TID, level and state, copied out of its
// page the first time a scan measures it, so later scans measure it without
// pinning, locking and releasing its buffer.
//
// Why: at ef_search 200 a scan measures a few thousand elements and visits
// one buffer per element; PostgreSQL's pin, content lock and release cost
// about as many instructions as the rest of the scan (callgrind), and the
// page header, line pointer and buffer descriptor add cache misses of their
// own. A flat table keyed by element TID needs one probe and the vector.
//
// Why it stays true: an element's vector, heap TID and level never change
// while the element exists, and its deleted flag only goes from clear to
// set. A slot becomes another element only after VACUUM removes the element
// that was there; VACUUM first bumps the metapage's cache epoch (in WAL, so
// standbys see it too), and a scan uses the cache only when the epoch it
// read at its start is the cache's. A scan that started before the bump may
// still read an entry whose slot was reused meanwhile: the new element's row
// was inserted after the removal, so it committed after the scan's MVCC
// snapshot was taken and the scan could not have returned it anyway; the
// stale entry names a heap TID that is dead to the snapshot (VACUUM removed
// index elements only for dead rows), which the executor skips. So only
// scans under MVCC snapshots use the cache. A stale "live" state is
// harmless the same way: the heap check filters the row.
//
// Bounded memory: rushdb.hnsw_element_cache (per backend, per index; 0 turns
// it off). When full, new elements are no longer added (the ones measured
// first, around the entry point and the hubs, are the ones scans meet most);
// a new epoch or another index starts it over.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "pg_prelude.hpp"

extern "C" {
#include "storage/itemptr.h"
#include "storage/relfilenode.h"
}

namespace rushdb::pg::hnsw {

// What a search learned about an element when it measured it.
struct ElementInfo {
    uint8 state;  // kUnknown, kLive, kDeleted, kGone
    uint8 level;
    ItemPointerData heap_tid;
};
static_assert(sizeof(ElementInfo) == 8, "ElementInfo packs into a visited-map slot");
constexpr uint8 kUnknown = 0, kLive = 1, kDeleted = 2, kGone = 3;

// kB per backend; the GUC rushdb.hnsw_element_cache.
extern int g_element_cache_kb;

class ElementCache {
public:
    using Id = uint64_t;

    // The backend's cache for the index `node` at `epoch` with `dims`
    // floats per vector, a new one when it held another index or epoch;
    // nullptr when the cache is off. Shared: a scan still open on the
    // cache this one replaces (two indexes scanned in turn by one query,
    // two cursors) keeps using it until it ends.
    static std::shared_ptr<ElementCache> get(const RelFileNode& node, uint32_t epoch, int dims);
    // Frees the backend's cache (the GUC went to 0, or for tests).
    static void release();

    // The cached vector of `id` and its info, or nullptr.
    const float* find(Id id, ElementInfo* info) const {
        std::size_t mask = slots_.size() - 1, i = hash(id) & mask;
        for (;;) {
            const Slot& s = slots_[i];
            if (s.key == id) {
                const Entry* e = entry(s.index);
                *info = e->info;
                return e->vector;
            }
            if (s.key == kEmpty) return nullptr;
            i = (i + 1) & mask;
        }
    }
    // Where find() will probe for `id` first (to prefetch it).
    const void* probe_address(Id id) const { return &slots_[hash(id) & (slots_.size() - 1)]; }
    // Adds `id` unless the cache is full; never throws (no memory: stops
    // adding). Does not check for an existing entry: callers add only
    // what find() did not return.
    void add(Id id, const ElementInfo& info, const float* vector) noexcept;

    // What rushdb.hnsw_element_cache() shows: the backend's cache, or
    // nullptr when it has none.
    static const ElementCache* current();
    void count(std::size_t hits, std::size_t misses) {
        hits_ += hits;
        misses_ += misses;
    }
    const RelFileNode& node() const { return node_; }
    std::size_t size() const { return count_; }
    std::size_t capacity() const { return capacity_; }
    // Bytes allocated: entry blocks and the table.
    std::size_t memory() const { return blocks_.size() * per_block_ * stride_ + slots_.size() * sizeof(Slot); }
    uint64_t hits() const { return hits_; }
    uint64_t misses() const { return misses_; }

private:
    struct Slot {
        Id key;
        uint32_t index;
    };
    struct Entry {
        ElementInfo info;
        float vector[1];  // dims_ floats (the entry's real size is stride_)
    };
    static constexpr Id kEmpty = ~Id{0};
    static constexpr std::size_t kBlockBytes = std::size_t{1} << 20;

    ElementCache(const RelFileNode& node, uint32_t epoch, int dims, std::size_t bytes);
    static std::size_t hash(Id k) {
        k ^= k >> 33;
        k *= 0xff51afd7ed558ccdull;
        k ^= k >> 33;
        return static_cast<std::size_t>(k);
    }
    const Entry* entry(uint32_t index) const {
        return reinterpret_cast<const Entry*>(blocks_[index / per_block_].get() + (index % per_block_) * stride_);
    }
    void grow();

    RelFileNode node_;
    uint32_t epoch_;
    int dims_;
    std::size_t bytes_;      // the setting it was made for
    std::size_t stride_;     // bytes per entry
    std::size_t per_block_;  // entries per block
    std::size_t capacity_;   // entries the size setting allows
    std::size_t count_ = 0;
    bool full_ = false;
    uint64_t hits_ = 0, misses_ = 0;
    std::vector<Slot> slots_;
    std::vector<std::unique_ptr<char[]>> blocks_;
};

}  // namespace rushdb::pg::hnsw

// What index scans learned about graph elements, kept per backend across
// scans: each live element's vector, heap TID and level, copied out of its
// page the first time a scan measures it, so later scans measure it without
// pinning, locking and releasing its buffer.
//
// Why: at ef_search 200 a scan measures a few thousand elements and visits
// one buffer per element; PostgreSQL's pin, content lock and release cost
// about as many instructions as the rest of the scan (callgrind), and the
// page header, line pointer and buffer descriptor add cache misses of their
// own. A flat table keyed by element TID needs one probe and the vector.
//
// Why it stays true. An element's vector, heap TID and level never change
// while it exists; two things do: VACUUM's ambulkdelete sets its deleted
// flag, and VACUUM's cleanup removes it, after which an insert may put
// another element in its slot. Each bumps the metapage's cache epoch (in
// WAL, so standbys follow): ambulkdelete after its flags are set (always,
// so a flag set by an earlier VACUUM that stopped halfway is covered too),
// the cleanup before it frees slots. An operation uses a cache only when the
// epoch it read at its start is the cache's, and only live elements are
// cached, so nothing flagged or doomed is ever in a cache of the current
// epoch.
//
// A scan that started before a bump keeps its cache and may meet an entry
// whose element has been flagged or whose slot was refilled since. Any row
// that took the element's heap TID or slot was inserted after the heap
// pass that followed ambulkdelete, so it committed after the scan's MVCC
// snapshot was taken and is invisible to it; the stale entry's heap TID
// names a row dead to that snapshot, which the executor skips. So only
// scans under MVCC snapshots use the cache.
//
// Inserts and merges do not use it: tried (they hold the metapage lock for
// their graph work, which would make it safe), merges of the pending list
// were no faster (run_churn.sh, docs/hnsw.md).
//
// Bounded memory: rushdb.hnsw_element_cache bytes per backend in all, over
// up to kCaches indexes (0 turns it off and frees them). When the budget is
// spent, caches stop admitting (the elements measured first, around the
// entry point and the hubs, are the ones scans meet most); a new epoch
// replaces an index's cache, and a ninth index replaces the least recently
// used one.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "hnsw/id_set.hpp"
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
    static constexpr int kCaches = 8;

    // The backend's cache for the index `node` at `epoch` with `dims`
    // floats per vector: a new one when it has none for that index, or one
    // made at another epoch; nullptr when the setting is 0. Shared: a scan
    // still open on a cache this call replaces keeps using it until it ends.
    // Never throws and calls no PostgreSQL function.
    static std::shared_ptr<ElementCache> get(const RelFileNode& node, uint32_t epoch, int dims) noexcept;
    // Drops every cache of the backend (the setting went to 0).
    static void release_all() noexcept;
    // Calls f(cache) for each of the backend's caches (rushdb.hnsw_element_cache()).
    template <class F>
    static void for_each(F&& f) {
        std::shared_ptr<ElementCache>* caches = pool();
        for (int i = 0; i < kCaches; ++i)
            if (caches[i] != nullptr) f(*caches[i]);
    }

    ~ElementCache();
    ElementCache(const ElementCache&) = delete;
    ElementCache& operator=(const ElementCache&) = delete;

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
    // Makes room for up to `n` more entries within the budget, allocating
    // now so that add() never allocates (it runs under buffer locks).
    void prepare(std::size_t n) noexcept;
    // Adds a live element `id` when prepare() made room; never allocates.
    // Does not check for an existing entry: callers add only what find()
    // did not return.
    void add(Id id, const ElementInfo& info, const float* vector) noexcept;

    void count(std::size_t hits, std::size_t misses) {
        hits_ += hits;
        misses_ += misses;
    }
    const RelFileNode& node() const { return node_; }
    std::size_t size() const { return count_; }
    // Bytes allocated: entry blocks and the table.
    std::size_t memory() const { return blocks_.size() * block_bytes_ + slots_.size() * sizeof(Slot); }
    bool full() const { return full_; }
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
    static constexpr std::size_t kMaxBlockBytes = std::size_t{256} << 10;
    static constexpr std::size_t kFirstSlots = 64;

    ElementCache(const RelFileNode& node, uint32_t epoch, int dims);
    static std::shared_ptr<ElementCache>* pool();
    static std::size_t& used_bytes();  // by all of the backend's caches
    static std::size_t budget() { return static_cast<std::size_t>(g_element_cache_kb) * 1024; }
    static std::size_t hash(Id k) { return rushdb::hnsw::hash_id(k); }
    const Entry* entry(uint32_t index) const {
        return reinterpret_cast<const Entry*>(blocks_[index / per_block_].get() + (index % per_block_) * stride_);
    }

    RelFileNode node_;
    uint32_t epoch_;
    int dims_;
    std::size_t stride_;       // bytes per entry
    std::size_t block_bytes_;  // bytes per block
    std::size_t per_block_;    // entries per block
    std::size_t count_ = 0;
    std::size_t ready_ = 0;  // entries prepare() made room for
    bool full_ = false;
    uint64_t last_used_ = 0;
    uint64_t hits_ = 0, misses_ = 0;
    std::vector<Slot> slots_;
    std::vector<std::unique_ptr<char[]>> blocks_;
};

}  // namespace rushdb::pg::hnsw

// The HNSW graph as seen through the index's buffer pages: the "access"
// policy that lets src/core/hnsw's search algorithms (greedy_closest,
// search_layer, ResumableSearch) walk element pages.
//
// Every PostgreSQL call goes through pg_call, so a PostgreSQL error becomes
// a C++ exception that unwinds the search's containers before the entry
// point's guard raises it again. Buffer locks are held only while copying
// out of one page: never two at once.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <new>
#include <vector>

#include "boundary.hpp"
#include "hnsw/id_set.hpp"
#include "hnsw/metric.hpp"
#include "hnsw/params.hpp"
#include "hnsw_element_cache.hpp"
#include "hnsw_storage.hpp"

extern "C" {
#include "pgstat.h"
#include "storage/buf_internals.h"
}

namespace rushdb::pg::hnsw {

// Open-addressing map from packed element TIDs to what the search knows and
// the round in which visit() last saw them. A slot is 16 bytes, key and
// value together, so a probe touches one cache line: the map is probed
// twice per element measured (visit, then the measurement) and is the
// largest structure a scan writes besides the pages it reads.
class VisitedMap {
public:
    struct Slot {
        uint64_t key;  // packed TID in the low 48 bits, visit round in the high 16
        ElementInfo info;
    };
    static constexpr uint32 kMaxRound = 0xFFFF;

    explicit VisitedMap(std::size_t expected = 1024) { reset(expected); }
    void reset(std::size_t expected) {
        std::size_t cap = 16;
        while (cap < expected * 2) cap <<= 1;
        slots_.assign(cap, Slot{kEmpty, ElementInfo{kUnknown, 0, {}}});
        size_ = 0;
        ++epoch_;
    }
    // Returns the slot for `tid`, inserting it (round 0, state kUnknown)
    // when absent.
    Slot& find_or_insert(uint64_t tid) {
        if ((size_ + 1) * 2 > slots_.size()) grow();
        std::size_t mask = slots_.size() - 1, i = hash(tid) & mask;
        for (;;) {
            Slot& s = slots_[i];
            if (s.key == kEmpty) {
                s.key = tid;
                ++size_;
                return s;
            }
            if ((s.key & kTidMask) == tid) return s;
            i = (i + 1) & mask;
        }
    }
    const Slot* find(uint64_t tid) const {
        std::size_t mask = slots_.size() - 1, i = hash(tid) & mask;
        while (slots_[i].key != kEmpty) {
            if ((slots_[i].key & kTidMask) == tid) return &slots_[i];
            i = (i + 1) & mask;
        }
        return nullptr;
    }
    static uint32 round_of(const Slot& s) { return static_cast<uint32>(s.key >> 48); }
    static void set_round(Slot& s, uint32 round) { s.key = (s.key & kTidMask) | (static_cast<uint64_t>(round) << 48); }
    // Forgets every slot's round (when the 16-bit round counter wraps).
    void clear_rounds() {
        for (Slot& s : slots_)
            if (s.key != kEmpty) s.key &= kTidMask;
    }
    std::size_t size() const { return size_; }
    // Changes whenever slots move (reset, growth): Slot references taken
    // under an older epoch are dangling.
    uint64 epoch() const { return epoch_; }
    static bool holds(const Slot& s, uint64_t tid) { return (s.key & kTidMask) == tid; }

private:
    static constexpr uint64_t kEmpty = ~0ull;  // round 0xFFFF is never stored
    static constexpr uint64_t kTidMask = (uint64_t{1} << 48) - 1;
    static std::size_t hash(uint64_t k) { return rushdb::hnsw::hash_id(k); }
    void grow() {
        std::vector<Slot> old;
        old.swap(slots_);
        slots_.assign(old.size() * 2, Slot{kEmpty, ElementInfo{kUnknown, 0, {}}});
        size_ = 0;
        ++epoch_;
        std::size_t mask = slots_.size() - 1;
        for (const Slot& s : old) {
            if (s.key == kEmpty) continue;
            std::size_t i = hash(s.key & kTidMask) & mask;
            while (slots_[i].key != kEmpty) i = (i + 1) & mask;
            slots_[i] = s;
            ++size_;
        }
    }
    std::vector<Slot> slots_;
    std::size_t size_ = 0;
    uint64 epoch_ = 0;
};

// Which shared buffer last held each block of an index, remembered per
// backend across scans, so a page still in shared buffers is pinned by
// ReadRecentBuffer (check one buffer header's tag) instead of ReadBuffer
// (hash the tag, lock a mapping partition, probe the shared hash table):
// that lookup was the largest single cost of a scan. Only a hint:
// ReadRecentBuffer re-checks the tag under the buffer header's lock, so an
// entry made stale by eviction, REINDEX or a dropped index just falls back
// to ReadBuffer, which refreshes it.
class RecentBuffers {
public:
    struct Map {
        RelFileNode node{};
        std::vector<Buffer> buffers;
        uint64 used = 0;
    };

    // The map of `index`, nullptr for a temporary index (local buffers).
    // Valid until the next call for another index.
    static Map* map(Relation index) { return RelationUsesLocalBuffers(index) ? nullptr : &map_for(index->rd_node); }

    // Pins `block` of `index` (no content lock), like ReadBuffer; `m` is
    // map(index), looked up once per batch.
    static Buffer read(Relation index, Map* m, BlockNumber block) {
        if (m == nullptr) return ReadBuffer(index, block);
        if (block < m->buffers.size()) {
            Buffer hint = m->buffers[block];
            if (hint != InvalidBuffer && ReadRecentBuffer(index->rd_node, MAIN_FORKNUM, block, hint)) {
                count_usage(hint);
                // ReadBuffer counts these for pg_statio_*_indexes; so do we.
                pgstat_count_buffer_read(index);
                pgstat_count_buffer_hit(index);
                return hint;
            }
        }
        Buffer b = ReadBuffer(index, block);
        remember(*m, block, b);
        return b;
    }
    static Buffer read(Relation index, BlockNumber block) { return read(index, map(index), block); }

private:
    // ReadRecentBuffer's first pin (PinBuffer_Locked) leaves the buffer's
    // usage count alone, where ReadBuffer raises it by one up to
    // BM_MAX_USAGE_COUNT. Pages only ever pinned through hints would then
    // look unused to the clock sweep and be evicted first whenever shared
    // buffers are short. So raise it as PinBuffer does: compare-and-swap
    // while the header is not locked (our pin keeps the buffer on its
    // page). Skipped when the header is locked at that instant, the count
    // being a heuristic.
    static void count_usage(Buffer b) {
        BufferDesc* hdr = GetBufferDescriptor(b - 1);
        uint32 state = pg_atomic_read_u32(&hdr->state);
        while (!(state & BM_LOCKED) && BUF_STATE_GET_USAGECOUNT(state) < BM_MAX_USAGE_COUNT) {
            if (pg_atomic_compare_exchange_u32(&hdr->state, &state, state + BUF_USAGECOUNT_ONE)) break;
        }
    }

    // 4 bytes per block, at most 4 MB per index (an 8 GB index); blocks
    // beyond that are read the ordinary way.
    static constexpr BlockNumber kMaxBlocks = BlockNumber{1} << 20;
    static constexpr int kMaps = 4;  // indexes remembered; the oldest is dropped
    static Map& map_for(const RelFileNode& node) {
        static Map maps[kMaps];
        static uint64 clock = 0;
        Map* victim = &maps[0];
        for (Map& m : maps) {
            if (RelFileNodeEquals(m.node, node)) {
                m.used = ++clock;
                return m;
            }
            if (m.used < victim->used) victim = &m;
        }
        victim->node = node;
        victim->buffers.clear();
        victim->used = ++clock;
        return *victim;
    }
    static void remember(Map& m, BlockNumber block, Buffer b) noexcept {
        if (block >= kMaxBlocks) return;
        if (block >= m.buffers.size()) {
            try {
                m.buffers.resize(std::max<std::size_t>(block + 1, m.buffers.size() * 2), InvalidBuffer);
            } catch (const std::bad_alloc&) {
                return;  // no memory for hints: keep reading the ordinary way
            }
        }
        m.buffers[block] = b;
    }
};

class PageGraph {
public:
    using Id = uint64_t;
    // Buffers one distances() call keeps pinned at a time; see there.
    static constexpr std::size_t kPinWindow = 6;
    static constexpr std::size_t kPinRing = 8;  // slots for the window (a power of two)

    PageGraph(Relation index, int m, int dims, rushdb::hnsw::Metric metric)
        : index_(index),
          layout_{m, dims},
          distance_(rushdb::hnsw::GraphDistance::for_metric(metric)),
          scratch_(static_cast<std::size_t>(dims)) {}
    // Not copyable: claimed_ points into this graph's own visited map.
    PageGraph(const PageGraph&) = delete;
    PageGraph& operator=(const PageGraph&) = delete;

    void set_query(const float* q) { query_ = q; }
    void reset_visited(std::size_t expected) {
        visited_.reset(expected);
        round_ = 1;
    }
    // Starts a new layer: what was measured stays known (no page re-read
    // for usable()/heap TIDs), but every node may be visited again, so nodes
    // met during the upper-layer descent still compete on layer 0.
    void new_round() {
        if (++round_ >= VisitedMap::kMaxRound) {
            visited_.clear_rounds();
            round_ = 1;
        }
    }
    const ElementLayout& layout() const { return layout_; }

    bool visit(Id id) {
        VisitedMap::Slot& slot = visited_.find_or_insert(id);
        if (VisitedMap::round_of(slot) == round_) return false;
        VisitedMap::set_round(slot, round_);
        // The searches measure what they just visited (measure_neighbors:
        // visit each new neighbour, then distances() on them), so the slots
        // are remembered for distances() to fill without a second probe.
        if (claimed_epoch_ != visited_.epoch()) {
            claimed_epoch_ = visited_.epoch();
            claimed_count_ = 0;
        }
        if (claimed_count_ == kClaimed) claimed_count_ = 0;
        claimed_[claimed_count_++] = &slot;
        return true;
    }

    // Distance from the query; records the element's state and heap TID.
    // An element that vanished (removed by VACUUM) is infinitely far.
    float distance(Id id) {
        float d = std::numeric_limits<float>::infinity();  // distances() always writes it
        distances(&id, 1, &d);
        return d;
    }

    // A batch of distances from the query, pipelined: element i is pinned
    // and its page header and line pointer prefetched, i - 2's tuple is
    // prefetched (its line pointer has arrived by then), and i - 5 is locked,
    // measured and released. The cache misses of a neighbour list overlap as
    // they did when the whole batch was pinned at once, but at most
    // kPinWindow buffers are pinned: PostgreSQL tracks a backend's first 8
    // pins in an array and spills the rest into a hash table, which cost
    // about as many instructions as the rest of the scan's buffer traffic.
    void distances(const Id* ids, std::size_t n, float* out) {
        batch_infos_.resize(n);
        ElementInfo* infos = batch_infos_.data();
        if (cache_ == nullptr)
            measure_pages(ids, n, out, infos);
        else
            measure_cached(ids, n, out, infos);
        // The last n slots visit() claimed are these ids' when the caller
        // visited them just before (checked per slot; any mismatch, or slots
        // moved by growth since, falls back to a lookup).
        bool claimed = claimed_epoch_ == visited_.epoch() && claimed_count_ >= n;
        VisitedMap::Slot** mine = claimed ? claimed_ + (claimed_count_ - n) : nullptr;
        for (std::size_t i = 0; i < n; ++i) {
            if (mine != nullptr && VisitedMap::holds(*mine[i], ids[i]))
                mine[i]->info = infos[i];
            else
                visited_.find_or_insert(ids[i]).info = infos[i];
        }
        claimed_count_ = 0;
    }

    // Measures through the element cache (hnsw_element_cache.hpp) from now
    // on; nullptr stops. The caller checked that the cache may be used.
    void use_cache(std::shared_ptr<ElementCache> cache) { cache_ = std::move(cache); }

    bool usable(Id id) const {
        const VisitedMap::Slot* slot = visited_.find(id);
        return slot != nullptr && slot->info.state == kLive;
    }
    const ElementInfo* info(Id id) const {
        const VisitedMap::Slot* slot = visited_.find(id);
        return slot != nullptr ? &slot->info : nullptr;
    }

private:
    // distances() for elements found in the cache; the others are read
    // from their pages (and added to the cache there).
    void measure_cached(const Id* ids, std::size_t n, float* out, ElementInfo* infos) {
        for (std::size_t i = 0; i < n; ++i) __builtin_prefetch(cache_->probe_address(ids[i]));
        hit_vectors_.resize(n);
        miss_ids_.clear();
        for (std::size_t i = 0; i < n; ++i) {
            const float* v = cache_->find(ids[i], &infos[i]);
            hit_vectors_[i] = v;
            if (v != nullptr) {
                __builtin_prefetch(v);
                __builtin_prefetch(reinterpret_cast<const char*>(v) + 64);
            } else {
                miss_ids_.push_back(ids[i]);
            }
        }
        auto dims = static_cast<std::size_t>(layout_.dims);
        for (std::size_t i = 0; i < n; ++i)
            if (hit_vectors_[i] != nullptr) out[i] = distance_(query_, hit_vectors_[i], dims);
        std::size_t misses = miss_ids_.size();
        cache_->count(n - misses, misses);
        if (misses == 0) return;
        miss_out_.resize(misses);
        miss_infos_.resize(misses);
        cache_->prepare(misses);  // add() runs under buffer locks: allocate now
        measure_pages(miss_ids_.data(), misses, miss_out_.data(), miss_infos_.data());
        for (std::size_t i = 0, j = 0; i < n; ++i) {
            if (hit_vectors_[i] != nullptr) continue;
            out[i] = miss_out_[j];
            infos[i] = miss_infos_[j];
            ++j;
        }
    }

    void measure_pages(const Id* ids, std::size_t n, float* out, ElementInfo* infos) {
        batch_chunked_.resize(n);
        ItemPointerData* chunked = batch_chunked_.data();
        ElementCache* cache = cache_.get();
        const float* q = query_;
        int dims = layout_.dims;
        bool any_chunked = false;
        pg_call([&] {
            Buffer bufs[kPinRing];
            RecentBuffers::Map* recent = RecentBuffers::map(index_);
            // Buffers still pinned when an error leaves the loop are
            // released by the resource owner at abort.
            auto pin = [&](std::size_t i) {
                ItemPointerData tid = unpack_tid(ids[i]);
                Buffer b = RecentBuffers::read(index_, recent, ItemPointerGetBlockNumber(&tid));
                bufs[i % kPinRing] = b;
                Page page = BufferGetPage(b);
                __builtin_prefetch(page);
                __builtin_prefetch(PageGetItemId(page, ItemPointerGetOffsetNumber(&tid)));
            };
            // Unlocked peek at the line pointer, only to prefetch the tuple
            // (a stale value just prefetches the wrong line): its header and
            // the vector (where a layer-0 element keeps it), not the links
            // in between, which measuring does not read.
            std::size_t vec_off = layout_.vector_offset(0);
            std::size_t vec_bytes = std::min<std::size_t>(sizeof(float) * dims, 1024);
            auto peek = [&](std::size_t i) {
                ItemPointerData tid = unpack_tid(ids[i]);
                Page page = BufferGetPage(bufs[i % kPinRing]);
                ItemId item = PageGetItemId(page, ItemPointerGetOffsetNumber(&tid));
                const char* t = reinterpret_cast<const char*>(page) + (ItemIdGetOffset(item) & (BLCKSZ - 1));
                __builtin_prefetch(t);
                const char* v = t + vec_off;
                for (std::size_t off = 0; off < vec_bytes; off += 64) __builtin_prefetch(v + off);
                __builtin_prefetch(v + vec_bytes - 1);
            };
            auto measure = [&](std::size_t i) {
                ItemPointerData tid = unpack_tid(ids[i]);
                Buffer b = bufs[i % kPinRing];
                LockBuffer(b, BUFFER_LOCK_SHARE);
                ElementHeader* e =
                    element_at(BufferGetPage(b), ItemPointerGetBlockNumber(&tid), ItemPointerGetOffsetNumber(&tid));
                out[i] = std::numeric_limits<float>::infinity();
                infos[i] = ElementInfo{kGone, 0, {}};
                ItemPointerSetInvalid(&chunked[i]);
                if (e != nullptr) {
                    infos[i].state = (e->flags & kFlagDeleted) ? kDeleted : kLive;
                    infos[i].level = e->level;
                    infos[i].heap_tid = e->heap_tid;
                    if (e->vector_inline) {
                        ElementView view{e, &layout_};
                        out[i] = distance_(q, view.vector(), static_cast<std::size_t>(dims));
                        if (cache != nullptr) cache->add(ids[i], infos[i], view.vector());
                    } else {
                        chunked[i] = e->first_chunk;
                        any_chunked = true;
                    }
                }
                UnlockReleaseBuffer(b);
            };
            constexpr std::size_t kPeekLag = 2, kMeasureLag = kPinWindow - 1;
            for (std::size_t i = 0; i < n + kMeasureLag; ++i) {
                if (i < n) pin(i);
                if (i >= kPeekLag && i - kPeekLag < n) peek(i - kPeekLag);
                if (i >= kMeasureLag) measure(i - kMeasureLag);
            }
        });
        if (any_chunked) {
            for (std::size_t i = 0; i < n; ++i) {
                if (!ItemPointerIsValid(&chunked[i])) continue;
                float* v = scratch_.data();
                ItemPointerData first = chunked[i];
                if (pg_call([&] { return read_chunked_vector(index_, first, v, dims); })) {
                    out[i] = distance_(q, v, static_cast<std::size_t>(dims));
                    if (cache != nullptr) cache->add(ids[i], infos[i], v);
                } else {
                    infos[i].state = kGone;
                }
            }
        }
    }

public:
    template <class F>
    void for_each_neighbor(Id id, int level, F&& f) {
        ItemPointerData copy[2 * rushdb::hnsw::kMaxM];
        int n = 0;
        ItemPointerData tid = unpack_tid(id);
        pg_call([&] {
            Buffer buf = RecentBuffers::read(index_, ItemPointerGetBlockNumber(&tid));
            LockBuffer(buf, BUFFER_LOCK_SHARE);
            ElementHeader* e =
                element_at(BufferGetPage(buf), ItemPointerGetBlockNumber(&tid), ItemPointerGetOffsetNumber(&tid));
            if (e != nullptr && e->level >= level) {
                ElementView view{e, &layout_};
                n = view.counts()[level];
                if (n > layout_.max_links(level)) n = layout_.max_links(level);
                std::memcpy(copy, view.links(level), sizeof(ItemPointerData) * n);
            }
            UnlockReleaseBuffer(buf);
        });
        for (int i = 0; i < n; ++i)
            if (ItemPointerIsValid(&copy[i])) f(pack_tid(copy[i]));
    }

    // Copies an element's (prepared) vector; false when it is gone.
    bool copy_vector(Id id, float* out) {
        ItemPointerData tid = unpack_tid(id);
        bool found = false, chunked = false;
        ItemPointerData first_chunk;
        int dims = layout_.dims;
        pg_call([&] {
            Buffer buf = RecentBuffers::read(index_, ItemPointerGetBlockNumber(&tid));
            LockBuffer(buf, BUFFER_LOCK_SHARE);
            ElementHeader* e =
                element_at(BufferGetPage(buf), ItemPointerGetBlockNumber(&tid), ItemPointerGetOffsetNumber(&tid));
            if (e != nullptr) {
                found = true;
                if (e->vector_inline) {
                    ElementView view{e, &layout_};
                    std::memcpy(out, view.vector(), sizeof(float) * dims);
                } else {
                    chunked = true;
                    first_chunk = e->first_chunk;
                }
            }
            UnlockReleaseBuffer(buf);
        });
        if (found && chunked) found = pg_call([&] { return read_chunked_vector(index_, first_chunk, out, dims); });
        return found;
    }

private:
    Relation index_;
    ElementLayout layout_;
    rushdb::hnsw::GraphDistance distance_;
    const float* query_ = nullptr;
    VisitedMap visited_;
    uint32 round_ = 1;
    // Slots claimed by visit() since the last distances() (see there).
    static constexpr std::size_t kClaimed = 2 * rushdb::hnsw::kMaxM;
    VisitedMap::Slot* claimed_[kClaimed];
    std::size_t claimed_count_ = 0;
    uint64 claimed_epoch_ = ~uint64{0};
    std::vector<float> scratch_;
    std::vector<ElementInfo> batch_infos_;
    std::vector<ItemPointerData> batch_chunked_;
    std::shared_ptr<ElementCache> cache_;
    std::vector<const float*> hit_vectors_;
    std::vector<Id> miss_ids_;
    std::vector<float> miss_out_;
    std::vector<ElementInfo> miss_infos_;
};

}  // namespace rushdb::pg::hnsw

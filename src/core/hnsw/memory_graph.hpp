// An HNSW graph held entirely in memory: the build phase of the index access
// method (vectors are collected from the heap, the graph is built here with
// several threads, then written to pages once) and the core unit tests and
// benchmarks.
//
// Threading: add() is single-threaded (collection phase). build() inserts
// every collected node using `threads` threads; each node's links are guarded
// by a one-byte spinlock, the entry point by a mutex. The callback passed to
// build() runs on the calling thread only, so it may consult PostgreSQL
// state; it must not throw or longjmp (return true to cancel instead).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <vector>

#include "hnsw/candidates.hpp"
#include "hnsw/metric.hpp"
#include "hnsw/params.hpp"
#include "hnsw/select_neighbors.hpp"

namespace rushdb::hnsw {

struct Link {
    std::uint32_t id;
    float distance;  // graph distance between the two ends (saves recomputing on prune)
};

class MemoryGraph {
public:
    using Id = std::uint32_t;
    static constexpr Id kNone = 0xFFFFFFFFu;

    MemoryGraph(Metric metric, std::size_t dims, Params params, std::uint64_t seed = 0x5eed);
    ~MemoryGraph();
    MemoryGraph(const MemoryGraph&) = delete;
    MemoryGraph& operator=(const MemoryGraph&) = delete;

    // Upper bound of memory one more element costs (vector, links, level
    // bookkeeping), for budgeting against maintenance_work_mem.
    static std::size_t bytes_per_element(std::size_t dims, const Params& p) noexcept;
    std::size_t memory_used() const noexcept;

    // Copies (and, for cosine, normalises) a vector. Returns its id, or kNone
    // when the vector cannot be indexed under the metric (zero vector under
    // cosine). Draws the node's level.
    Id add(const float* v);

    // Inserts every added node into the graph. `progress(done)` is called on
    // the calling thread about every 1,000 insertions; returning true cancels
    // (build then returns false after all threads stopped).
    bool build(int threads, const std::function<bool(std::size_t)>& progress = {});

    // Inserts one added node (thread-safe against other insert() calls).
    void insert(Id id);

    // Makes every node reachable from the entry point. Pruning reverse links
    // can leave a node with no incoming edge, which no search can then find
    // (a lost row, for an index). For each unreachable node, a nearby
    // reachable node gets a link to it, replacing a link whose target has
    // other incoming edges. Returns the number of nodes relinked. build()
    // calls it; single-threaded.
    std::size_t ensure_reachable();

    // k nearest to `query` (graph distances, closest first). `query` is
    // prepared (normalised) internally for cosine.
    std::vector<Candidate<Id>> search(const float* query, std::size_t k, int ef) const;

    std::size_t size() const noexcept { return count_; }
    std::size_t dims() const noexcept { return dims_; }
    const Params& params() const noexcept { return params_; }
    Metric metric() const noexcept { return metric_; }
    int level(Id id) const noexcept { return levels_[id]; }
    const float* vector(Id id) const noexcept;
    // Links of `id` on `level` (count and pointer into the graph's storage).
    std::size_t link_count(Id id, int level) const noexcept;
    const Link* links(Id id, int level) const noexcept;
    Id entry_point() const noexcept { return entry_; }
    // Distance evaluations of search() calls on layer 0 so far (benchmarks).
    std::uint64_t distance_evaluations() const noexcept { return search_distances_.load(); }
    // Distance evaluations of build() (searches and neighbour selection).
    std::uint64_t build_distance_evaluations() const noexcept { return build_distances_.load(); }
    int max_level() const noexcept { return max_level_; }

private:
    struct Scratch;
    class Access;

    float* vector_mut(Id id) noexcept;
    std::uint32_t* count_ptr(Id id, int level) noexcept;
    Link* links_mut(Id id, int level) noexcept;
    SelectRule rule() const noexcept { return SelectRule{params_.keep_pruned}; }
    // A list's header word: entry count (low 16 bits) and how many of the
    // first entries the heuristic kept (high 16 bits; the rest are fillers).
    static std::size_t list_size(std::uint32_t header) noexcept { return header & 0xFFFFu; }
    static std::size_t list_kept(std::uint32_t header) noexcept { return header >> 16; }
    static std::uint32_t pack_list(std::size_t size, std::size_t kept) noexcept {
        return static_cast<std::uint32_t>(size | (kept << 16));
    }
    void store_list(Id id, int level, const std::vector<Candidate<Id>>& list, std::size_t kept) noexcept;
    // Distance between two nodes, counted in the scratch (neighbour selection).
    float measure_pair(Id a, Id b, Scratch& s) const noexcept;
    bool relink_unreachable(Id u, const std::vector<char>& reached);
    void lock(Id id) noexcept;
    void unlock(Id id) noexcept;
    void insert_with(Id id, Scratch& s);
    std::vector<Candidate<Id>> search_prepared(const float* query, std::size_t k, int ef) const;
    void connect(Id id, int level, Scratch& s);
    void add_reverse_link(Id target, Id source, float distance, int level, Scratch& s);

    Metric metric_;
    std::size_t dims_;
    Params params_;
    GraphDistance distance_;
    std::mt19937_64 rng_;

    // Layer-0 storage, one fixed-size record per node in chunks that never
    // move: [vector dims floats][count u32][m0 links]. Keeping a node's
    // vector next to its base-layer links saves a cache miss per hop.
    std::size_t record_bytes_;
    static constexpr std::size_t kChunkNodes = 4096;
    std::vector<std::unique_ptr<unsigned char[]>> chunks_;

    // Upper layers: per node an offset into upper_ (levels 1..L, each
    // [count u32][m links] stored as Link-sized slots).
    std::vector<std::uint8_t> levels_;
    std::vector<std::size_t> upper_offset_;
    std::vector<Link> upper_;

    std::unique_ptr<std::atomic<std::uint8_t>[]> locks_;
    std::size_t locks_size_ = 0;

    std::size_t count_ = 0;
    std::mutex entry_mutex_;
    std::atomic<Id> entry_{kNone};
    std::atomic<int> max_level_{-1};
    mutable std::atomic<std::uint64_t> search_distances_{0};
    std::atomic<std::uint64_t> build_distances_{0};
};

}  // namespace rushdb::hnsw

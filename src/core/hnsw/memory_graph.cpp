#include "hnsw/memory_graph.hpp"

#include <algorithm>
#include <cstring>
#include <exception>
#include <limits>
#include <system_error>
#include <thread>

#include <pthread.h>
#include <signal.h>

#include "hnsw/search_layer.hpp"
#include "hnsw/select_neighbors.hpp"

namespace rushdb::hnsw {

// Per-thread working memory for one insertion or search.
struct MemoryGraph::Scratch {
    std::vector<std::uint16_t> visited;
    std::uint16_t epoch = 0;
    NearHeap<Id> frontier;
    FarHeap<Id> found;
    std::vector<Candidate<Id>> entry, sorted, selected;
    std::vector<Link> link_copy;
    std::vector<float> query;
    std::uint64_t distances = 0;  // evaluations, for benchmarks

    void begin(std::size_t n) {
        if (visited.size() < n) {
            visited.assign(n, 0);
            epoch = 0;
        }
        if (++epoch == 0) {  // wrapped: clear the marks once every 65,535 uses
            std::fill(visited.begin(), visited.end(), 0);
            epoch = 1;
        }
    }
};

// The search_layer access policy over this graph. With `locking`, neighbour
// lists are copied under the node's spinlock (concurrent build).
class MemoryGraph::Access {
public:
    using Id = MemoryGraph::Id;
    Access(const MemoryGraph& g, const float* query, Scratch& s, bool locking)
        : g_(g), q_(query), s_(s), locking_(locking) {}

    bool visit(Id id) noexcept {
        if (s_.visited[id] == s_.epoch) return false;
        s_.visited[id] = s_.epoch;
        return true;
    }
    float distance(Id id) const noexcept {
        ++s_.distances;
        return g_.distance_(q_, g_.vector(id), g_.dims_);
    }
    void distances(const Id* ids, std::size_t n, float* out) const noexcept {
        // Every vector's first line now, the rest of each one vector ahead
        // of the kernel: the build is bound by these misses, not by the
        // arithmetic (about 110 ns per 100-dim distance without them).
        for (std::size_t i = 0; i < n; ++i) __builtin_prefetch(g_.vector(ids[i]));
        std::size_t lines = std::min<std::size_t>((g_.dims_ * sizeof(float) + 63) / 64, 32);
        for (std::size_t i = 0; i < n; ++i) {
            if (i + 1 < n) {
                const char* next = reinterpret_cast<const char*>(g_.vector(ids[i + 1]));
                for (std::size_t l = 1; l < lines; ++l) __builtin_prefetch(next + 64 * l);
            }
            out[i] = distance(ids[i]);
        }
    }
    bool usable(Id) const noexcept { return true; }

    template <class F>
    void for_each_neighbor(Id id, int level, F&& f) {
        auto& graph = const_cast<MemoryGraph&>(g_);
        if (!locking_) {
            std::size_t n = graph.link_count(id, level);
            const Link* l = graph.links(id, level);
            for (std::size_t i = 0; i < n; ++i) __builtin_prefetch(&s_.visited[l[i].id]);
            for (std::size_t i = 0; i < n; ++i) f(l[i].id);
            return;
        }
        // Copy under the node's lock so the list cannot change mid-iteration,
        // then measure distances without holding it.
        Id copy[2 * kMaxM];
        graph.lock(id);
        std::size_t n = graph.link_count(id, level);
        const Link* l = graph.links(id, level);
        for (std::size_t i = 0; i < n; ++i) copy[i] = l[i].id;
        graph.unlock(id);
        // The visited marks are a random walk over n entries: ask for them
        // all before testing the first.
        for (std::size_t i = 0; i < n; ++i) __builtin_prefetch(&s_.visited[copy[i]]);
        for (std::size_t i = 0; i < n; ++i) f(copy[i]);
    }

private:
    const MemoryGraph& g_;
    const float* q_;
    Scratch& s_;
    bool locking_;
};

MemoryGraph::MemoryGraph(Metric metric, std::size_t dims, Params params, std::uint64_t seed)
    : metric_(metric), dims_(dims), params_(params), distance_(GraphDistance::for_metric(metric)), rng_(seed) {
    record_bytes_ =
        dims_ * sizeof(float) + sizeof(std::uint32_t) + static_cast<std::size_t>(params_.max_links(0)) * sizeof(Link);
    // Keep records 4-byte aligned (they are: floats, u32 and 8-byte links
    // whose members are 4-byte types).
}

MemoryGraph::~MemoryGraph() = default;

std::size_t MemoryGraph::bytes_per_element(std::size_t dims, const Params& p) noexcept {
    std::size_t record =
        dims * sizeof(float) + sizeof(std::uint32_t) + static_cast<std::size_t>(p.max_links(0)) * sizeof(Link);
    // Expected upper-layer slots per node: sum_{l>=1} M^-l * (1 + m) ~ (1 + m) / (M - 1).
    std::size_t upper = (static_cast<std::size_t>(p.m) + 1) * sizeof(Link) / (p.m - 1) + sizeof(Link);
    return record + upper + sizeof(std::uint8_t) + sizeof(std::size_t) + 1 /* lock */;
}

std::size_t MemoryGraph::memory_used() const noexcept {
    return chunks_.size() * kChunkNodes * record_bytes_ + upper_.capacity() * sizeof(Link) + levels_.capacity() +
           upper_offset_.capacity() * sizeof(std::size_t) + locks_size_;
}

const float* MemoryGraph::vector(Id id) const noexcept {
    return reinterpret_cast<const float*>(chunks_[id / kChunkNodes].get() + (id % kChunkNodes) * record_bytes_);
}

float* MemoryGraph::vector_mut(Id id) noexcept { return const_cast<float*>(vector(id)); }

std::uint32_t* MemoryGraph::count_ptr(Id id, int level) noexcept {
    // Layer 0's count lives in the float slot after the vector (one block per
    // element); it is only ever read and written through this pointer.
    if (level == 0)
        return reinterpret_cast<std::uint32_t*>(vector_mut(id) + dims_);  // cppcheck-suppress invalidPointerCast
    Link* slot = &upper_[upper_offset_[id] + static_cast<std::size_t>(level - 1) * (params_.m + 1)];
    return &slot->id;
}

Link* MemoryGraph::links_mut(Id id, int level) noexcept {
    if (level == 0)
        return reinterpret_cast<Link*>(reinterpret_cast<unsigned char*>(vector_mut(id)) + dims_ * sizeof(float) +
                                       sizeof(std::uint32_t));
    return &upper_[upper_offset_[id] + static_cast<std::size_t>(level - 1) * (params_.m + 1) + 1];
}

std::size_t MemoryGraph::link_count(Id id, int level) const noexcept {
    return list_size(*const_cast<MemoryGraph*>(this)->count_ptr(id, level));
}

const Link* MemoryGraph::links(Id id, int level) const noexcept {
    return const_cast<MemoryGraph*>(this)->links_mut(id, level);
}

void MemoryGraph::lock(Id id) noexcept {
    auto& l = locks_[id];
    while (l.exchange(1, std::memory_order_acquire) != 0) {
        while (l.load(std::memory_order_relaxed) != 0) std::this_thread::yield();
    }
}

void MemoryGraph::unlock(Id id) noexcept { locks_[id].store(0, std::memory_order_release); }

MemoryGraph::Id MemoryGraph::add(const float* v) {
    if (count_ >= static_cast<std::size_t>(kNone) - 1) throw std::length_error("too many HNSW elements");
    Id id = static_cast<Id>(count_);
    if (id % kChunkNodes == 0) chunks_.emplace_back(new unsigned char[kChunkNodes * record_bytes_]);
    float* dst = vector_mut(id);
    std::memcpy(dst, v, dims_ * sizeof(float));
    if (!prepare_vector(metric_, dst, dims_)) return kNone;  // slot is reused by the next add
    *count_ptr(id, 0) = 0;

    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    double u = 1.0 - uniform(rng_);  // (0, 1]
    int level = static_cast<int>(-std::log(u) * params_.level_multiplier());
    if (level > kMaxLevel) level = kMaxLevel;
    levels_.push_back(static_cast<std::uint8_t>(level));
    upper_offset_.push_back(upper_.size());
    for (int l = 1; l <= level; ++l) {
        upper_.push_back(Link{0, 0.0f});  // count slot
        upper_.resize(upper_.size() + params_.m);
    }
    ++count_;
    return id;
}

void MemoryGraph::add_reverse_link(Id target, Id source, float distance, int level, Scratch& s) {
    std::size_t max = static_cast<std::size_t>(params_.max_links(level));
    auto pair_distance = [&](Id a, Id b) { return measure_pair(a, b, s); };
    lock(target);
    std::uint32_t* header = count_ptr(target, level);
    std::size_t count = list_size(*header);
    Link* links = links_mut(target, level);
    if (rule().keep_pruned) {
        s.sorted.clear();
        for (std::size_t i = 0; i < count; ++i) s.sorted.push_back({links[i].distance, links[i].id});
        std::size_t kept = list_kept(*header);
        if (admit_neighbor(s.sorted, kept, max, Candidate<Id>{distance, source}, pair_distance, rule()))
            store_list(target, level, s.sorted, kept);
        unlock(target);
        return;
    }
    for (std::size_t i = 0; i < count; ++i)
        if (links[i].id == source) {
            unlock(target);
            return;
        }
    if (count < max) {
        links[count] = Link{source, distance};
        *header = pack_list(count + 1, count + 1);
        unlock(target);
        return;
    }
    // Full: re-select among the current links plus the newcomer.
    s.sorted.clear();
    for (std::size_t i = 0; i < count; ++i) s.sorted.push_back({links[i].distance, links[i].id});
    s.sorted.push_back({distance, source});
    sort_closest_first(s.sorted);
    std::size_t kept = select_neighbors(s.sorted, max, pair_distance, s.selected, rule());
    store_list(target, level, s.selected, kept);
    unlock(target);
}

float MemoryGraph::measure_pair(Id a, Id b, Scratch& s) const noexcept {
    ++s.distances;
    return distance_(vector(a), vector(b), dims_);
}

void MemoryGraph::store_list(Id id, int level, const std::vector<Candidate<Id>>& list, std::size_t kept) noexcept {
    Link* links = links_mut(id, level);
    for (std::size_t i = 0; i < list.size(); ++i) links[i] = Link{list[i].id, list[i].distance};
    *count_ptr(id, level) = pack_list(list.size(), kept);
}

void MemoryGraph::connect(Id id, int level, Scratch& s) {
    std::size_t max = static_cast<std::size_t>(params_.max_links(level));
    s.sorted.assign(s.found.items().begin(), s.found.items().end());
    sort_closest_first(s.sorted);
    auto pair_distance = [&](Id a, Id b) { return measure_pair(a, b, s); };
    std::size_t kept = select_neighbors(s.sorted, max, pair_distance, s.selected, rule());
    std::vector<Candidate<Id>> chosen(s.selected);  // add_reverse_link reuses s.selected
    top_up_neighbors(s.sorted, min_out_degree(params_.m), chosen);

    lock(id);
    std::size_t count = link_count(id, level);
    Link* links = links_mut(id, level);
    // Another thread may already have linked to this node on this layer
    // (it became visible on a higher layer first): keep those links too.
    if (count > 0) {
        s.sorted = chosen;
        for (std::size_t i = 0; i < count; ++i) {
            bool dup = false;
            for (const auto& c : chosen) dup |= c.id == links[i].id;
            if (!dup) s.sorted.push_back({links[i].distance, links[i].id});
        }
        sort_closest_first(s.sorted);
        kept = s.sorted.size();
        if (s.sorted.size() > max || rule().keep_pruned) {
            kept = select_neighbors(s.sorted, max, pair_distance, s.selected, rule());
            s.sorted = s.selected;
        }
        store_list(id, level, s.sorted, kept);
    } else {
        store_list(id, level, chosen, std::min(kept, chosen.size()));
    }
    unlock(id);
    for (const auto& c : chosen) add_reverse_link(c.id, id, c.distance, level, s);
}

void MemoryGraph::insert(Id id) {
    Scratch s;
    insert_with(id, s);
}

void MemoryGraph::insert_with(Id id, Scratch& s) {
    s.begin(count_);
    int level = levels_[id];
    std::unique_lock<std::mutex> entry_lock(entry_mutex_);
    int top = max_level_.load();
    Id ep = entry_.load();
    if (ep == kNone) {
        entry_ = id;
        max_level_ = level;
        return;
    }
    if (level <= top) entry_lock.unlock();  // only a new top node keeps the lock

    const float* q = vector(id);
    Access g(*this, q, s, /*locking=*/true);
    g.visit(id);
    Candidate<Id> cur{g.distance(ep), ep};
    for (int l = top; l > level; --l) cur = greedy_closest(g, cur, l);

    s.entry.assign(1, cur);
    for (int l = std::min(level, top); l >= 0; --l) {
        s.begin(count_);  // fresh visited marks per layer
        for (const auto& e : s.entry) g.visit(e.id);
        g.visit(id);
        search_layer(g, s.entry, params_.ef_construction, l, s.frontier, s.found);
        s.entry.assign(s.found.items().begin(), s.found.items().end());
        connect(id, l, s);
    }
    if (level > top) {
        entry_ = id;
        max_level_ = level;
    }
}

bool MemoryGraph::build(int threads, const std::function<bool(std::size_t)>& progress) {
    locks_.reset(new std::atomic<std::uint8_t>[count_]);
    locks_size_ = count_;
    for (std::size_t i = 0; i < count_; ++i) locks_[i].store(0, std::memory_order_relaxed);
    if (threads < 1) threads = 1;

    std::atomic<std::size_t> next{0};
    std::atomic<std::size_t> done{0};
    std::atomic<bool> stop{false};
    std::exception_ptr failure;
    std::mutex failure_mutex;

    auto work = [&](bool caller) {
        Scratch s;
        std::size_t since_report = 0;
        for (;;) {
            if (stop.load(std::memory_order_relaxed)) return;
            std::size_t i = next.fetch_add(1);
            if (i >= count_) return;
            try {
                insert_with(static_cast<Id>(i), s);
            } catch (...) {
                std::lock_guard<std::mutex> g(failure_mutex);
                if (!failure) failure = std::current_exception();
                stop = true;
                return;
            }
            done.fetch_add(1, std::memory_order_relaxed);
            build_distances_.fetch_add(s.distances, std::memory_order_relaxed);
            s.distances = 0;
            if (caller && progress && ++since_report >= 1000) {
                since_report = 0;
                if (progress(done.load())) stop = true;
            }
        }
    };
    // Worker threads never call back into the host (PostgreSQL): they only
    // touch this graph. Block signals in them so the host's handlers keep
    // running on the calling thread.
    std::vector<std::thread> pool;
    {
        sigset_t all, previous;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &previous);
        try {
            for (int t = 1; t < threads; ++t) pool.emplace_back(work, false);
        } catch (const std::system_error&) {
            // Could not start another thread: the ones running (and the
            // caller) finish the work.
        }
        pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    }
    work(true);
    for (auto& t : pool) t.join();
    if (failure) std::rethrow_exception(failure);
    if (done.load() != count_) return false;
    ensure_reachable();
    if (progress) progress(done.load());
    return true;
}

std::size_t MemoryGraph::ensure_reachable() {
    if (count_ == 0 || entry_ == kNone) return 0;
    std::vector<char> reached(count_, 0);
    std::vector<Id> queue;
    // Layer 0 only: a search ends with a layer-0 walk, so that is where
    // every node must be reachable.
    auto spread = [&](Id from) {
        reached[from] = 1;
        queue.assign(1, from);
        while (!queue.empty()) {
            Id id = queue.back();
            queue.pop_back();
            for (std::size_t i = 0; i < link_count(id, 0); ++i) {
                Id o = links(id, 0)[i].id;
                if (!reached[o]) {
                    reached[o] = 1;
                    queue.push_back(o);
                }
            }
        }
    };
    spread(entry_);

    // For an unreachable u and a reachable r near it: r -> u takes the slot
    // of r's farthest link r -> w, and u -> w takes the slot of a link of u
    // to an already reachable node (or a free slot). Afterwards u and w are
    // reachable and nothing that was reachable stopped being so (u was
    // unreachable, so none of its links mattered). When u's list is full of
    // unreachable targets, one of them loses u's link; passes repeat while
    // they make progress.
    std::size_t relinked = 0;
    for (int pass = 0; pass < 8; ++pass) {
        std::size_t before = relinked;
        for (Id u = 0; u < count_; ++u) {
            if (reached[u] || !relink_unreachable(u, reached)) continue;
            ++relinked;
            spread(u);
        }
        if (relinked == before) break;
    }
    return relinked;
}

// One relink of ensure_reachable: a reachable node near the unreachable u
// links to u (see there). False when no reachable node near u could.
bool MemoryGraph::relink_unreachable(Id u, const std::vector<char>& reached) {
    std::size_t max0 = static_cast<std::size_t>(params_.max_links(0));
    auto near = search_prepared(vector(u), static_cast<std::size_t>(params_.ef_construction), params_.ef_construction);
    for (const auto& c : near) {
        Id r = c.id;
        if (r == u || !reached[r]) continue;
        std::uint32_t* rc = count_ptr(r, 0);
        Link* rl = links_mut(r, 0);
        std::size_t rn = list_size(*rc);
        if (rn < max0) {
            rl[rn] = Link{u, c.distance};
            *rc = pack_list(rn + 1, list_kept(*rc));
        } else {
            std::uint32_t victim = 0;
            for (std::uint32_t i = 1; i < rn; ++i)
                if (rl[i].distance > rl[victim].distance) victim = i;
            Link w = rl[victim];
            std::uint32_t* uc = count_ptr(u, 0);
            Link* ul = links_mut(u, 0);
            std::size_t un = list_size(*uc);
            bool already = false;
            for (std::uint32_t i = 0; i < un; ++i) already |= ul[i].id == w.id;
            int slot = -1;
            if (!already && un >= max0) {
                for (std::uint32_t i = 0; i < un; ++i)
                    if (reached[ul[i].id] && (slot < 0 || ul[i].distance > ul[slot].distance))
                        slot = static_cast<int>(i);
                // Every link of u leads into the unreachable part (full
                // lists make this common): give up u's farthest; its
                // target may stay cut off, and the next pass links it.
                if (slot < 0)
                    for (std::uint32_t i = 0; i < un; ++i)
                        if (slot < 0 || ul[i].distance > ul[slot].distance) slot = static_cast<int>(i);
            }
            float uw = distance_(vector(u), vector(w.id), dims_);
            if (!already) {
                if (slot < 0) {
                    ul[un] = Link{w.id, uw};
                    *uc = pack_list(un + 1, list_kept(*uc));
                } else
                    ul[slot] = Link{w.id, uw};
            }
            rl[victim] = Link{u, c.distance};
        }
        return true;
    }
    return false;
}

std::vector<Candidate<MemoryGraph::Id>> MemoryGraph::search(const float* query, std::size_t k, int ef) const {
    std::vector<float> q(query, query + dims_);
    if (!prepare_vector(metric_, q.data(), dims_)) return {};
    return search_prepared(q.data(), k, ef);
}

std::vector<Candidate<MemoryGraph::Id>> MemoryGraph::search_prepared(const float* query, std::size_t k, int ef) const {
    std::vector<Candidate<Id>> result;
    if (count_ == 0 || entry_ == kNone) return result;
    thread_local Scratch s;
    s.begin(count_);
    Access g(*this, query, s, /*locking=*/false);
    Id ep = entry_;
    g.visit(ep);
    Candidate<Id> cur{g.distance(ep), ep};
    for (int l = max_level_; l > 0; --l) cur = greedy_closest(g, cur, l);
    s.entry.assign(1, cur);
    s.distances = 0;
    search_layer(g, s.entry, std::max<int>(ef, static_cast<int>(k)), 0, s.frontier, s.found);
    search_distances_.fetch_add(s.distances, std::memory_order_relaxed);
    result.assign(s.found.items().begin(), s.found.items().end());
    sort_closest_first(result);
    if (result.size() > k) result.resize(k);
    return result;
}

}  // namespace rushdb::hnsw

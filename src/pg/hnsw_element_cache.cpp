#include "hnsw_element_cache.hpp"

#include <algorithm>
#include <cstring>
#include <new>

namespace rushdb::pg::hnsw {

int g_element_cache_kb = 128 * 1024;

std::shared_ptr<ElementCache>* ElementCache::pool() {
    static std::shared_ptr<ElementCache> caches[kCaches];
    return caches;
}

std::size_t& ElementCache::used_bytes() {
    static std::size_t used = 0;
    return used;
}

std::shared_ptr<ElementCache> ElementCache::get(const RelFileNode& node, uint32_t epoch, int dims) noexcept {
    static uint64_t clock = 0;
    std::shared_ptr<ElementCache>* caches = pool();
    if (budget() == 0 || dims <= 0) {
        release_all();
        return nullptr;
    }
    // This index's cache, else a free place, else the least recently used
    // cache no open scan holds, else the least recently used one.
    std::shared_ptr<ElementCache>* place = nullptr;
    for (int i = 0; i < kCaches; ++i) {
        std::shared_ptr<ElementCache>& c = caches[i];
        if (c != nullptr && RelFileNodeEquals(c->node_, node)) {
            if (c->epoch_ == epoch && c->dims_ == dims) {
                c->last_used_ = ++clock;
                return c;
            }
            place = &c;
            break;
        }
    }
    auto rank = [](const std::shared_ptr<ElementCache>& c) {
        if (c == nullptr) return uint64_t{0};
        return c->last_used_ + (c.use_count() > 1 ? (uint64_t{1} << 62) : 0);
    };
    if (place == nullptr) {
        place = &caches[0];
        for (int i = 1; i < kCaches; ++i)
            if (rank(caches[i]) < rank(*place)) place = &caches[i];
    }
    place->reset();  // its memory returns to the budget once no scan holds it
    try {
        *place = std::shared_ptr<ElementCache>(new ElementCache(node, epoch, dims));
    } catch (const std::bad_alloc&) {
        return nullptr;  // no memory for a cache: read pages as before
    }
    (*place)->last_used_ = ++clock;
    return *place;
}

void ElementCache::release_all() noexcept {
    std::shared_ptr<ElementCache>* caches = pool();
    for (int i = 0; i < kCaches; ++i) caches[i].reset();
}

ElementCache::ElementCache(const RelFileNode& node, uint32_t epoch, int dims)
    : node_(node), epoch_(epoch), dims_(dims) {
    stride_ = (offsetof(Entry, vector) + sizeof(float) * static_cast<std::size_t>(dims) + 7) & ~std::size_t{7};
    // Blocks small against the budget, so a small setting is not overrun by
    // the first block.
    block_bytes_ = std::clamp(budget() / 16, stride_, std::max(stride_, kMaxBlockBytes));
    per_block_ = block_bytes_ / stride_;
    block_bytes_ = per_block_ * stride_;
    slots_.assign(kFirstSlots, Slot{kEmpty, 0});
    used_bytes() += slots_.size() * sizeof(Slot);
}

ElementCache::~ElementCache() { used_bytes() -= memory(); }

void ElementCache::prepare(std::size_t n) noexcept {
    if (full_) return;
    std::size_t want = count_ + n;
    // The table stays at most half full; blocks hold the entries.
    std::size_t slots = slots_.size();
    while (want * 2 > slots) slots *= 2;
    std::size_t blocks = (want + per_block_ - 1) / per_block_;
    std::size_t extra = (slots > slots_.size() ? slots * sizeof(Slot) : 0) +
                        (blocks > blocks_.size() ? (blocks - blocks_.size()) * block_bytes_ : 0);
    if (used_bytes() + extra > budget()) {
        // Only what already has room; the cache is full from now on.
        full_ = true;
        ready_ = std::min(blocks_.size() * per_block_, slots_.size() / 2);
        return;
    }
    try {
        if (slots > slots_.size()) {
            std::vector<Slot> table(slots, Slot{kEmpty, 0});
            std::size_t mask = slots - 1;
            for (const Slot& s : slots_) {
                if (s.key == kEmpty) continue;
                std::size_t i = hash(s.key) & mask;
                while (table[i].key != kEmpty) i = (i + 1) & mask;
                table[i] = s;
            }
            used_bytes() += (table.size() - slots_.size()) * sizeof(Slot);
            slots_.swap(table);
        }
        while (blocks_.size() < blocks) {
            std::unique_ptr<char[]> block(new char[block_bytes_]);
            blocks_.push_back(std::move(block));
            used_bytes() += block_bytes_;
        }
    } catch (const std::bad_alloc&) {
        full_ = true;
        ready_ = std::min(blocks_.size() * per_block_, slots_.size() / 2);
        return;
    }
    ready_ = want;
}

void ElementCache::add(Id id, const ElementInfo& info, const float* vector) noexcept {
    if (count_ >= ready_ || info.state != kLive) return;
    auto index = static_cast<uint32_t>(count_++);
    auto* e = reinterpret_cast<Entry*>(blocks_[index / per_block_].get() + (index % per_block_) * stride_);
    e->info = info;
    std::memcpy(e->vector, vector, sizeof(float) * static_cast<std::size_t>(dims_));
    std::size_t mask = slots_.size() - 1, i = hash(id) & mask;
    while (slots_[i].key != kEmpty) i = (i + 1) & mask;
    slots_[i] = Slot{id, index};
}

}  // namespace rushdb::pg::hnsw

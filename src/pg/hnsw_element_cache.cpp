#include "hnsw_element_cache.hpp"

#include <algorithm>
#include <cstring>
#include <new>

namespace rushdb::pg::hnsw {

int g_element_cache_kb = 128 * 1024;

namespace {
// One cache per backend: the index it serves last. (Scans of several
// indexes in one query take turns; each switch starts the cache over.)
std::shared_ptr<ElementCache>& backend_cache() {
    static std::shared_ptr<ElementCache> c;
    return c;
}
}  // namespace

std::shared_ptr<ElementCache> ElementCache::get(const RelFileNode& node, uint32_t epoch, int dims) {
    std::shared_ptr<ElementCache>& c = backend_cache();
    auto bytes = static_cast<std::size_t>(g_element_cache_kb) * 1024;
    if (bytes == 0 || dims <= 0) {
        c.reset();
        return nullptr;
    }
    if (c != nullptr && RelFileNodeEquals(c->node_, node) && c->epoch_ == epoch && c->dims_ == dims &&
        c->bytes_ == bytes)
        return c;
    c.reset();
    try {
        c = std::shared_ptr<ElementCache>(new ElementCache(node, epoch, dims, bytes));
    } catch (const std::bad_alloc&) {
        return nullptr;  // no memory for a cache: scans read pages as before
    }
    return c;
}

void ElementCache::release() { backend_cache().reset(); }

const ElementCache* ElementCache::current() { return backend_cache().get(); }

ElementCache::ElementCache(const RelFileNode& node, uint32_t epoch, int dims, std::size_t bytes)
    : node_(node), epoch_(epoch), dims_(dims), bytes_(bytes) {
    stride_ = (offsetof(Entry, vector) + sizeof(float) * static_cast<std::size_t>(dims) + 7) & ~std::size_t{7};
    per_block_ = std::max<std::size_t>(1, kBlockBytes / stride_);
    // Each entry also costs two table slots (the table stays at most half
    // full).
    capacity_ = bytes / (stride_ + 2 * sizeof(Slot));
    if (capacity_ > 0xFFFFFFF0u) capacity_ = 0xFFFFFFF0u;
    slots_.assign(1024, Slot{kEmpty, 0});
}

void ElementCache::grow() {
    std::vector<Slot> old(std::max<std::size_t>(1024, slots_.size() * 2), Slot{kEmpty, 0});
    old.swap(slots_);
    std::size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
        if (s.key == kEmpty) continue;
        std::size_t i = hash(s.key) & mask;
        while (slots_[i].key != kEmpty) i = (i + 1) & mask;
        slots_[i] = s;
    }
}

void ElementCache::add(Id id, const ElementInfo& info, const float* vector) noexcept {
    if (full_) return;
    if (count_ >= capacity_) {
        full_ = true;
        return;
    }
    try {
        if ((count_ + 1) * 2 > slots_.size()) grow();
        if (count_ / per_block_ >= blocks_.size()) blocks_.emplace_back(new char[per_block_ * stride_]);
    } catch (const std::bad_alloc&) {
        full_ = true;
        return;
    }
    auto index = static_cast<uint32_t>(count_++);
    auto* e = reinterpret_cast<Entry*>(blocks_[index / per_block_].get() + (index % per_block_) * stride_);
    e->info = info;
    std::memcpy(e->vector, vector, sizeof(float) * static_cast<std::size_t>(dims_));
    std::size_t mask = slots_.size() - 1, i = hash(id) & mask;
    while (slots_[i].key != kEmpty) i = (i + 1) & mask;
    slots_[i] = Slot{id, index};
}

}  // namespace rushdb::pg::hnsw

#include "hnsw_vector_cache.hpp"

#include <algorithm>

#include "hnsw/id_set.hpp"

namespace rushdb::pg::hnsw {

using rushdb::hnsw::hash_id;

namespace {
// One spare storage per backend: caches do not nest (an insert's, a merge
// row's or VACUUM's repair), so one is enough. Kept only up to this size:
// an insert at 1,536 dimensions reads 3-4 MB of vectors, and with a 4 MB
// bound its storage was freed and faulted in again on every row (28% of a
// merge's profile at 1,536 dims).
constexpr std::size_t kKeepFloats = std::size_t{4} << 20;  // 16 MB
}  // namespace

std::unique_ptr<VectorCache::Storage>& VectorCache::spare() {
    static std::unique_ptr<Storage> s;
    return s;
}

std::unique_ptr<VectorCache::Storage> VectorCache::take_storage(std::size_t dims) {
    std::unique_ptr<Storage> s = std::move(spare());
    if (s != nullptr && s->slots.size() > 8192) s->slots.assign(1024, Slot{kEmpty, 0});  // after a large repair
    if (s == nullptr || s->block_floats != kBlockVectors * dims) {
        s = std::make_unique<Storage>();
        s->slots.assign(1024, Slot{kEmpty, 0});
        s->block_floats = kBlockVectors * dims;
    }
    return s;
}

VectorCache::VectorCache(PageGraph& g)
    : g_(g), dims_(static_cast<std::size_t>(g.layout().dims)), s_(take_storage(dims_)) {
    clear();
}

VectorCache::~VectorCache() {
    if (s_->blocks.size() * s_->block_floats > kKeepFloats) return;  // freed, not kept
    spare() = std::move(s_);
}

void VectorCache::clear() {
    std::fill(s_->slots.begin(), s_->slots.end(), Slot{kEmpty, 0});
    s_->used_slots = 0;
    s_->count = 0;
}

void VectorCache::trim() {
    if (s_->count * dims_ > kMaxFloats) clear();
}

void VectorCache::grow() {
    std::vector<Slot> old(s_->slots.size() * 2, Slot{kEmpty, 0});
    old.swap(s_->slots);
    std::size_t mask = s_->slots.size() - 1;
    for (const Slot& s : old) {
        if (s.key == kEmpty) continue;
        std::size_t i = hash_id(s.key) & mask;
        while (s_->slots[i].key != kEmpty) i = (i + 1) & mask;
        s_->slots[i] = s;
    }
}

VectorCache::Slot& VectorCache::find_or_insert(Id id, bool* inserted) {
    if ((s_->used_slots + 1) * 2 > s_->slots.size()) grow();
    std::size_t mask = s_->slots.size() - 1, i = hash_id(id) & mask;
    for (;;) {
        Slot& s = s_->slots[i];
        if (s.key == id) {
            *inserted = false;
            return s;
        }
        if (s.key == kEmpty) {
            s.key = id;
            ++s_->used_slots;
            *inserted = true;
            return s;
        }
        i = (i + 1) & mask;
    }
}

const float* VectorCache::get(Id id) {
    bool inserted;
    Slot& s = find_or_insert(id, &inserted);
    if (!inserted) return s.index == kGone ? nullptr : vector_at(s.index);
    uint32_t index = static_cast<uint32_t>(s_->count);
    if (index / kBlockVectors >= s_->blocks.size()) s_->blocks.emplace_back(new float[s_->block_floats]);
    float* out = vector_at(index);
    if (!g_.copy_vector(id, out)) {
        s.index = kGone;
        return nullptr;
    }
    s.index = index;
    ++s_->count;
    return out;
}

}  // namespace rushdb::pg::hnsw

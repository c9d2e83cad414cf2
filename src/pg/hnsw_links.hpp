// Maintaining neighbour lists on pages, shared by insert and the VACUUM
// repair (hnsw_links.cpp); the list reads and writes themselves are
// hnsw_storage.hpp's. Call inside guarded(): PostgreSQL calls go through
// pg_call.
#pragma once

#include <functional>
#include <vector>

#include "hnsw/candidates.hpp"
#include "hnsw/metric.hpp"
#include "hnsw_graph_access.hpp"
#include "hnsw_storage.hpp"
#include "hnsw_vector_cache.hpp"

namespace rushdb::pg::hnsw {

using Id = PageGraph::Id;
using Cand = rushdb::hnsw::Candidate<Id>;

// Up to `max` links among `sorted` (closest first) by the HNSW heuristic.
void select(std::vector<Cand>& sorted, std::size_t max, VectorCache& vectors, const rushdb::hnsw::GraphDistance& dist,
            int dims, std::vector<Cand>& out);

// Whether some element other than `besides` (and not one `ignore` names)
// links to `x` on layer 0. HNSW links are mostly mutual, so x's own
// neighbours are asked, stopping at the first that links back; the answer
// "no" may be wrong only towards keeping or forcing a link that was not
// strictly needed. Used before a list rewrite drops x: each rewrite is its
// own WAL record, so x must already have another way in.
bool has_incoming_link(Relation index, const ElementLayout& layout, Id x, Id besides = 0,
                       const std::function<bool(Id)>& ignore = nullptr);

// Serializes the decisions to drop layer-0 links into the same element. A
// rewrite drops a link into x only when has_incoming_link(x) finds another
// one, but two rewrites checking at the same time could each count on the
// link the other is removing, leaving x with no way in (a row no scan
// finds until VACUUM repairs it). So a rewrite that drops links first takes
// a heavyweight lock on every element it drops (ExclusiveLock on the
// element's TID in the index: PostgreSQL's tuple lock tag, which nothing
// else takes on an index, so it cannot meet the page locks of the pending
// list and the metapage), holds them across its check and its write, and
// releases them. They are taken in ascending TID order and no other lock
// is waited for while they are held, so two rewrites never wait for each
// other in a cycle. On an error they stay until the (sub)transaction
// aborts, which releases them.
class DropLocks {
public:
    void lock(Relation index, const std::vector<Id>& dropped);
    void unlock(Relation index);

private:
    std::vector<Id> held_;
};

// Gives u an incoming layer-0 link from r without stranding anything: r's
// farthest link w is handed to u (in a free slot, or replacing one of u's
// links whose target `reachable` says is reachable anyway), then r -> u takes
// w's slot. False when it could not be done safely.
bool force_in_link(Relation index, PageGraph& g, VectorCache& vectors, const rushdb::hnsw::GraphDistance& dist, Id r,
                   Id u, const std::function<bool(Id)>& reachable);

}  // namespace rushdb::pg::hnsw

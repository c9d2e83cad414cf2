// VACUUM's second half for rushdb_hnsw: relink the neighbourhoods of
// elements marked deleted, then remove them.
#pragma once

#include "hnsw_am.hpp"

namespace rushdb::pg::hnsw {

struct RepairStats {
    double live_elements;
    double removed;
    double relinked;  // neighbour lists rewritten
};

RepairStats repair_and_remove_deleted(Relation index, BufferAccessStrategy strategy);

}  // namespace rushdb::pg::hnsw

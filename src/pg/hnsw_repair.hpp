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

// `bulk_delete_ran`: this VACUUM flagged elements (ambulkdelete ran). When
// it did not, only the reachability pass runs, unless the pages still hold
// elements an interrupted VACUUM flagged.
RepairStats repair_and_remove_deleted(Relation index, BufferAccessStrategy strategy, bool bulk_delete_ran);

}  // namespace rushdb::pg::hnsw

// On-disk insertion of one vector into a rushdb_hnsw index: used by
// aminsert and by the build once the in-memory graph is full.
#pragma once

#include "hnsw_am.hpp"

extern "C" {
#include "storage/itemptr.h"
}

namespace rushdb::pg::hnsw {

// Inserts `x` (dims floats, not yet normalised) into the graph. Returns
// false when the vector is not indexed (zero vector under cosine). Raises on
// a dimension mismatch. `from_pending`: a merge of the pending list, which
// skips a row the graph already holds (a merge a crash interrupted after the
// graph insert, before the entry was flagged).
bool insert_vector(Relation index, const float* x, int dims, ItemPointer heap_tid, const IndexParams& params,
                   bool from_pending = false);

}  // namespace rushdb::pg::hnsw

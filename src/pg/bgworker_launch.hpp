// Registering the extension's dynamic background workers (the embedding
// worker of a database, the merge worker of an HNSW index): one place for
// the fields every one of them sets alike.
#pragma once

#include "pg_prelude.hpp"

namespace rushdb::pg {

// Registers a dynamic worker running rushdb's `function`, connected to a
// database, started once recovery is over and never restarted. `arg` is its
// bgw_main_arg; `extra` (up to BGW_EXTRALEN bytes) is copied to bgw_extra.
// False when no slot is free (max_worker_processes).
bool register_dynamic_worker(const char* function, const char* name, const char* type, Datum arg,
                             const void* extra = nullptr, std::size_t extra_len = 0);

}  // namespace rushdb::pg

// PostgreSQL side of the embedding providers (src/core/embed): settings
// (GUCs), and embedding with C++ errors turned into user errors.
#pragma once

#include <string>
#include <vector>

#include "embed/provider.hpp"

namespace rushdb::pg::embed {

// Defines the rushdb.embedding_* settings; called from _PG_init.
void register_settings();

// Registers the embedding launcher when loaded by shared_preload_libraries
// (embed_worker_launch.cpp); called from _PG_init.
void register_launcher();

// Worker settings.
int worker_batch_size();   // records per worker transaction
int retry_base_ms();       // backoff after a failed batch: base * 2^(failures-1)
int max_failures();        // consecutive failures before status 'error'
int launcher_naptime_s();  // how often the launcher looks for work

// Set by the embedding worker: true when it must stop what it is doing
// (DROP DATABASE waits for it). Polled with the interrupt flags.
extern bool (*g_leave_requested)();

// Provider settings from the GUCs; should_abort reports a pending interrupt.
rushdb::embed::ProviderSettings provider_settings();

// Embeds texts with the provider of model_key. Throws UserError with a
// SQLSTATE per failure kind (configuration 22023, transient 08006, permanent
// 38000, aborted: the pending interrupt is processed). For use inside
// guarded().
std::vector<std::vector<float>> embed_texts(const std::string& model_key, std::size_t dims,
                                            const std::vector<std::string>& texts);

}  // namespace rushdb::pg::embed

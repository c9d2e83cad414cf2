// Embedding from SQL: the rushdb.embedding_* settings, rushdb.embed_text and
// rushdb.check_embedding_provider. The providers themselves are in
// src/core/embed; the background worker is embed_worker*.cpp (embed_worker.hpp).
#include "embed_glue.hpp"

#include <climits>
#include <cstring>

#include "boundary.hpp"
#include "embed/http_provider.hpp"
#include "pg_prelude.hpp"
#include "vector_type.hpp"

extern "C" {
#include "miscadmin.h"
#include "utils/guc.h"
}

namespace rushdb::pg::embed {

namespace {

char* g_endpoint = nullptr;
char* g_api_key_shown = nullptr;  // always kHiddenKey
const char* g_api_key = "";       // the real value: the current `extra` of the setting
bool g_preloaded = false;         // loaded by shared_preload_libraries (inherited by forks)

// The API key setting shows this to everyone, superusers included, whatever
// it holds; the real value is kept in the check hook's `extra`. That keeps it
// out of SHOW and pg_settings, and out of the log: on a configuration reload
// PostgreSQL logs a setting's new value only when its shown value changed.
constexpr const char* kHiddenKey = "(hidden)";

char* malloc_copy(const char* s) {
    std::size_t n = std::strlen(s) + 1;
    char* copy = static_cast<char*>(malloc(n));
    if (copy != nullptr) std::memcpy(copy, s, n);
    return copy;
}

bool check_api_key(char** newval, void** extra, GucSource) {
    // GUC strings and extras are malloc'd and freed by the GUC machinery.
    char* real = malloc_copy(*newval ? *newval : "");
    char* shown = malloc_copy(kHiddenKey);
    if (real == nullptr || shown == nullptr) {
        free(real);
        free(shown);
        GUC_check_errcode(ERRCODE_OUT_OF_MEMORY);
        return false;
    }
    free(*newval);
    *newval = shown;
    *extra = real;
    return true;
}

void assign_api_key(const char*, void* extra) { g_api_key = extra ? static_cast<const char*>(extra) : ""; }

// Credentials in the endpoint URL ("http://user:password@host") are refused:
// a setting's value is visible to other roles in places no hook controls
// (pg_db_role_setting for ALTER ROLE / DATABASE SET, the server log on a
// reload), while rushdb.embedding_api_key is hidden everywhere. The message
// is set here, so PostgreSQL does not quote the rejected value in it.
bool check_endpoint(char** newval, void**, GucSource) {
    if (*newval == nullptr || !rushdb::embed::http_detail::url_has_userinfo(*newval)) return true;
    GUC_check_errcode(ERRCODE_INVALID_PARAMETER_VALUE);
    GUC_check_errmsg("rushdb.embedding_endpoint must not contain credentials (user:password@ before the host)");
    GUC_check_errdetail("Other roles could read them from the setting.");
    GUC_check_errhint(
        "Put the API key in rushdb.embedding_api_key, which is never shown; it is sent as a "
        "Bearer token.");
    return false;
}
int g_timeout_ms = 30000;
int g_max_retries = 3;
int g_request_batch = 64;
bool g_send_dimensions = true;
int g_batch_size = 500;
int g_retry_base_ms = 1000;
int g_max_failures = 3;
int g_naptime_s = 60;

}  // namespace

bool (*g_leave_requested)() = nullptr;

void register_settings() {
    // The endpoint and key are superuser-only: an endpoint chosen by any
    // role would let it make the server send requests (and the key) where
    // it likes; the key is hidden from other roles' SHOW and pg_settings.
    DefineCustomStringVariable(
        "rushdb.embedding_endpoint", "Base URL of the OpenAI-compatible embeddings API (POST {url}/embeddings).",
        "For managed indexes whose model key is not a built-in one, e.g. http://127.0.0.1:11434/v1. No "
        "user:password@: put the key in rushdb.embedding_api_key.",
        &g_endpoint, "", PGC_SUSET, 0, check_endpoint, nullptr, nullptr);
    g_preloaded = process_shared_preload_libraries_in_progress;
    DefineCustomStringVariable(
        "rushdb.embedding_api_key", "API key sent as a Bearer token to the embeddings API.",
        "Always shown as (hidden). Used only when rushdb is in shared_preload_libraries.", &g_api_key_shown, "",
        PGC_SUSET, GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE, check_api_key, assign_api_key, nullptr);
    DefineCustomIntVariable("rushdb.embedding_timeout", "Timeout of one request to the embeddings API.", nullptr,
                            &g_timeout_ms, 30000, 100, 600000, PGC_SUSET, GUC_UNIT_MS, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("rushdb.embedding_max_retries",
                            "Retries of a request that failed for a transient cause (network, 429, 5xx).", nullptr,
                            &g_max_retries, 3, 0, 10, PGC_SUSET, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("rushdb.embedding_request_size", "Texts sent in one request to the embeddings API.",
                            nullptr, &g_request_batch, 64, 1, 2048, PGC_SUSET, 0, nullptr, nullptr, nullptr);
    DefineCustomBoolVariable("rushdb.embedding_send_dimensions",
                             "Send \"dimensions\" in requests to the embeddings API.",
                             "Turn off for servers and models that reject the field.", &g_send_dimensions, true,
                             PGC_SUSET, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("rushdb.embedding_batch_size",
                            "Records the embedding worker embeds and commits per transaction.", nullptr, &g_batch_size,
                            500, 1, 100000, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("rushdb.embedding_retry_delay",
                            "Wait after a failed embedding batch; doubles with each consecutive failure.", nullptr,
                            &g_retry_base_ms, 1000, 10, 3600000, PGC_SIGHUP, GUC_UNIT_MS, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("rushdb.embedding_max_failures",
                            "Consecutive failed batches after which a managed index goes to status error.", nullptr,
                            &g_max_failures, 3, 1, 100, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable("rushdb.embedding_launcher_naptime",
                            "How often the embedding launcher (shared_preload_libraries) looks for work.", nullptr,
                            &g_naptime_s, 60, 1, 86400, PGC_SIGHUP, GUC_UNIT_S, nullptr, nullptr, nullptr);
}

int worker_batch_size() { return g_batch_size; }
int retry_base_ms() { return g_retry_base_ms; }
int max_failures() { return g_max_failures; }
int launcher_naptime_s() { return g_naptime_s; }

rushdb::embed::ProviderSettings provider_settings() {
    rushdb::embed::ProviderSettings s;
    s.endpoint = g_endpoint ? g_endpoint : "";
    s.api_key = g_api_key;
    s.timeout_ms = g_timeout_ms;
    s.max_retries = g_max_retries;
    s.request_batch = static_cast<std::size_t>(g_request_batch);
    s.send_dimensions = g_send_dimensions;
    // Reading the flag is all a signal-safe check can do here; the caller
    // processes the interrupt once the C++ frames are gone.
    s.should_abort = [] { return InterruptPending != 0 || (g_leave_requested != nullptr && g_leave_requested()); };
    return s;
}

std::vector<std::vector<float>> embed_texts(const std::string& model_key, std::size_t dims,
                                            const std::vector<std::string>& texts) {
    using rushdb::embed::ProviderError;
    using rushdb::embed::ProviderErrorKind;
    if (g_api_key[0] != '\0' && !g_preloaded && model_key.rfind("builtin-", 0) != 0)
        // Until a session loads the library, PostgreSQL keeps the setting as
        // a placeholder any role can read, and logs its reloaded value.
        throw UserError(ERRCODE_INVALID_PARAMETER_VALUE,
                        "rushdb.embedding_api_key is used only when rushdb is loaded by shared_preload_libraries",
                        "Without it, PostgreSQL shows the setting to every role until the library is loaded.",
                        "Add rushdb to shared_preload_libraries and restart the server.");
    // One provider per backend, kept while the model and settings stay the
    // same: an HTTP provider keeps its connection (and TLS session) open, so
    // text queries and worker batches do not pay a new handshake each.
    static rushdb::embed::Provider* cached = nullptr;  // never freed at exit: the process ends
    static std::string cached_key;
    try {
        rushdb::embed::ProviderSettings settings = provider_settings();
        std::string key = model_key + '\x1f' + std::to_string(dims) + '\x1f' + settings.endpoint + '\x1f' +
                          settings.api_key + '\x1f' + std::to_string(settings.timeout_ms) + '\x1f' +
                          std::to_string(settings.max_retries) + '\x1f' + std::to_string(settings.request_batch) +
                          '\x1f' + (settings.send_dimensions ? "1" : "0");
        if (cached == nullptr || key != cached_key) {
            delete cached;
            cached = nullptr;
            cached = rushdb::embed::make_provider(model_key, dims, settings).release();
            cached_key = std::move(key);
        }
        try {
            return cached->embed(texts);
        } catch (...) {
            // A failed or cancelled request may leave the connection in any
            // state: start afresh next time.
            delete cached;
            cached = nullptr;
            throw;
        }
    } catch (const ProviderError& e) {
        switch (e.kind()) {
            case ProviderErrorKind::configuration:
                throw UserError(ERRCODE_INVALID_PARAMETER_VALUE, e.what(), {},
                                "Managed indexes embed with a built-in model (builtin-lexical-v1) or an "
                                "OpenAI-compatible API set by rushdb.embedding_endpoint.");
            case ProviderErrorKind::transient:
                throw UserError(ERRCODE_CONNECTION_FAILURE, e.what());
            case ProviderErrorKind::permanent:
                throw UserError(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION, e.what());
            case ProviderErrorKind::aborted:
                pg_call([] { CHECK_FOR_INTERRUPTS(); });
                throw UserError(ERRCODE_QUERY_CANCELED, "embedding request canceled");
        }
        throw;
    }
}

}  // namespace rushdb::pg::embed

using namespace rushdb::pg;

namespace {

void require_dims(int32 dims) {
    if (dims < 1 || dims > kMaxDims)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("dimensions must be between 1 and %d, not %d", kMaxDims, dims)));
}

}  // namespace

extern "C" {

PG_FUNCTION_INFO_V1(rushdb_embed_text);
PG_FUNCTION_INFO_V1(rushdb_check_embedding_provider);

// rushdb.embed_text(text, dimensions, model_key): one text through a provider.
Datum rushdb_embed_text(PG_FUNCTION_ARGS) {
    text* input = PG_GETARG_TEXT_PP(0);
    int32 dims = PG_GETARG_INT32(1);
    char* model = text_to_cstring(PG_GETARG_TEXT_PP(2));
    require_dims(dims);
    Vector* v = new_vector(dims);
    std::string_view in(VARDATA_ANY(input), VARSIZE_ANY_EXHDR(input));
    float* out = v->x;
    guarded([&] {
        auto vectors = embed::embed_texts(model, static_cast<std::size_t>(dims), {std::string(in)});
        std::memcpy(out, vectors.at(0).data(), sizeof(float) * static_cast<std::size_t>(dims));
    });
    RUSHDB_RETURN_VECTOR(v);
}

// rushdb.check_embedding_provider(model_key, dimensions): one test embedding.
Datum rushdb_check_embedding_provider(PG_FUNCTION_ARGS) {
    if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("model key and dimensions are required")));
    char* model = text_to_cstring(PG_GETARG_TEXT_PP(0));
    int32 dims = PG_GETARG_INT32(1);
    require_dims(dims);
    guarded([&] {
        try {
            embed::embed_texts(model, static_cast<std::size_t>(dims), {"rushdb embedding provider check"});
        } catch (const UserError& e) {
            throw UserError(e.sqlstate(),
                            std::string("embedding provider check failed for model \"") + model + "\": " + e.what(),
                            e.detail(), e.hint());
        }
    });
    PG_RETURN_VOID();
}

}  // extern "C"

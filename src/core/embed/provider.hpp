// Embedding providers: what turns texts into vectors for a managed index.
//
// A managed index names its provider by model key:
//   - a built-in key ("builtin-lexical-v1") runs in-process, offline
//     (lexical_embedder.hpp);
//   - any other key is a model name sent to an OpenAI-compatible HTTP
//     endpoint (POST {endpoint}/embeddings with {model, input, dimensions}),
//     which Ollama, vLLM, text-embeddings-inference and OpenAI serve
//     (http_provider.hpp).
//
// Providers know nothing of PostgreSQL: the glue (src/pg/embed_*) reads the
// settings from GUCs, passes an abort hook that checks for query cancel, and
// turns ProviderError into ereport with a SQLSTATE per kind.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace rushdb::embed {

enum class ProviderErrorKind {
    configuration,  // missing/invalid endpoint, unknown built-in model, bad dimensions: fix the settings
    transient,      // network error, timeout, HTTP 408/429/5xx: worth retrying later
    permanent,      // other HTTP 4xx, malformed response, wrong vector length or count
    aborted,        // should_abort() returned true (query cancel, shutdown)
};

class ProviderError : public std::runtime_error {
public:
    ProviderError(ProviderErrorKind kind, const std::string& message, int http_status = 0)
        : std::runtime_error(message), kind_(kind), http_status_(http_status) {}
    ProviderErrorKind kind() const noexcept { return kind_; }
    int http_status() const noexcept { return http_status_; }  // 0 when no HTTP response

private:
    ProviderErrorKind kind_;
    int http_status_;
};

// Settings of the HTTP provider (ignored by built-in ones).
struct ProviderSettings {
    std::string endpoint;     // base URL, e.g. "http://127.0.0.1:11434/v1"
    std::string api_key;      // sent as "Authorization: Bearer ..."; empty = none; never in messages
    long timeout_ms = 30000;  // whole-request timeout per attempt
    long connect_timeout_ms = 5000;
    int max_retries = 3;             // extra attempts after a transient failure
    long retry_base_ms = 500;        // backoff before retry i (0-based): base * 2^i, capped at 30 s
    std::size_t request_batch = 64;  // inputs per HTTP request
    bool send_dimensions = true;     // include "dimensions" in the request body
    // Polled at least every 100 ms during transfers and backoff sleeps; when
    // it returns true the call stops and throws ProviderError(aborted).
    std::function<bool()> should_abort;
};

class Provider {
public:
    virtual ~Provider() = default;
    virtual const std::string& model_key() const noexcept = 0;
    virtual std::size_t dimensions() const noexcept = 0;
    // One vector of dimensions() floats per text, in the order given.
    // Throws ProviderError.
    virtual std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) = 0;
};

// True for model keys served in-process ("builtin-lexical-v1").
bool is_builtin_model(std::string_view model_key) noexcept;

// The provider for a model key. Throws ProviderError(configuration) for a
// bad dimension count, an unknown "builtin-*" key, or an HTTP model without
// an endpoint (or with a URL that is not http:// or https://).
std::unique_ptr<Provider> make_provider(const std::string& model_key, std::size_t dimensions,
                                        const ProviderSettings& settings);

}  // namespace rushdb::embed

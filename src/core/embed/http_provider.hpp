// Embeddings from an OpenAI-compatible HTTP API (OpenAI, Ollama, vLLM,
// text-embeddings-inference, ...), through libcurl.
//
// Protocol: POST {endpoint}/embeddings with
//   {"model": <model key>, "input": [texts...], "dimensions": N}
// ("dimensions" left out when send_dimensions is false), in requests of at
// most request_batch texts; the answer's data[i].embedding are put back in
// input order by data[i].index.
//
// Failures (see ProviderErrorKind):
//   - configuration: bad endpoint URL (at construction), an API key with
//     control characters, TLS certificate problems;
//   - transient: connection failure, timeout, HTTP 408/429/5xx, retried
//     max_retries times with exponential backoff (or the server's
//     Retry-After on 429/503), then thrown with the attempt count;
//   - permanent: any other HTTP status, a response that is not the expected
//     JSON, a wrong vector count or length, non-finite numbers;
//   - aborted: should_abort() returned true.
// Messages name the request URL without credentials or query string, never
// contain the API key (it is also masked if a server echoes it) and quote at
// most 200 bytes of what the server said.
//
// Running inside a PostgreSQL backend shapes the implementation: libcurl is
// told not to use signals (the backend owns SIGALRM), waits are cut into
// slices of at most 100 ms so should_abort() is polled that often, and no
// exception crosses libcurl's C frames.
//
// Texts are sent as UTF-8; a byte sequence that is not valid UTF-8 is sent
// with each invalid byte replaced by U+FFFD (JSON cannot carry raw bytes).
//
// Not thread-safe: one provider owns one libcurl handle (so consecutive
// calls reuse the connection). Use one object per thread.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "embed/provider.hpp"

namespace rushdb::embed {

class HttpProvider final : public Provider {
public:
    // Validates the settings (ProviderError(configuration) for an empty or
    // non-http(s) endpoint, an API key with control characters, negative
    // timeouts/retries, request_batch 0); makes no network request.
    // dimensions must be 1..16000 (make_provider checks it too).
    HttpProvider(std::string model_key, std::size_t dimensions, ProviderSettings settings);
    ~HttpProvider() override;
    HttpProvider(const HttpProvider&) = delete;
    HttpProvider& operator=(const HttpProvider&) = delete;

    const std::string& model_key() const noexcept override;
    std::size_t dimensions() const noexcept override;
    // An empty list returns an empty result without any request.
    std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) override;

    // The request URL as messages show it: no user:password@, no query
    // string or fragment.
    const std::string& display_url() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

namespace http_detail {

// `url` without "user:password@" in the authority and without "?query" or
// "#fragment". Works on any string (no validation).
std::string redact_url(const std::string& url);

// True when `url` carries credentials before its host ("user@", "user:pw@";
// with or without a scheme): an '@' in the authority, the part after "://"
// up to the first '/', '?' or '#'. No allocation, no validation.
bool url_has_userinfo(std::string_view url) noexcept;

// At most `max_bytes` bytes of `s` for a message: invalid UTF-8 bytes become
// '?', control characters become spaces, a cut is made on a code point
// boundary and marked with "...".
std::string quote_for_message(const std::string& s, std::size_t max_bytes);

}  // namespace http_detail

}  // namespace rushdb::embed

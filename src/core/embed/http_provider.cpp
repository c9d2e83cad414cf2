// OpenAI-compatible embeddings over HTTP. See http_provider.hpp.
#include "embed/http_provider.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <mutex>
#include <new>
#include <string_view>
#include <thread>
#include <utility>

#include "embed/lexical_embedder.hpp"
#include "json/json_value.hpp"

namespace rushdb::embed {

namespace {

using Clock = std::chrono::steady_clock;

// should_abort() is promised to be polled at least this often.
constexpr long kPollSliceMs = 100;
constexpr long kMaxBackoffMs = 30000;
constexpr std::size_t kMaxQuotedBytes = 200;

const char* const kNoEndpointMessage =
    "no embedding endpoint is configured: set rushdb.embedding_endpoint to the base URL of an "
    "OpenAI-compatible API (e.g. http://127.0.0.1:11434/v1)";

// ------------------------------------------------------------- libcurl RAII --

struct EasyDeleter {
    void operator()(CURL* h) const noexcept { curl_easy_cleanup(h); }
};
struct MultiDeleter {
    void operator()(CURLM* h) const noexcept { curl_multi_cleanup(h); }
};
struct SlistDeleter {
    void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};
struct UrlDeleter {
    void operator()(CURLU* u) const noexcept { curl_url_cleanup(u); }
};
using EasyPtr = std::unique_ptr<CURL, EasyDeleter>;
using MultiPtr = std::unique_ptr<CURLM, MultiDeleter>;
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;
using UrlPtr = std::unique_ptr<CURLU, UrlDeleter>;

// curl_global_init is not thread-safe before libcurl 7.84 and must run once
// per process; it is never undone (a backend keeps it until exit).
CURLcode global_init() {
    static std::once_flag once;
    static CURLcode result = CURLE_FAILED_INIT;
    std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
    return result;
}

void append_header(SlistPtr& list, const std::string& header) {
    curl_slist* head = curl_slist_append(list.get(), header.c_str());
    if (head == nullptr) throw std::bad_alloc();
    // On success the old head (if any) is still the head: re-own it.
    (void)list.release();
    list.reset(head);
}

template <typename T>
void set_option(CURL* h, CURLoption option, T value) {
    const CURLcode rc = curl_easy_setopt(h, option, value);
    if (rc != CURLE_OK)
        throw ProviderError(ProviderErrorKind::configuration,
                            std::string("libcurl does not support a required option: ") + curl_easy_strerror(rc));
}

// ------------------------------------------------------------------ strings --

bool starts_with_nocase(std::string_view s, std::string_view prefix) noexcept {
    if (s.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != prefix[i]) return false;
    }
    return true;
}

// Length of the valid UTF-8 sequence at p (strict: no overlong forms, no
// surrogates, <= U+10FFFF), or 0 when the byte at p does not start one.
std::size_t utf8_sequence_length(const unsigned char* p, std::size_t n) noexcept {
    const unsigned char b = p[0];
    if (b < 0x80) return 1;
    std::size_t len;
    unsigned char lo = 0x80, hi = 0xBF;  // bounds of the second byte
    if (b >= 0xC2 && b <= 0xDF) {
        len = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
        len = 3;
        if (b == 0xE0) lo = 0xA0;
        if (b == 0xED) hi = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
        len = 4;
        if (b == 0xF0) lo = 0x90;
        if (b == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (n < len) return 0;
    if (p[1] < lo || p[1] > hi) return 0;
    for (std::size_t i = 2; i < len; ++i)
        if (p[i] < 0x80 || p[i] > 0xBF) return 0;
    return len;
}

std::string to_valid_utf8(const std::string& s) {
    if (json::is_valid_utf8(s)) return s;
    std::string out;
    out.reserve(s.size() + 16);
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    std::size_t i = 0;
    while (i < s.size()) {
        const std::size_t len = utf8_sequence_length(p + i, s.size() - i);
        if (len == 0) {
            out += "\xEF\xBF\xBD";  // U+FFFD
            ++i;
        } else {
            out.append(s, i, len);
            i += len;
        }
    }
    return out;
}

void replace_all(std::string& s, const std::string& what, const std::string& with) {
    if (what.empty()) return;
    std::size_t pos = 0;
    while ((pos = s.find(what, pos)) != std::string::npos) {
        s.replace(pos, what.size(), with);
        pos += with.size();
    }
}

std::string plural(std::size_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

// ---------------------------------------------------------------- responses --

struct Response {
    CURLcode code = CURLE_OK;
    long status = 0;
    std::string body;
    bool body_too_large = false;
    long retry_after_s = -1;  // -1: no usable Retry-After header
};

// What the server said about an error, for a message: OpenAI's
// {"error":{"message":...}}, Ollama's/TEI's {"error":"..."}, vLLM's
// {"message":...}, FastAPI's {"detail":"..."}; else the raw body.
std::string server_error_text(const std::string& body) {
    try {
        const json::JsonValue doc = json::parse_json(body);
        const json::JsonValue* err = doc.find("error");
        if (err != nullptr) {
            if (err->is_string()) return err->as_string();
            const json::JsonValue* msg = err->find("message");
            if (msg != nullptr && msg->is_string()) return msg->as_string();
        }
        for (const char* key : {"message", "detail"}) {
            const json::JsonValue* msg = doc.find(key);
            if (msg != nullptr && msg->is_string()) return msg->as_string();
        }
    } catch (const json::JsonParseError&) {
        // Not JSON (a proxy's HTML page, plain text): quote it as it is.
    }
    return body;
}

bool is_transient_status(long status) noexcept {
    return status == 408 || status == 429 || (status >= 500 && status <= 599);
}

ProviderErrorKind curl_error_kind(CURLcode code) noexcept {
    switch (code) {
        // Retrying cannot fix these: the URL or the TLS setup is wrong.
        case CURLE_URL_MALFORMAT:
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CRL_BADFILE:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
            return ProviderErrorKind::configuration;
        default:
            return ProviderErrorKind::transient;
    }
}

}  // namespace

// ------------------------------------------------------------ http_detail --

namespace http_detail {

std::string redact_url(const std::string& url) {
    std::string out = url.substr(0, url.find_first_of("?#"));
    const std::size_t scheme_end = out.find("://");
    if (scheme_end == std::string::npos) return out;
    const std::size_t authority = scheme_end + 3;
    std::size_t authority_end = out.find('/', authority);
    if (authority_end == std::string::npos) authority_end = out.size();
    const std::size_t at = out.rfind('@', authority_end == 0 ? 0 : authority_end - 1);
    if (at != std::string::npos && at >= authority) out.erase(authority, at + 1 - authority);
    return out;
}

bool url_has_userinfo(std::string_view url) noexcept {
    const std::size_t scheme_end = url.find("://");
    const std::size_t authority = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
    const std::size_t authority_end = url.find_first_of("/?#", authority);
    const std::string_view host_part = url.substr(
        authority, authority_end == std::string_view::npos ? std::string_view::npos : authority_end - authority);
    return host_part.find('@') != std::string_view::npos;
}

std::string quote_for_message(const std::string& s, std::size_t max_bytes) {
    std::string out;
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    std::size_t i = 0;
    while (i < s.size()) {
        std::size_t len = utf8_sequence_length(p + i, s.size() - i);
        std::string piece;
        if (len == 0) {
            piece = "?";
            len = 1;
        } else if (len == 1 && (p[i] < 0x20 || p[i] == 0x7F)) {
            piece = " ";
        } else if (len == 2 && p[i] == 0xC2 && p[i + 1] < 0xA0) {
            piece = " ";  // C1 controls
        } else {
            piece.assign(s, i, len);
        }
        if (out.size() + piece.size() > max_bytes) {
            out += "...";
            return out;
        }
        out += piece;
        i += len;
    }
    return out;
}

}  // namespace http_detail

// --------------------------------------------------------------- provider --

struct HttpProvider::Impl {
    std::string model_key;
    std::size_t dims = 0;
    ProviderSettings settings;
    std::string url;           // what is requested
    std::string shown_url;     // what messages show
    std::string url_userinfo;  // "user:password" of the endpoint, masked in messages
    std::string url_query;     // query string of the endpoint (may hold a token), likewise

    // Declared before the handles, so they outlive the easy handle that
    // points to them.
    SlistPtr headers;
    char error_buffer[CURL_ERROR_SIZE] = {};
    MultiPtr multi;
    EasyPtr easy;  // destroyed first, detached from `multi` after each transfer

    // State of the transfer in progress, written by the callbacks.
    std::string body;
    std::size_t body_limit = 0;
    bool body_too_large = false;
    long retry_after_s = -1;
    bool abort_requested = false;
    std::exception_ptr hook_error;  // thrown by should_abort(), rethrown after curl returns

    // --- callbacks: called from libcurl's C frames, so nothing may escape.

    static std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) noexcept {
        auto* self = static_cast<Impl*>(user);
        const std::size_t n = size * count;
        try {
            if (n > self->body_limit - self->body.size()) {
                self->body_too_large = true;
                return 0;  // makes curl fail with CURLE_WRITE_ERROR
            }
            self->body.append(data, n);
            return n;
        } catch (...) {
            self->body_too_large = true;
            return 0;
        }
    }

    static std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) noexcept {
        auto* self = static_cast<Impl*>(user);
        const std::size_t n = size * count;
        const std::string_view line(data, n);
        // A new status line starts a new header block (after a 100 Continue
        // or an authentication round): forget the previous one's headers.
        if (starts_with_nocase(line, "http/")) {
            self->retry_after_s = -1;
        } else if (starts_with_nocase(line, "retry-after:")) {
            std::string_view v = line.substr(12);
            while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
            while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ' || v.back() == '\t'))
                v.remove_suffix(1);
            // Only delay-seconds; an HTTP-date falls back to our own backoff.
            long seconds = 0;
            bool ok = !v.empty();
            for (char c : v) {
                if (c < '0' || c > '9') {
                    ok = false;
                    break;
                }
                seconds = std::min<long>(seconds * 10 + (c - '0'), 1000000);
            }
            if (ok) self->retry_after_s = seconds;
        }
        return n;
    }

    static int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) noexcept {
        return static_cast<Impl*>(user)->poll_abort() ? 1 : 0;
    }

    bool poll_abort() noexcept {
        if (abort_requested) return true;
        if (!settings.should_abort) return false;
        try {
            if (settings.should_abort()) abort_requested = true;
        } catch (...) {
            hook_error = std::current_exception();
            abort_requested = true;
        }
        return abort_requested;
    }

    [[noreturn]] void fail(ProviderErrorKind kind, std::string message, long status = 0) const {
        // A server may echo the key back ("invalid key sk-..."), and an
        // endpoint may carry a password: neither may reach a log.
        replace_all(message, settings.api_key, "[redacted]");
        replace_all(message, url_userinfo, "[redacted]");
        replace_all(message, url_query, "[redacted]");
        throw ProviderError(kind, message, static_cast<int>(status));
    }

    void throw_if_aborted() {
        if (!abort_requested) return;
        abort_requested = false;
        if (hook_error) {
            std::exception_ptr e = std::move(hook_error);
            hook_error = nullptr;
            std::rethrow_exception(e);
        }
        fail(ProviderErrorKind::aborted, "embedding request to " + shown_url + " was cancelled");
    }

    void sleep_polling_abort(long ms) {
        const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(ms);
        for (;;) {
            if (poll_abort()) throw_if_aborted();
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (left.count() <= 0) return;
            std::this_thread::sleep_for(std::min(left, std::chrono::milliseconds(kPollSliceMs)));
        }
    }

    // One HTTP exchange. Throws only for abort; every other outcome is in
    // the Response for the caller to classify.
    Response perform(const std::string& request_body, std::size_t inputs) {
        body.clear();
        body_too_large = false;
        retry_after_s = -1;
        error_buffer[0] = '\0';
        // Generous room for pretty-printed floats; it only guards the
        // backend's memory against a runaway server.
        body_limit = (std::size_t{1} << 20) + inputs * dims * 64;

        CURL* h = easy.get();
        set_option(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request_body.size()));
        set_option(h, CURLOPT_POSTFIELDS, request_body.data());

        Response r;
        CURLMcode mc = curl_multi_add_handle(multi.get(), h);
        if (mc != CURLM_OK) {
            r.code = CURLE_FAILED_INIT;
            std::snprintf(error_buffer, sizeof error_buffer, "libcurl: %s", curl_multi_strerror(mc));
            return r;
        }
        struct Detach {
            CURLM* m;
            CURL* e;
            ~Detach() { curl_multi_remove_handle(m, e); }
        } detach{multi.get(), h};

        // The multi interface, not curl_easy_perform, because the latter
        // calls the progress callback only about once a second while the
        // server is silent; here each wait is at most kPollSliceMs.
        bool done = false;
        r.code = CURLE_OK;
        while (!done) {
            int running = 0;
            mc = curl_multi_perform(multi.get(), &running);
            if (mc == CURLM_OK) {
                int queued = 0;
                while (CURLMsg* msg = curl_multi_info_read(multi.get(), &queued)) {
                    if (msg->msg == CURLMSG_DONE && msg->easy_handle == h) {
                        r.code = msg->data.result;
                        done = true;
                    }
                }
                if (done) break;
                if (running == 0) {
                    r.code = CURLE_FAILED_INIT;
                    std::snprintf(error_buffer, sizeof error_buffer, "libcurl stopped without a result");
                    break;
                }
            }
            if (poll_abort()) break;
            if (mc == CURLM_OK) mc = curl_multi_poll(multi.get(), nullptr, 0, kPollSliceMs, nullptr);
            if (mc != CURLM_OK) {
                r.code = CURLE_FAILED_INIT;
                std::snprintf(error_buffer, sizeof error_buffer, "libcurl: %s", curl_multi_strerror(mc));
                break;
            }
        }
        throw_if_aborted();

        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
        r.body = std::move(body);
        body.clear();
        r.body_too_large = body_too_large;
        r.retry_after_s = retry_after_s;
        return r;
    }

    std::string request_body(const std::vector<std::string>& texts, std::size_t begin, std::size_t end) const {
        json::JsonValue input = json::JsonValue::array();
        input.as_array().reserve(end - begin);
        for (std::size_t i = begin; i < end; ++i) input.push_back(json::JsonValue::string(to_valid_utf8(texts[i])));
        json::JsonValue doc = json::JsonValue::object();
        doc.add("model", json::JsonValue::string(model_key));
        doc.add("input", std::move(input));
        if (settings.send_dimensions) doc.add("dimensions", json::JsonValue::number_from_text(std::to_string(dims)));
        return json::to_json(doc);
    }

    std::string quoted(const std::string& s) const { return http_detail::quote_for_message(s, kMaxQuotedBytes); }

    std::vector<std::vector<float>> parse_embeddings(const std::string& text, std::size_t n) const {
        const std::string prefix = "embedding endpoint " + shown_url + " returned ";
        json::JsonValue doc;
        try {
            doc = json::parse_json(text);
        } catch (const json::JsonParseError& e) {
            fail(ProviderErrorKind::permanent, prefix + "a response that is not valid JSON (" + e.reason() +
                                                   " at byte " + std::to_string(e.offset()) + "): " + quoted(text));
        }
        const json::JsonValue* data = doc.find("data");
        if (data == nullptr || !data->is_array())
            fail(ProviderErrorKind::permanent, prefix + "no \"data\" array: " + quoted(text));
        const json::JsonArray& items = data->as_array();
        if (items.size() != n)
            fail(ProviderErrorKind::permanent,
                 prefix + plural(items.size(), "embedding", "embeddings") + " for " + plural(n, "input", "inputs"));

        std::vector<std::vector<float>> out(n);
        std::vector<bool> seen(n, false);
        for (std::size_t pos = 0; pos < n; ++pos) {
            const json::JsonValue& item = items[pos];
            const std::string where = "data[" + std::to_string(pos) + "]";
            if (!item.is_object())
                fail(ProviderErrorKind::permanent,
                     prefix + "a " + json::type_name(item.type()) + " as " + where + ", not an object");
            std::size_t index = pos;
            const json::JsonValue* ix = item.find("index");
            if (ix != nullptr && !ix->is_null()) {
                const double d = ix->is_number() ? ix->as_number() : -1.0;
                if (!(d >= 0 && d < static_cast<double>(n) && d == std::floor(d)))
                    fail(ProviderErrorKind::permanent,
                         prefix + "index " + (ix->is_number() ? ix->number_text() : json::type_name(ix->type())) +
                             " in " + where + " for a request of " + plural(n, "input", "inputs"));
                index = static_cast<std::size_t>(d);
            }
            if (seen[index]) fail(ProviderErrorKind::permanent, prefix + "index " + std::to_string(index) + " twice");
            seen[index] = true;

            const json::JsonValue* emb = item.find("embedding");
            if (emb == nullptr) fail(ProviderErrorKind::permanent, prefix + "no \"embedding\" in " + where);
            if (!emb->is_array())
                fail(ProviderErrorKind::permanent, prefix + "a " + json::type_name(emb->type()) + " as embedding in " +
                                                       where + ", not an array of numbers");
            const json::JsonArray& nums = emb->as_array();
            if (nums.size() != dims)
                fail(ProviderErrorKind::permanent, prefix + std::to_string(nums.size()) +
                                                       " numbers per vector; the index expects " +
                                                       std::to_string(dims));
            std::vector<float>& v = out[index];
            v.resize(dims);
            for (std::size_t k = 0; k < dims; ++k) {
                if (!nums[k].is_number())
                    fail(ProviderErrorKind::permanent,
                         prefix + "a " + json::type_name(nums[k].type()) + " in the embedding of " + where);
                v[k] = static_cast<float>(nums[k].as_number());
                if (!std::isfinite(v[k]))
                    fail(ProviderErrorKind::permanent, prefix + "the non-finite (as float) number " +
                                                           quoted(nums[k].number_text()) + " in the embedding of " +
                                                           where);
            }
        }
        // n distinct indexes in [0, n): every one is present.
        return out;
    }

    long backoff_ms(int retry) const {
        long ms = std::max<long>(settings.retry_base_ms, 0);
        for (int i = 0; i < retry && ms < kMaxBackoffMs; ++i) ms *= 2;
        return std::min(ms, kMaxBackoffMs);
    }

    std::vector<std::vector<float>> embed_batch(const std::vector<std::string>& texts, std::size_t begin,
                                                std::size_t end) {
        const std::size_t n = end - begin;
        const std::string request = request_body(texts, begin, end);
        const int attempts = 1 + std::max(settings.max_retries, 0);
        for (int attempt = 1;; ++attempt) {
            if (poll_abort()) throw_if_aborted();
            const Response r = perform(request, n);

            std::string cause;
            long status = 0;
            if (r.code != CURLE_OK) {
                if (r.body_too_large)
                    fail(ProviderErrorKind::permanent, "embedding endpoint " + shown_url +
                                                           " returned a response larger than " +
                                                           std::to_string(body_limit) + " bytes");
                const ProviderErrorKind kind = curl_error_kind(r.code);
                cause = error_buffer[0] != '\0' ? std::string(error_buffer) : curl_easy_strerror(r.code);
                if (kind != ProviderErrorKind::transient)
                    fail(kind, "embedding request to " + shown_url + " failed: " + quoted(cause));
            } else if (r.status >= 200 && r.status <= 299) {
                return parse_embeddings(r.body, n);
            } else {
                status = r.status;
                cause = "HTTP " + std::to_string(r.status) + ": " + quoted(server_error_text(r.body));
                if (!is_transient_status(r.status))
                    fail(ProviderErrorKind::permanent, "embedding endpoint " + shown_url + " returned " + cause,
                         status);
            }

            if (attempt >= attempts)
                fail(ProviderErrorKind::transient,
                     "embedding endpoint " + shown_url + " failed after " + plural(attempts, "attempt", "attempts") +
                         " (last error: " + cause + ")",
                     status);
            long delay = backoff_ms(attempt - 1);
            if ((status == 429 || status == 503) && r.retry_after_s >= 0)
                delay = std::min(r.retry_after_s * 1000, kMaxBackoffMs);
            sleep_polling_abort(delay);
        }
    }
};

HttpProvider::HttpProvider(std::string model_key, std::size_t dimensions, ProviderSettings settings)
    : impl_(std::make_unique<Impl>()) {
    Impl& s = *impl_;
    s.model_key = std::move(model_key);
    s.dims = dimensions;
    s.settings = std::move(settings);
    const ProviderSettings& cfg = s.settings;
    const auto config_error = [](const std::string& message) {
        throw ProviderError(ProviderErrorKind::configuration, message);
    };

    if (dimensions < LexicalEmbedder::kMinDimensions || dimensions > LexicalEmbedder::kMaxDimensions)
        config_error("embedding dimensions must be between 1 and 16000, not " + std::to_string(dimensions));
    if (s.model_key.empty()) config_error("the embedding model name is empty");
    if (!json::is_valid_utf8(s.model_key)) config_error("the embedding model name is not valid UTF-8");
    if (cfg.request_batch == 0) config_error("the embedding request batch size must be at least 1");
    if (cfg.timeout_ms < 0 || cfg.connect_timeout_ms < 0) config_error("embedding timeouts must not be negative");
    if (cfg.max_retries < 0 || cfg.retry_base_ms < 0) config_error("embedding retry settings must not be negative");
    for (char c : cfg.api_key) {
        // A line break would let the key inject HTTP headers.
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F)
            config_error("the embedding API key contains control characters");
    }

    std::string endpoint = cfg.endpoint;
    const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    while (!endpoint.empty() && is_space(endpoint.back())) endpoint.pop_back();
    std::size_t lead = 0;
    while (lead < endpoint.size() && is_space(endpoint[lead])) ++lead;
    endpoint.erase(0, lead);
    if (endpoint.empty()) config_error(kNoEndpointMessage);
    if (!starts_with_nocase(endpoint, "http://") && !starts_with_nocase(endpoint, "https://"))
        config_error("embedding endpoint \"" + http_detail::quote_for_message(http_detail::redact_url(endpoint), 200) +
                     "\" is not an http:// or https:// URL");
    for (char c : endpoint) {
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F)
            config_error("embedding endpoint \"" +
                         http_detail::quote_for_message(http_detail::redact_url(endpoint), 200) +
                         "\" contains spaces or control characters");
    }

    {
        // Checked on the endpoint itself: appending "/embeddings" to
        // "http://" would otherwise make a host named "embeddings".
        const std::size_t authority = endpoint.find("://") + 3;
        const std::size_t authority_end = std::min(endpoint.find_first_of("/?#", authority), endpoint.size());
        const std::size_t at = endpoint.rfind('@', authority_end - 1);
        const std::size_t host = (at != std::string::npos && at >= authority) ? at + 1 : authority;
        if (host >= authority_end)
            config_error("embedding endpoint \"" +
                         http_detail::quote_for_message(http_detail::redact_url(endpoint), 200) + "\" has no host");
    }

    // {endpoint}/embeddings, keeping a query string (some gateways put an API
    // version there) after the path; a fragment is never sent anyway.
    const std::size_t path_end = endpoint.find_first_of("?#");
    std::string base = endpoint.substr(0, path_end);
    std::string query;
    if (path_end != std::string::npos && endpoint[path_end] == '?')
        query = endpoint.substr(path_end, endpoint.find('#', path_end) - path_end);
    if (!base.empty() && base.back() == '/') base.pop_back();
    s.url = base + "/embeddings" + query;
    if (query.size() > 1) s.url_query = query.substr(1);
    s.shown_url = http_detail::redact_url(s.url);
    {
        const std::size_t authority = base.find("://") + 3;
        const std::size_t authority_end = std::min(base.find('/', authority), base.size());
        const std::size_t at = base.rfind('@', authority_end - 1);
        if (at != std::string::npos && at >= authority) s.url_userinfo = base.substr(authority, at - authority);
    }

    if (global_init() != CURLE_OK) throw ProviderError(ProviderErrorKind::transient, "could not initialise libcurl");

    UrlPtr parsed(curl_url());
    if (!parsed) throw std::bad_alloc();
    const CURLUcode uc = curl_url_set(parsed.get(), CURLUPART_URL, s.url.c_str(), 0);
    if (uc != CURLUE_OK)
        config_error("embedding endpoint \"" + http_detail::quote_for_message(http_detail::redact_url(endpoint), 200) +
                     "\" is not a valid URL: " + curl_url_strerror(uc));

    s.multi.reset(curl_multi_init());
    s.easy.reset(curl_easy_init());
    if (!s.multi || !s.easy) throw std::bad_alloc();

    append_header(s.headers, "Content-Type: application/json");
    append_header(s.headers, "Accept: application/json");
    // curl would otherwise wait up to a second for "100 Continue" before
    // sending a large body, and some servers never send it.
    append_header(s.headers, "Expect:");
    if (!cfg.api_key.empty()) append_header(s.headers, "Authorization: Bearer " + cfg.api_key);

    CURL* h = s.easy.get();
    set_option(h, CURLOPT_URL, s.url.c_str());
    // The backend owns SIGALRM; libcurl must not install signal handlers or
    // use alarm() for DNS timeouts.
    set_option(h, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
    set_option(h, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
    set_option(h, CURLOPT_HTTPHEADER, s.headers.get());
    set_option(h, CURLOPT_USERAGENT, "rushdb");
    set_option(h, CURLOPT_ACCEPT_ENCODING, "");  // vectors as decimal text compress well
    set_option(h, CURLOPT_TIMEOUT_MS, cfg.timeout_ms);
    set_option(h, CURLOPT_CONNECTTIMEOUT_MS, cfg.connect_timeout_ms);
    set_option(h, CURLOPT_ERRORBUFFER, s.error_buffer);
    set_option(h, CURLOPT_WRITEFUNCTION, &Impl::on_body);
    set_option(h, CURLOPT_WRITEDATA, static_cast<void*>(&s));
    set_option(h, CURLOPT_HEADERFUNCTION, &Impl::on_header);
    set_option(h, CURLOPT_HEADERDATA, static_cast<void*>(&s));
    set_option(h, CURLOPT_XFERINFOFUNCTION, &Impl::on_progress);
    set_option(h, CURLOPT_XFERINFODATA, static_cast<void*>(&s));
    set_option(h, CURLOPT_NOPROGRESS, 0L);
}

HttpProvider::~HttpProvider() = default;

const std::string& HttpProvider::model_key() const noexcept { return impl_->model_key; }
std::size_t HttpProvider::dimensions() const noexcept { return impl_->dims; }
const std::string& HttpProvider::display_url() const noexcept { return impl_->shown_url; }

std::vector<std::vector<float>> HttpProvider::embed(const std::vector<std::string>& texts) {
    Impl& s = *impl_;
    s.abort_requested = false;
    s.hook_error = nullptr;
    std::vector<std::vector<float>> out;
    out.reserve(texts.size());
    for (std::size_t begin = 0; begin < texts.size(); begin += s.settings.request_batch) {
        const std::size_t end = begin + std::min(texts.size() - begin, s.settings.request_batch);
        std::vector<std::vector<float>> part = s.embed_batch(texts, begin, end);
        for (auto& v : part) out.push_back(std::move(v));
    }
    return out;
}

}  // namespace rushdb::embed

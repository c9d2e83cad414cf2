// Embedding providers: the built-in one against LexicalEmbedder, and the
// HTTP one against test/support/fake_embeddings_server.py (started once for
// the suite): batching and order, auth, retries, timeouts, cancellation,
// malformed answers, configuration errors and keeping secrets out of
// messages.
#include <gtest/gtest.h>

#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "embed/http_provider.hpp"
#include "embed/lexical_embedder.hpp"
#include "embed/provider.hpp"
#include "json/json_value.hpp"

#ifndef RUSHDB_SOURCE_DIR
#error "RUSHDB_SOURCE_DIR must be defined by the build (CMakeLists.txt)"
#endif

using namespace rushdb::embed;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double dot(const std::vector<float>& a, const std::vector<float>& b) {
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * b[i];
    return s;
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// Runs fn, which must throw ProviderError, and returns the error.
ProviderError expect_provider_error(const std::function<void()>& fn, ProviderErrorKind kind) {
    try {
        fn();
    } catch (const ProviderError& e) {
        EXPECT_EQ(static_cast<int>(e.kind()), static_cast<int>(kind)) << "message: " << e.what();
        return e;
    }
    ADD_FAILURE() << "no ProviderError was thrown";
    return ProviderError(ProviderErrorKind::configuration, "<none>");
}

// ------------------------------------------------------------- built-in --

TEST(ProviderBuiltin, SameVectorsAsLexicalEmbedder) {
    EXPECT_TRUE(is_builtin_model("builtin-lexical-v1"));
    EXPECT_FALSE(is_builtin_model("builtin-lexical-v2"));
    EXPECT_FALSE(is_builtin_model("text-embedding-3-small"));

    auto provider = make_provider("builtin-lexical-v1", 96, ProviderSettings{});
    ASSERT_NE(provider, nullptr);
    EXPECT_EQ(provider->model_key(), "builtin-lexical-v1");
    EXPECT_EQ(provider->dimensions(), 96u);

    const std::vector<std::string> texts = {"Deploy a SAPUI5 application", "", "FlexibleColumnLayout",
                                            "vacuum the index"};
    const auto got = provider->embed(texts);
    ASSERT_EQ(got.size(), texts.size());
    LexicalEmbedder direct(96);
    for (std::size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(got[i], direct.embed(texts[i])) << "text " << i;
    EXPECT_TRUE(provider->embed({}).empty());
}

TEST(ProviderBuiltin, ConfigurationErrors) {
    const ProviderSettings none;
    auto e =
        expect_provider_error([&] { make_provider("builtin-lexical-v2", 64, none); }, ProviderErrorKind::configuration);
    EXPECT_TRUE(contains(e.what(), "builtin-lexical-v2")) << e.what();
    expect_provider_error([&] { make_provider("builtin-lexical-v1", 0, none); }, ProviderErrorKind::configuration);
    expect_provider_error([&] { make_provider("builtin-lexical-v1", 16001, none); }, ProviderErrorKind::configuration);
    EXPECT_NO_THROW(make_provider("builtin-lexical-v1", 16000, none));
    EXPECT_NO_THROW(make_provider("builtin-lexical-v1", 1, none));
    // The dimension limit applies to HTTP models too, before the endpoint.
    ProviderSettings http;
    http.endpoint = "http://127.0.0.1:1/v1";
    expect_provider_error([&] { make_provider("some-model", 0, http); }, ProviderErrorKind::configuration);
    expect_provider_error([&] { make_provider("some-model", 16001, http); }, ProviderErrorKind::configuration);
}

// ------------------------------------------------------------ configuration --

TEST(ProviderConfig, EndpointIsValidated) {
    ProviderSettings s;
    auto e = expect_provider_error([&] { make_provider("m", 8, s); }, ProviderErrorKind::configuration);
    EXPECT_STREQ(e.what(),
                 "no embedding endpoint is configured: set rushdb.embedding_endpoint to the base URL of an "
                 "OpenAI-compatible API (e.g. http://127.0.0.1:11434/v1)");
    s.endpoint = "   ";
    expect_provider_error([&] { HttpProvider("m", 8, s); }, ProviderErrorKind::configuration);
    s.endpoint = "ftp://x";
    e = expect_provider_error([&] { HttpProvider("m", 8, s); }, ProviderErrorKind::configuration);
    EXPECT_TRUE(contains(e.what(), "http://")) << e.what();
    s.endpoint = "127.0.0.1:11434/v1";
    expect_provider_error([&] { HttpProvider("m", 8, s); }, ProviderErrorKind::configuration);
    s.endpoint = "http://exa mple.com/v1";
    expect_provider_error([&] { HttpProvider("m", 8, s); }, ProviderErrorKind::configuration);
    for (const char* no_host : {"http://", "http:///v1", "https://user:pw@/v1"}) {
        s.endpoint = no_host;
        e = expect_provider_error([&] { HttpProvider("m", 8, s); }, ProviderErrorKind::configuration);
        EXPECT_TRUE(contains(e.what(), "no host")) << e.what();
        EXPECT_FALSE(contains(e.what(), "pw")) << e.what();
    }

    s.endpoint = "HTTPS://user:pw@example.com/v1/?api-version=2#frag";
    HttpProvider ok("m", 8, s);
    EXPECT_EQ(ok.display_url(), "HTTPS://example.com/v1/embeddings");

    s.endpoint = "http://127.0.0.1:11434/v1";
    s.api_key = "line\r\nX-Injected: 1";
    e = expect_provider_error([&] { HttpProvider("m", 8, s); }, ProviderErrorKind::configuration);
    EXPECT_FALSE(contains(e.what(), "Injected")) << e.what();
    s.api_key.clear();
    s.request_batch = 0;
    expect_provider_error([&] { HttpProvider("m", 8, s); }, ProviderErrorKind::configuration);
}

TEST(ProviderConfig, MessageHelpers) {
    using http_detail::quote_for_message;
    using http_detail::redact_url;
    EXPECT_EQ(redact_url("http://u:p@h:1/a/b?k=secret#f"), "http://h:1/a/b");
    EXPECT_EQ(redact_url("https://h/v1"), "https://h/v1");
    EXPECT_EQ(redact_url("http://h?x@y"), "http://h");
    using http_detail::url_has_userinfo;
    EXPECT_TRUE(url_has_userinfo("http://u:p@h:1/a"));
    EXPECT_TRUE(url_has_userinfo("https://token@h"));
    EXPECT_TRUE(url_has_userinfo("u:p@h/v1"));
    EXPECT_TRUE(url_has_userinfo("http://@h"));
    EXPECT_FALSE(url_has_userinfo("http://h:1/v1"));
    EXPECT_FALSE(url_has_userinfo("http://h/v1/a@b"));
    EXPECT_FALSE(url_has_userinfo("http://h?mail=a@b"));
    EXPECT_FALSE(url_has_userinfo("http://h#a@b"));
    EXPECT_FALSE(url_has_userinfo(""));
    EXPECT_EQ(quote_for_message("abc", 10), "abc");
    EXPECT_EQ(quote_for_message(std::string(300, 'x'), 200), std::string(200, 'x') + "...");
    EXPECT_EQ(quote_for_message("a\nb\xff", 10), "a b?");
    // A cut never splits a code point: "é" is 2 bytes.
    EXPECT_EQ(quote_for_message("ab\xC3\xA9", 3), "ab...");
}

// -------------------------------------------------------------- HTTP --

size_t collect_body(char* data, size_t size, size_t count, void* user) {
    static_cast<std::string*>(user)->append(data, size * count);
    return size * count;
}

struct Stats {
    long requests = -1;
    long inputs = -1;
    long max_batch = -1;
};

class ProviderHttp : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        // Requests to 127.0.0.1 must not go through a proxy from the environment.
        setenv("no_proxy", "127.0.0.1,localhost", 1);
        setenv("NO_PROXY", "127.0.0.1,localhost", 1);
        curl_global_init(CURL_GLOBAL_DEFAULT);
        start_server();
    }

    static void TearDownTestSuite() {
        if (server_pid_ > 0) {
            kill(server_pid_, SIGTERM);
            int status = 0;
            for (int i = 0; i < 50; ++i) {
                if (waitpid(server_pid_, &status, WNOHANG) == server_pid_) {
                    server_pid_ = -1;
                    break;
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
            if (server_pid_ > 0) {
                kill(server_pid_, SIGKILL);
                waitpid(server_pid_, &status, 0);
                server_pid_ = -1;
            }
        }
        if (server_out_ >= 0) close(server_out_);
        server_out_ = -1;
    }

    void SetUp() override {
        ASSERT_GT(port_, 0) << "fake embeddings server did not start: " << start_error_;
        http_call("POST", "/reset");
    }

    static void start_server() {
        const std::string script = std::string(RUSHDB_SOURCE_DIR) + "/test/support/fake_embeddings_server.py";
        int fds[2];
        if (pipe(fds) != 0) {
            start_error_ = "pipe failed";
            return;
        }
        // argv is built before fork: the child of a threaded process may only
        // make async-signal-safe calls before exec.
        std::vector<std::string> args = {"python3", script, "--port", "0", "--slow-seconds", "3"};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        const pid_t pid = fork();
        if (pid < 0) {
            start_error_ = "fork failed";
            close(fds[0]);
            close(fds[1]);
            return;
        }
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGTERM);  // no orphan server if the tests crash
            dup2(fds[1], STDOUT_FILENO);
            close(fds[0]);
            close(fds[1]);
            execvp(argv[0], argv.data());
            _exit(127);
        }
        close(fds[1]);
        server_pid_ = pid;
        server_out_ = fds[0];

        std::string line;
        const Clock::time_point t0 = Clock::now();
        while (line.find('\n') == std::string::npos && seconds_since(t0) < 20) {
            pollfd p{server_out_, POLLIN, 0};
            if (poll(&p, 1, 200) <= 0) continue;
            char buf[256];
            const ssize_t n = read(server_out_, buf, sizeof buf);
            if (n <= 0) break;
            line.append(buf, static_cast<std::size_t>(n));
        }
        if (line.rfind("PORT ", 0) == 0) port_ = std::atoi(line.c_str() + 5);
        if (port_ <= 0) start_error_ = "no PORT line (got \"" + line + "\") from " + script;
    }

    static std::string endpoint(const std::string& route) {
        return "http://127.0.0.1:" + std::to_string(port_) + route + "/v1";
    }

    static ProviderSettings settings(const std::string& route) {
        ProviderSettings s;
        s.endpoint = endpoint(route);
        s.timeout_ms = 5000;
        s.connect_timeout_ms = 2000;
        s.max_retries = 0;
        s.retry_base_ms = 10;
        return s;
    }

    static std::string http_call(const char* method, const std::string& path) {
        std::unique_ptr<CURL, void (*)(CURL*)> h(curl_easy_init(), curl_easy_cleanup);
        std::string body;
        const std::string url = "http://127.0.0.1:" + std::to_string(port_) + path;
        curl_easy_setopt(h.get(), CURLOPT_URL, url.c_str());
        curl_easy_setopt(h.get(), CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h.get(), CURLOPT_TIMEOUT_MS, 5000L);
        curl_easy_setopt(h.get(), CURLOPT_WRITEFUNCTION, &collect_body);
        curl_easy_setopt(h.get(), CURLOPT_WRITEDATA, &body);
        if (std::string(method) == "POST") curl_easy_setopt(h.get(), CURLOPT_POSTFIELDS, "");
        const CURLcode rc = curl_easy_perform(h.get());
        EXPECT_EQ(rc, CURLE_OK) << method << " " << path << ": " << curl_easy_strerror(rc);
        return body;
    }

    static Stats stats() {
        Stats st;
        const std::string body = http_call("GET", "/stats");
        try {
            const auto doc = rushdb::json::parse_json(body);
            st.requests = static_cast<long>(doc.find("requests")->as_number());
            st.inputs = static_cast<long>(doc.find("inputs")->as_number());
            st.max_batch = static_cast<long>(doc.find("max_batch")->as_number());
        } catch (const std::exception& e) {
            ADD_FAILURE() << "bad /stats answer \"" << body << "\": " << e.what();
        }
        return st;
    }

    static pid_t server_pid_;
    static int server_out_;
    static int port_;
    static std::string start_error_;
};

pid_t ProviderHttp::server_pid_ = -1;
int ProviderHttp::server_out_ = -1;
int ProviderHttp::port_ = 0;
std::string ProviderHttp::start_error_;

TEST_F(ProviderHttp, UnitVectorsDeterministicAndSimilarityPreserving) {
    auto p = make_provider("fake-model", 64, settings(""));
    EXPECT_EQ(p->model_key(), "fake-model");
    EXPECT_EQ(p->dimensions(), 64u);
    const std::vector<std::string> texts = {"the quick brown fox", "quick brown fox jumps",
                                            "postgres vacuum freezes old tuples"};
    const auto a = p->embed(texts);
    ASSERT_EQ(a.size(), 3u);
    for (const auto& v : a) {
        ASSERT_EQ(v.size(), 64u);
        EXPECT_NEAR(std::sqrt(dot(v, v)), 1.0, 1e-5);
    }
    EXPECT_EQ(p->embed(texts), a);
    EXPECT_GT(dot(a[0], a[1]), dot(a[0], a[2]) + 0.2);
    EXPECT_EQ(stats().requests, 2);
}

TEST_F(ProviderHttp, DimensionsCanBeLeftOut) {
    ProviderSettings s = settings("");
    s.send_dimensions = false;
    // The server's default is 384: right for a 384-d index...
    const auto v = make_provider("fake-model", 384, s)->embed({"hello world"});
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].size(), 384u);
    // ...and caught as a wrong length for a 64-d one.
    auto e = expect_provider_error([&] { make_provider("fake-model", 64, s)->embed({"hello world"}); },
                                   ProviderErrorKind::permanent);
    EXPECT_TRUE(contains(e.what(), "returned 384 numbers per vector; the index expects 64")) << e.what();
}

TEST_F(ProviderHttp, BatchesKeepInputOrder) {
    ProviderSettings s = settings("");
    s.request_batch = 2;
    auto p = make_provider("fake-model", 32, s);
    const std::vector<std::string> texts = {"alpha one", "bravo two", "charlie three", "delta four", "echo five"};
    const auto batched = p->embed(texts);
    const Stats st = stats();
    EXPECT_EQ(st.requests, 3);
    EXPECT_EQ(st.max_batch, 2);
    EXPECT_EQ(st.inputs, 5);
    ASSERT_EQ(batched.size(), texts.size());
    for (std::size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(batched[i], p->embed({texts[i]})[0]) << "text " << i;
}

TEST_F(ProviderHttp, ReordersByIndex) {
    const std::vector<std::string> texts = {"alpha one", "bravo two", "charlie three"};
    const auto expected = make_provider("fake-model", 32, settings(""))->embed(texts);
    const auto got = make_provider("fake-model", 32, settings("/reversed"))->embed(texts);
    EXPECT_EQ(got, expected);
}

TEST_F(ProviderHttp, ApiKey) {
    ProviderSettings s = settings("/auth");
    s.api_key = "test-key";
    s.max_retries = 3;
    const auto v = make_provider("fake-model", 16, s)->embed({"secret stuff"});
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].size(), 16u);

    http_call("POST", "/reset");
    s.api_key = "wrong-key-Zq8x";
    auto e =
        expect_provider_error([&] { make_provider("fake-model", 16, s)->embed({"x"}); }, ProviderErrorKind::permanent);
    EXPECT_EQ(e.http_status(), 401);
    EXPECT_EQ(stats().requests, 1) << "a 401 must not be retried";
    EXPECT_FALSE(contains(e.what(), "wrong-key-Zq8x")) << e.what();
    EXPECT_TRUE(contains(e.what(), "HTTP 401: invalid api key")) << e.what();
    EXPECT_TRUE(contains(e.what(), endpoint("/auth") + "/embeddings")) << e.what();

    s.api_key.clear();
    e = expect_provider_error([&] { make_provider("fake-model", 16, s)->embed({"x"}); }, ProviderErrorKind::permanent);
    EXPECT_EQ(e.http_status(), 401);
}

TEST_F(ProviderHttp, ServerErrorRetriedThenTransient) {
    ProviderSettings s = settings("/fail");
    s.max_retries = 2;
    auto e = expect_provider_error(
        [&] {
            make_provider("fake-model", 16, s)->embed({"a", "b"});
        },
        ProviderErrorKind::transient);
    EXPECT_EQ(stats().requests, 3);
    EXPECT_EQ(e.http_status(), 500);
    EXPECT_TRUE(contains(e.what(), "3 attempts")) << e.what();
    EXPECT_TRUE(contains(e.what(), "simulated failure")) << e.what();
}

TEST_F(ProviderHttp, FlakyServerRecovers) {
    ProviderSettings s = settings("/flaky");
    s.max_retries = 3;
    const auto v = make_provider("fake-model", 16, s)->embed({"a b c"});
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0], make_provider("fake-model", 16, settings(""))->embed({"a b c"})[0]);
    EXPECT_EQ(stats().requests, 4);  // 3 on /flaky, 1 on /

    http_call("POST", "/reset");
    s.max_retries = 1;
    auto e =
        expect_provider_error([&] { make_provider("fake-model", 16, s)->embed({"x"}); }, ProviderErrorKind::transient);
    EXPECT_EQ(e.http_status(), 503);
    EXPECT_EQ(stats().requests, 2);
}

TEST_F(ProviderHttp, TimeoutIsTransientAndPrompt) {
    ProviderSettings s = settings("/slow");
    s.timeout_ms = 500;
    const Clock::time_point t0 = Clock::now();
    auto e =
        expect_provider_error([&] { make_provider("fake-model", 16, s)->embed({"x"}); }, ProviderErrorKind::transient);
    EXPECT_LT(seconds_since(t0), 2.5);
    EXPECT_EQ(e.http_status(), 0);
    EXPECT_TRUE(contains(e.what(), "1 attempt")) << e.what();
}

TEST_F(ProviderHttp, WrongLengthAndBadJsonArePermanent) {
    ProviderSettings s = settings("/badlen");
    s.max_retries = 2;
    auto e = expect_provider_error(
        [&] {
            make_provider("fake-model", 16, s)->embed({"x", "y"});
        },
        ProviderErrorKind::permanent);
    EXPECT_TRUE(contains(e.what(), "returned 15 numbers per vector; the index expects 16")) << e.what();

    s.endpoint = endpoint("/badjson");
    e = expect_provider_error([&] { make_provider("fake-model", 16, s)->embed({"x"}); }, ProviderErrorKind::permanent);
    EXPECT_TRUE(contains(e.what(), "not valid JSON")) << e.what();
    EXPECT_TRUE(contains(e.what(), "not json")) << e.what();
    EXPECT_EQ(stats().requests, 2) << "malformed answers must not be retried";
}

TEST_F(ProviderHttp, AbortDuringSlowRequest) {
    ProviderSettings s = settings("/slow");
    s.timeout_ms = 10000;
    std::atomic<bool> flag{false};
    s.should_abort = [&] { return flag.load(); };
    auto p = make_provider("fake-model", 16, s);
    std::thread trigger([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        flag = true;
    });
    const Clock::time_point t0 = Clock::now();
    try {
        p->embed({"x"});
        ADD_FAILURE() << "no error";
    } catch (const ProviderError& e) {
        EXPECT_EQ(static_cast<int>(e.kind()), static_cast<int>(ProviderErrorKind::aborted)) << e.what();
    }
    const double total = seconds_since(t0);
    trigger.join();
    EXPECT_GE(total, 0.25);
    EXPECT_LT(total, 0.3 + 0.5);
}

TEST_F(ProviderHttp, AbortDuringBackoff) {
    ProviderSettings s = settings("/fail");
    s.max_retries = 1;
    s.retry_base_ms = 20000;
    const Clock::time_point t0 = Clock::now();
    s.should_abort = [t0] { return seconds_since(t0) > 0.3; };
    expect_provider_error([&] { make_provider("fake-model", 16, s)->embed({"x"}); }, ProviderErrorKind::aborted);
    EXPECT_LT(seconds_since(t0), 0.3 + 0.5);
    EXPECT_EQ(stats().requests, 1);
}

TEST_F(ProviderHttp, ExceptionFromAbortHookPropagates) {
    struct Cancelled {};
    ProviderSettings s = settings("/slow");
    const Clock::time_point t0 = Clock::now();
    s.should_abort = [t0]() -> bool {
        if (seconds_since(t0) > 0.2) throw Cancelled{};
        return false;
    };
    EXPECT_THROW(make_provider("fake-model", 16, s)->embed({"x"}), Cancelled);
    EXPECT_LT(seconds_since(t0), 0.2 + 0.5);
}

TEST_F(ProviderHttp, ConnectionRefusedIsTransient) {
    // A port that was just free and is now closed.
    const int sock = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(sock, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ASSERT_EQ(bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    ASSERT_EQ(getsockname(sock, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    const int closed_port = ntohs(addr.sin_port);
    close(sock);

    ProviderSettings s = settings("");
    s.endpoint = "http://127.0.0.1:" + std::to_string(closed_port) + "/v1/";
    s.max_retries = 1;
    auto e =
        expect_provider_error([&] { make_provider("fake-model", 16, s)->embed({"x"}); }, ProviderErrorKind::transient);
    EXPECT_EQ(e.http_status(), 0);
    EXPECT_TRUE(contains(e.what(), "2 attempts")) << e.what();
    EXPECT_TRUE(contains(e.what(), "http://127.0.0.1:" + std::to_string(closed_port) + "/v1/embeddings")) << e.what();
}

TEST_F(ProviderHttp, EmptyInputMakesNoRequest) {
    auto p = make_provider("fake-model", 16, settings(""));
    EXPECT_TRUE(p->embed({}).empty());
    EXPECT_EQ(stats().requests, 0);
}

TEST_F(ProviderHttp, SecretsStayOutOfMessages) {
    ProviderSettings s = settings("/fail");
    s.endpoint = "http://someone:pw-Hq3v@127.0.0.1:" + std::to_string(port_) + "/fail/v1?token=tk-Lm9w";
    s.api_key = "key-Rt5y";
    auto e = expect_provider_error([&] { make_provider("fake-model", 16, s)->embed({"x"}); },
                                   ProviderErrorKind::permanent);  // the query string makes it a 404
    const std::string msg = e.what();
    EXPECT_EQ(e.http_status(), 404);
    EXPECT_FALSE(contains(msg, "pw-Hq3v")) << msg;
    EXPECT_FALSE(contains(msg, "tk-Lm9w")) << msg;
    EXPECT_FALSE(contains(msg, "key-Rt5y")) << msg;
    EXPECT_TRUE(contains(msg, "http://127.0.0.1:" + std::to_string(port_) + "/fail/v1/embeddings")) << msg;
}

TEST_F(ProviderHttp, InvalidUtf8IsSentReplaced) {
    const auto v = make_provider("fake-model", 16, settings(""))->embed({"caf\xE9 au lait", "\xff"});
    ASSERT_EQ(v.size(), 2u);
    EXPECT_EQ(v[0], make_provider("fake-model", 16, settings(""))->embed({"caf\xEF\xBF\xBD au lait"})[0]);
}

}  // namespace

// gen_clustered: synthetic clustered float32 data set plus exact ground truth
// for the rushdb benchmark harness.
//
//   gen_clustered --n N --dims D --queries Q --seed S --out DIR
//                 [--k 100] [--threads 2] [--csv] [--kernel NAME]
//
// Data model
//   * C = max(1, n / 500) centres, each coordinate drawn from N(0, 2^2).
//   * Every base point: a uniformly chosen centre + N(0, 1) noise per coordinate.
//   * Every query: generated the same way (same centres), from its own random
//     streams, so the queries do not depend on the base points and changing
//     --queries never changes base.fvecs (the centres do depend on n).
//
// Randomness and reproducibility
//   * Engine: std::mt19937_64, whose output sequence is fixed by the C++
//     standard. Engines are seeded through std::seed_seq (also fully specified
//     by the standard) from (seed, stream, block), so rows are generated in
//     independent blocks of kRowsPerBlock and the output does not depend on
//     --threads.
//   * Deliberately NOT std::normal_distribution / std::uniform_int_distribution:
//     those are implementation-defined. Normals come from our own Box-Muller
//     transform and centre indices from our own rejection sampler, so the only
//     platform dependence left is libm's log/sin/cos/sqrt. With the project's
//     fixed toolchain (Debian 12, glibc, GCC 12) the output is bit-identical
//     run after run; another libm could differ in the last bit of a value.
//
// Ground truth
//   Exact top-k by brute force with the project's SIMD kernels (the variant
//   chosen by rushdb::distance::active(), or --kernel NAME):
//     gt_l2.ivecs      ordered by l2_squared (float), ascending
//     gt_cosine.ivecs  ordered by cosine_distance (double), ascending;
//                      NaN (zero vector) sorts as +infinity
//   Ties are broken by the lower id. Ids are 0-based row indexes into base.
//   Queries are processed in blocks against cache-sized tiles of the base set,
//   both metrics in the same pass, split over --threads std::threads.
//
// Output files in DIR (each written to NAME.tmp and renamed when complete)
//   base.fvecs, queries.fvecs   per vector: int32 dim, then dim float32 (LE)
//   gt_l2.ivecs, gt_cosine.ivecs per query: int32 k, then k int32 ids (LE)
//   base.csv, queries.csv       only with --csv: "id<TAB>[v1,v2,...]" per row,
//                               id = row + 1 (1-BASED), for
//                               COPY t(id, embedding) FROM '...' (text format)
//   meta.json                   parameters and file list
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <sys/stat.h>

#include "distance/kernels.hpp"
#include "text/vector_text.hpp"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "fvecs/ivecs are little-endian; this writer assumes a little-endian host");

namespace {

namespace dist = rushdb::distance;

constexpr int kFormatVersion = 1;
constexpr double kTwoPi = 6.283185307179586476925286766559;
constexpr std::uint64_t kPointsPerCentre = 500;
constexpr std::size_t kRowsPerBlock = 16384;    // rows per independent random stream
constexpr std::size_t kQueryBlock = 16;         // queries kept hot in L1/L2 together
constexpr std::size_t kTileBytes = 256 * 1024;  // base rows scanned per tile

// Random stream identifiers (second word of the seed sequence).
enum Stream : std::uint32_t { kStreamCentres = 0, kStreamBase = 1, kStreamQueries = 2 };

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

[[noreturn]] void die(const std::string& msg) {
    std::fprintf(stderr, "gen_clustered: error: %s\n", msg.c_str());
    std::exit(1);
}

// ---------------------------------------------------------------------------
// Random numbers

std::mt19937_64 make_engine(std::uint64_t seed, std::uint32_t stream, std::uint64_t block) {
    std::seed_seq seq{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32), stream,
                      static_cast<std::uint32_t>(block), static_cast<std::uint32_t>(block >> 32)};
    return std::mt19937_64(seq);
}

// Standard normal deviates by the Box-Muller transform (both outputs used).
class Normal {
public:
    explicit Normal(std::mt19937_64& eng) : eng_(eng) {}

    double next() {
        if (have_spare_) {
            have_spare_ = false;
            return spare_;
        }
        // u1 in (0, 1] so log(u1) is finite; u2 in [0, 1).
        double u1 = static_cast<double>((eng_() >> 11) + 1) * 0x1.0p-53;
        double u2 = static_cast<double>(eng_() >> 11) * 0x1.0p-53;
        double r = std::sqrt(-2.0 * std::log(u1));
        double theta = kTwoPi * u2;
        spare_ = r * std::sin(theta);
        have_spare_ = true;
        return r * std::cos(theta);
    }

private:
    std::mt19937_64& eng_;
    double spare_ = 0.0;
    bool have_spare_ = false;
};

// Uniform integer in [0, m), m >= 1, by rejection (no modulo bias).
std::uint64_t uniform_below(std::mt19937_64& eng, std::uint64_t m) {
    const std::uint64_t limit =
        std::numeric_limits<std::uint64_t>::max() - std::numeric_limits<std::uint64_t>::max() % m;
    std::uint64_t x;
    do {
        x = eng();
    } while (x >= limit);
    return x % m;
}

std::vector<float> make_centres(std::uint64_t seed, std::size_t count, std::size_t dims) {
    std::vector<float> c(count * dims);
    std::mt19937_64 eng = make_engine(seed, kStreamCentres, 0);
    Normal normal(eng);
    for (float& x : c) x = static_cast<float>(2.0 * normal.next());
    return c;
}

// Fills rows [0, rows) of `out`: block b (rows b*kRowsPerBlock ...) uses its own
// engine, so blocks can be generated in parallel with identical results.
void make_points(std::uint64_t seed, Stream stream, const std::vector<float>& centres, std::size_t n_centres,
                 std::size_t dims, std::size_t rows, float* out, unsigned threads) {
    const std::size_t blocks = (rows + kRowsPerBlock - 1) / kRowsPerBlock;
    std::atomic<std::size_t> next{0};
    auto worker = [&] {
        for (;;) {
            std::size_t b = next.fetch_add(1);
            if (b >= blocks) return;
            std::mt19937_64 eng = make_engine(seed, stream, b);
            Normal normal(eng);
            std::size_t r0 = b * kRowsPerBlock, r1 = std::min(rows, r0 + kRowsPerBlock);
            for (std::size_t r = r0; r < r1; ++r) {
                const float* c = &centres[uniform_below(eng, n_centres) * dims];
                float* p = out + r * dims;
                for (std::size_t j = 0; j < dims; ++j)
                    p[j] = static_cast<float>(static_cast<double>(c[j]) + normal.next());
            }
        }
    };
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
    for (auto& th : pool) th.join();
}

// ---------------------------------------------------------------------------
// Exact top-k

// Bounded max-heap keeping the k smallest (dist, id) pairs, compared
// lexicographically, so equal distances prefer the lower id and the result
// does not depend on the order candidates are offered in.
template <typename D>
class TopK {
public:
    struct Item {
        D dist;
        std::int32_t id;
    };

    explicit TopK(std::size_t k) : k_(k) { heap_.reserve(k); }

    // Fast rejection test, inlined into the scan loop.
    bool worse_than_all(D d, std::int32_t id) const {
        if (heap_.size() < k_) return false;
        const Item& top = heap_.front();
        return d > top.dist || (d == top.dist && id > top.id);
    }

    void offer(D d, std::int32_t id) {
        if (worse_than_all(d, id)) return;
        if (heap_.size() < k_) {
            heap_.push_back({d, id});
            std::push_heap(heap_.begin(), heap_.end(), less);
        } else {
            std::pop_heap(heap_.begin(), heap_.end(), less);
            heap_.back() = {d, id};
            std::push_heap(heap_.begin(), heap_.end(), less);
        }
    }

    // Ids in ascending (dist, id) order.
    std::vector<std::int32_t> sorted_ids() const {
        std::vector<Item> items = heap_;
        std::sort(items.begin(), items.end(), less);
        std::vector<std::int32_t> ids;
        ids.reserve(items.size());
        for (const Item& it : items) ids.push_back(it.id);
        return ids;
    }

private:
    static bool less(const Item& a, const Item& b) { return a.dist < b.dist || (a.dist == b.dist && a.id < b.id); }
    std::size_t k_;
    std::vector<Item> heap_;
};

struct GroundTruth {
    std::vector<std::int32_t> l2;      // queries * k
    std::vector<std::int32_t> cosine;  // queries * k
};

GroundTruth brute_force(const std::vector<float>& base, std::size_t n, const std::vector<float>& queries,
                        std::size_t nq, std::size_t dims, std::size_t k, unsigned threads) {
    const dist::KernelSet& ks = dist::active();
    GroundTruth gt;
    gt.l2.resize(nq * k);
    gt.cosine.resize(nq * k);

    const std::size_t tile_rows = std::max<std::size_t>(16, kTileBytes / (dims * sizeof(float)));
    const std::size_t qblocks = (nq + kQueryBlock - 1) / kQueryBlock;
    std::atomic<std::size_t> next_block{0};
    std::atomic<std::size_t> queries_done{0};
    std::atomic<unsigned> workers_left{threads};

    auto worker = [&] {
        for (;;) {
            std::size_t qb = next_block.fetch_add(1);
            if (qb >= qblocks) break;
            std::size_t q0 = qb * kQueryBlock, q1 = std::min(nq, q0 + kQueryBlock);
            std::vector<TopK<float>> top_l2(q1 - q0, TopK<float>(k));
            std::vector<TopK<double>> top_cos(q1 - q0, TopK<double>(k));
            for (std::size_t t0 = 0; t0 < n; t0 += tile_rows) {
                std::size_t t1 = std::min(n, t0 + tile_rows);
                for (std::size_t q = q0; q < q1; ++q) {
                    const float* qv = &queries[q * dims];
                    TopK<float>& tl = top_l2[q - q0];
                    TopK<double>& tc = top_cos[q - q0];
                    for (std::size_t i = t0; i < t1; ++i) {
                        const float* bv = &base[i * dims];
                        const auto id = static_cast<std::int32_t>(i);
                        float d2 = ks.l2_squared(qv, bv, dims);
                        if (!tl.worse_than_all(d2, id)) tl.offer(d2, id);
                        double dc = dist::cosine_distance_from(ks.dot_and_norms(qv, bv, dims));
                        if (std::isnan(dc)) dc = std::numeric_limits<double>::infinity();
                        if (!tc.worse_than_all(dc, id)) tc.offer(dc, id);
                    }
                }
            }
            for (std::size_t q = q0; q < q1; ++q) {
                std::vector<std::int32_t> a = top_l2[q - q0].sorted_ids();
                std::vector<std::int32_t> b = top_cos[q - q0].sorted_ids();
                std::copy(a.begin(), a.end(), gt.l2.begin() + q * k);
                std::copy(b.begin(), b.end(), gt.cosine.begin() + q * k);
            }
            queries_done.fetch_add(q1 - q0);
        }
        workers_left.fetch_sub(1);
    };

    auto t0 = Clock::now();
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t) pool.emplace_back(worker);
    // Progress from the main thread while the workers run.
    auto last = Clock::now();
    while (workers_left.load() > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (seconds_since(last) >= 5.0) {
            last = Clock::now();
            std::size_t done = queries_done.load();
            double el = seconds_since(t0);
            double eta = done ? el * static_cast<double>(nq - done) / static_cast<double>(done) : 0.0;
            std::fprintf(stderr, "  ground truth: %zu/%zu queries, %.1f s elapsed, ~%.0f s left\n", done, nq, el, eta);
        }
    }
    for (auto& th : pool) th.join();
    return gt;
}

// ---------------------------------------------------------------------------
// Output

class Writer {
public:
    explicit Writer(const std::string& path) : path_(path), tmp_(path + ".tmp") {
        f_ = std::fopen(tmp_.c_str(), "wb");
        if (!f_) die("cannot open " + tmp_ + ": " + std::strerror(errno));
        std::setvbuf(f_, nullptr, _IOFBF, 1 << 20);
    }
    ~Writer() {
        if (f_) {  // not committed: leave no partial file behind
            std::fclose(f_);
            std::remove(tmp_.c_str());
        }
    }
    void write(const void* p, std::size_t bytes) {
        if (bytes && std::fwrite(p, 1, bytes, f_) != bytes)
            die("write to " + tmp_ + " failed: " + std::strerror(errno));
    }
    void write(const std::string& s) { write(s.data(), s.size()); }
    void commit() {
        if (std::fclose(f_) != 0) {
            f_ = nullptr;
            die("close of " + tmp_ + " failed: " + std::strerror(errno));
        }
        f_ = nullptr;
        if (std::rename(tmp_.c_str(), path_.c_str()) != 0)
            die("rename to " + path_ + " failed: " + std::strerror(errno));
    }

private:
    std::string path_, tmp_;
    std::FILE* f_ = nullptr;
};

void write_fvecs(const std::string& path, const std::vector<float>& v, std::size_t rows, std::size_t dims) {
    Writer w(path);
    const auto d = static_cast<std::int32_t>(dims);
    for (std::size_t r = 0; r < rows; ++r) {
        w.write(&d, sizeof d);
        w.write(&v[r * dims], dims * sizeof(float));
    }
    w.commit();
}

void write_ivecs(const std::string& path, const std::vector<std::int32_t>& v, std::size_t rows, std::size_t k) {
    Writer w(path);
    const auto kk = static_cast<std::int32_t>(k);
    for (std::size_t r = 0; r < rows; ++r) {
        w.write(&kk, sizeof kk);
        w.write(&v[r * k], k * sizeof(std::int32_t));
    }
    w.commit();
}

// "id<TAB>[v1,...,vd]\n" with id = row + 1, vectors in the extension's own
// output format (shortest round-trip float text), which its input accepts.
void write_csv(const std::string& path, const std::vector<float>& v, std::size_t rows, std::size_t dims) {
    Writer w(path);
    std::vector<char> line(32 + rushdb::text::max_formatted_size(dims));
    for (std::size_t r = 0; r < rows; ++r) {
        int len = std::snprintf(line.data(), 32, "%zu\t", r + 1);
        std::size_t vl = rushdb::text::format_vector(&v[r * dims], dims, line.data() + len);
        line[len + vl] = '\n';
        w.write(line.data(), len + vl + 1);
    }
    w.commit();
}

// ---------------------------------------------------------------------------
// Command line

struct Options {
    std::uint64_t n = 0, dims = 0, queries = 0, seed = 0, k = 100, threads = 2;
    bool have_n = false, have_dims = false, have_queries = false, have_seed = false;
    bool csv = false;
    std::string out, kernel;
};

void usage(std::FILE* f) {
    std::fprintf(f,
                 "usage: gen_clustered --n N --dims D --queries Q --seed S --out DIR\n"
                 "                     [--k 100] [--threads 2] [--csv] [--kernel NAME]\n"
                 "  --n N          base vectors (1 .. 2^31-1)\n"
                 "  --dims D       dimensions (1 .. 16000)\n"
                 "  --queries Q    query vectors (>= 1)\n"
                 "  --seed S       64-bit seed; same seed and sizes -> identical files\n"
                 "  --out DIR      output directory (created if missing)\n"
                 "  --k K          ground-truth depth (default 100, capped at N)\n"
                 "  --threads T    worker threads (default 2)\n"
                 "  --csv          also write base.csv / queries.csv (ids 1-based)\n"
                 "  --kernel NAME  force a kernel variant (scalar, sse2, avx2+fma, avx512f, neon)\n");
}

std::uint64_t parse_u64(const char* flag, const char* s) {
    if (!s) die(std::string(flag) + " needs a value");
    errno = 0;
    char* end = nullptr;
    unsigned long long v = std::strtoull(s, &end, 10);
    if (errno || end == s || *end != '\0' || s[0] == '-') die(std::string("bad value for ") + flag + ": '" + s + "'");
    return v;
}

Options parse_args(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        const char* val = i + 1 < argc ? argv[i + 1] : nullptr;
        if (a == "--help" || a == "-h") {
            usage(stdout);
            std::exit(0);
        } else if (a == "--csv") {
            o.csv = true;
        } else if (a == "--n") {
            o.n = parse_u64("--n", val), o.have_n = true, ++i;
        } else if (a == "--dims") {
            o.dims = parse_u64("--dims", val), o.have_dims = true, ++i;
        } else if (a == "--queries") {
            o.queries = parse_u64("--queries", val), o.have_queries = true, ++i;
        } else if (a == "--seed") {
            o.seed = parse_u64("--seed", val), o.have_seed = true, ++i;
        } else if (a == "--k") {
            o.k = parse_u64("--k", val), ++i;
        } else if (a == "--threads") {
            o.threads = parse_u64("--threads", val), ++i;
        } else if (a == "--out") {
            if (!val) die("--out needs a value");
            o.out = val, ++i;
        } else if (a == "--kernel") {
            if (!val) die("--kernel needs a value");
            o.kernel = val, ++i;
        } else {
            usage(stderr);
            die("unknown argument '" + a + "'");
        }
    }
    if (!o.have_n || !o.have_dims || !o.have_queries || !o.have_seed || o.out.empty()) {
        usage(stderr);
        die("--n, --dims, --queries, --seed and --out are required");
    }
    if (o.n < 1 || o.n > static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max()))
        die("--n must be in 1 .. 2147483647 (ids are int32)");
    if (o.dims < 1 || o.dims > 16000) die("--dims must be in 1 .. 16000");
    if (o.queries < 1) die("--queries must be >= 1");
    if (o.k < 1) die("--k must be >= 1");
    if (o.threads < 1 || o.threads > 256) die("--threads must be in 1 .. 256");
    if (o.k > o.n) {
        std::fprintf(stderr, "gen_clustered: warning: --k %llu > --n; using k = %llu\n",
                     static_cast<unsigned long long>(o.k), static_cast<unsigned long long>(o.n));
        o.k = o.n;
    }
    return o;
}

void make_dirs(const std::string& path) {
    std::string cur;
    for (std::size_t i = 0; i <= path.size(); ++i) {
        if (i == path.size() || path[i] == '/') {
            if (!cur.empty() && mkdir(cur.c_str(), 0777) != 0 && errno != EEXIST)
                die("cannot create " + cur + ": " + std::strerror(errno));
        }
        if (i < path.size()) cur += path[i];
    }
    struct stat st;
    if (stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) die(path + " is not a directory");
}

std::string json_escape(const std::string& s) {
    std::string r;
    for (char c : s) {
        if (c == '"' || c == '\\') r += '\\';
        r += c;
    }
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    Options o = parse_args(argc, argv);
    if (!o.kernel.empty() && !dist::select_by_name(o.kernel.c_str()))
        die("kernel '" + o.kernel + "' is unknown or not supported by this CPU");

    const std::size_t n = o.n, dims = o.dims, nq = o.queries, k = o.k;
    const auto threads = static_cast<unsigned>(o.threads);
    const std::size_t n_centres = std::max<std::size_t>(1, n / kPointsPerCentre);
    make_dirs(o.out);
    const std::string dir = o.out + "/";

    std::fprintf(stderr,
                 "gen_clustered: n=%zu dims=%zu queries=%zu seed=%llu k=%zu centres=%zu "
                 "threads=%u kernel=%s\n",
                 n, dims, nq, static_cast<unsigned long long>(o.seed), k, n_centres, threads, dist::active().name);
    auto t_all = Clock::now();

    auto t = Clock::now();
    std::vector<float> centres = make_centres(o.seed, n_centres, dims);
    std::vector<float> base(n * dims), queries(nq * dims);
    make_points(o.seed, kStreamBase, centres, n_centres, dims, n, base.data(), threads);
    make_points(o.seed, kStreamQueries, centres, n_centres, dims, nq, queries.data(), threads);
    std::fprintf(stderr, "  generated base and queries in %.2f s\n", seconds_since(t));

    t = Clock::now();
    write_fvecs(dir + "base.fvecs", base, n, dims);
    write_fvecs(dir + "queries.fvecs", queries, nq, dims);
    std::fprintf(stderr, "  wrote base.fvecs, queries.fvecs in %.2f s\n", seconds_since(t));

    if (o.csv) {
        t = Clock::now();
        write_csv(dir + "base.csv", base, n, dims);
        write_csv(dir + "queries.csv", queries, nq, dims);
        std::fprintf(stderr, "  wrote base.csv, queries.csv in %.2f s\n", seconds_since(t));
    }

    t = Clock::now();
    std::fprintf(stderr, "  ground truth: %zu queries x %zu base vectors, 2 metrics...\n", nq, n);
    GroundTruth gt = brute_force(base, n, queries, nq, dims, k, threads);
    double gt_seconds = seconds_since(t);
    write_ivecs(dir + "gt_l2.ivecs", gt.l2, nq, k);
    write_ivecs(dir + "gt_cosine.ivecs", gt.cosine, nq, k);
    std::fprintf(stderr, "  ground truth done in %.2f s\n", gt_seconds);

    std::string files = "\"base.fvecs\", \"queries.fvecs\", \"gt_l2.ivecs\", \"gt_cosine.ivecs\"";
    if (o.csv) files += ", \"base.csv\", \"queries.csv\"";
    char buf[2048];
    std::snprintf(buf, sizeof buf,
                  "{\n"
                  "  \"generator\": \"gen_clustered\",\n"
                  "  \"format_version\": %d,\n"
                  "  \"n\": %zu,\n"
                  "  \"dims\": %zu,\n"
                  "  \"queries\": %zu,\n"
                  "  \"seed\": %llu,\n"
                  "  \"k\": %zu,\n"
                  "  \"centres\": %zu,\n"
                  "  \"centre_sigma\": 2.0,\n"
                  "  \"noise_sigma\": 1.0,\n"
                  "  \"kernel\": \"%s\",\n"
                  "  \"gt_ids\": \"0-based row index into base.fvecs\",\n"
                  "  \"csv_ids\": \"1-based (row + 1)\",\n"
                  "  \"files\": [%s]\n"
                  "}\n",
                  kFormatVersion, n, dims, nq, static_cast<unsigned long long>(o.seed), k, n_centres,
                  json_escape(dist::active().name).c_str(), files.c_str());
    Writer meta(dir + "meta.json");
    meta.write(std::string(buf));
    meta.commit();

    std::fprintf(stderr, "gen_clustered: done in %.2f s -> %s\n", seconds_since(t_all), o.out.c_str());
    return 0;
}

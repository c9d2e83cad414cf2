// builtin-lexical-v1: see lexical_embedder.hpp for the specification this
// file implements. Any change to the output (tables, constants, weights,
// order of floating-point operations) needs a new model key.
#include "embed/lexical_embedder.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

#if defined(__FAST_MATH__)
#error "lexical_embedder.cpp must not be built with -ffast-math: its output must be bit-reproducible"
#endif
#if defined(__clang__)
// Clang contracts a*b+c into FMA by default where the target has it; the
// result would then depend on the instruction set. GCC does not contract in
// ISO mode (-std=c++17), which is how this project builds.
#pragma STDC FP_CONTRACT OFF
#endif

namespace rushdb::embed {

namespace {

using u64 = std::uint64_t;
using u32 = std::uint32_t;

// ---------------------------------------------------------------- hashing --

constexpr u64 kFnvOffset = 0xcbf29ce484222325ULL;
constexpr u64 kFnvPrime = 0x100000001b3ULL;
constexpr u64 kSeedUnigram = 0x55;   // 'U'
constexpr u64 kSeedChargram = 0x43;  // 'C'
constexpr u64 kSaltBigram = 0x42;    // 'B'

inline u64 fmix64(u64 k) noexcept {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

inline u64 fnv_absorb(u64 h, const unsigned char* p, std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i) {
        h ^= p[i];
        h *= kFnvPrime;
    }
    return h;
}

inline u64 hash_bytes(u64 seed, const char* p, std::size_t n) noexcept {
    return fmix64(fnv_absorb(kFnvOffset ^ seed, reinterpret_cast<const unsigned char*>(p), n));
}

inline u64 rotl64(u64 x, int r) noexcept { return (x << r) | (x >> (64 - r)); }

inline u64 bigram_key(u64 first, u64 second) noexcept { return fmix64(first ^ rotl64(second, 29) ^ kSaltBigram); }

// ------------------------------------------------- deterministic 1 + ln tf --

// ln(x) for x >= 1 with only +, -, *, /: x = m * 2^e with m in [sqrt(1/2),
// sqrt(2)), ln m = 2 atanh(s), s = (m-1)/(m+1), |s| < 0.1716, by its series
// to s^25 (truncation error < 1e-20). Not libm: libm's log may differ in the
// last bit between platforms.
double det_ln(double x) noexcept {
    int e = 0;
    while (x >= 2.0) {
        x *= 0.5;
        ++e;
    }
    if (x > 1.4142135623730951) {
        x *= 0.5;
        ++e;
    }
    const double s = (x - 1.0) / (x + 1.0);
    const double s2 = s * s;
    double term = s;
    double sum = 0.0;
    for (int k = 1; k <= 25; k += 2) {
        const double t = term / k;
        sum += t;
        term *= s2;
    }
    const double ln_m = 2.0 * sum;
    const double e_ln2 = e * 0.6931471805599453;  // ln 2 rounded to double
    return e_ln2 + ln_m;
}

// Sublinear term frequency: tf for tf <= 1 (a fractional tf comes from
// position weights), 1 + ln tf above; continuous with slope 1 at tf = 1.
inline double tf_weight(double tf) noexcept {
    if (tf <= 1.0) return tf;
    return 1.0 + det_ln(tf);
}

// ------------------------------------------------------------------ UTF-8 --

constexpr char32_t kInvalid = 0xFFFFFFFF;

// Decodes one strict UTF-8 sequence at p[i]; advances i past it, or by one
// byte (returning kInvalid) when p[i] does not start a valid sequence.
inline char32_t decode_utf8(const unsigned char* p, std::size_t n, std::size_t& i) noexcept {
    const unsigned b0 = p[i];
    if (b0 < 0x80) {
        ++i;
        return b0;
    }
    std::size_t len;
    char32_t cp;
    unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        len = 2;
        cp = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        len = 3;
        cp = b0 & 0x0F;
        if (b0 == 0xE0)
            lo = 0xA0;  // no overlong forms
        else if (b0 == 0xED)
            hi = 0x9F;  // no surrogates
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        len = 4;
        cp = b0 & 0x07;
        if (b0 == 0xF0)
            lo = 0x90;  // no overlong forms
        else if (b0 == 0xF4)
            hi = 0x8F;  // at most U+10FFFF
    } else {
        ++i;
        return kInvalid;
    }
    if (n - i < len) {
        ++i;
        return kInvalid;
    }
    const unsigned b1 = p[i + 1];
    if (b1 < lo || b1 > hi) {
        ++i;
        return kInvalid;
    }
    cp = (cp << 6) | (b1 & 0x3F);
    for (std::size_t k = 2; k < len; ++k) {
        const unsigned b = p[i + k];
        if ((b & 0xC0) != 0x80) {
            ++i;
            return kInvalid;
        }
        cp = (cp << 6) | (b & 0x3F);
    }
    i += len;
    return cp;
}

inline void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

// ------------------------------------------------- character classes --

char32_t lower(char32_t c) noexcept {
    if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
    if (c < 0xC0) return c;
    if (c <= 0xDE) return c == 0xD7 ? c : c + 32;
    if (c < 0x100) return c;
    if (c < 0x180) {  // Latin Extended-A
        if (c == 0x130) return 'i';
        if (c <= 0x137) return (c % 2 == 0) ? c + 1 : c;
        if (c >= 0x139 && c <= 0x148) return (c % 2 == 1) ? c + 1 : c;
        if (c >= 0x14A && c <= 0x177) return (c % 2 == 0) ? c + 1 : c;
        if (c == 0x178) return 0xFF;
        if (c >= 0x179 && c <= 0x17E) return (c % 2 == 1) ? c + 1 : c;
        return c;
    }
    if (c >= 0x386 && c <= 0x3AB) {  // Greek
        if (c == 0x386) return 0x3AC;
        if (c >= 0x388 && c <= 0x38A) return c + 37;
        if (c == 0x38C) return 0x3CC;
        if (c == 0x38E || c == 0x38F) return c + 63;
        if (c >= 0x391 && c != 0x3A2) return c + 32;
        return c;
    }
    if (c >= 0x400 && c <= 0x42F) return c < 0x410 ? c + 80 : c + 32;  // Cyrillic
    return c;
}

inline bool is_digit(char32_t c) noexcept { return c >= '0' && c <= '9'; }

bool is_word(char32_t c) noexcept {
    if (c < 0x80) return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (c <= 0xBF) return c == 0xAA || c == 0xB5 || c == 0xBA;
    if (c == 0xD7 || c == 0xF7) return false;
    if (c < 0x2000) return true;
    if (c <= 0x2BFF) return false;
    if (c >= 0x3000 && c <= 0x303F) return false;
    if (c >= 0xFE30 && c <= 0xFE4F) return false;
    if (c == 0xFEFF) return false;
    if (c >= 0xFF00 && c <= 0xFF0F) return false;
    if (c >= 0xFF1A && c <= 0xFF20) return false;
    if (c >= 0xFF3B && c <= 0xFF40) return false;
    if (c >= 0xFF5B && c <= 0xFF65) return false;
    if (c >= 0xFFF0 && c <= 0xFFFF) return false;
    if (c >= 0x1F000 && c <= 0x1FAFF) return false;
    return true;
}

inline bool is_upper(char32_t c) noexcept { return lower(c) != c; }
// A word character that is neither a digit nor upper case (includes
// uncased scripts, so "漢字Abc" splits before the A).
inline bool is_lower(char32_t c) noexcept { return !is_digit(c) && !is_upper(c); }

// ---------------------------------------------------------------- stopwords --

// Sorted (byte order) so lookup is a binary search.
constexpr std::string_view kStopwords[] = {
    "a",    "an",    "and",  "are",  "as",    "at",    "be",   "been", "but",   "by",    "can",  "do",
    "does", "for",   "from", "had",  "has",   "have",  "he",   "her",  "his",   "i",     "if",   "in",
    "into", "is",    "it",   "its",  "of",    "on",    "or",   "our",  "she",   "so",    "than", "that",
    "the",  "their", "them", "then", "there", "these", "they", "this", "those", "to",    "us",   "was",
    "we",   "were",  "what", "when", "where", "which", "who",  "will", "with",  "would", "you",  "your",
};

bool is_stopword(std::string_view w) noexcept {
    if (w.size() > 5) return false;
    return std::binary_search(std::begin(kStopwords), std::end(kStopwords), w);
}

// ---------------------------------------------------------------- tokens --

struct Token {
    u32 offset;  // into Scratch::bytes
    u32 length;  // bytes
    u32 pos;     // word position: parts count, whole identifiers share their last part's
    bool whole;  // a whole identifier (also split into parts)
    bool stop;
};

// One family's distinct features with their summed weights, in order of
// first occurrence. An open-addressing table (our own, keyed by the feature
// key) finds the entry of a key; entries are summed and later applied in
// insertion order, which the input alone determines, so the floating-point
// sums are made in the same order on every platform.
class FeatureTable {
public:
    struct Entry {
        u64 key;
        double tf;
        u32 first;  // unigrams: index of the first token with this word
    };

    void clear() {
        entries_.clear();
        if (slots_.size() != kInitialSlots)
            slots_.assign(kInitialSlots, 0);
        else
            std::fill(slots_.begin(), slots_.end(), 0u);
    }

    void add(u64 key, double tf, u32 first) {
        if (2 * (entries_.size() + 1) > slots_.size()) grow();
        const std::size_t mask = slots_.size() - 1;
        for (std::size_t i = static_cast<std::size_t>(key) & mask;; i = (i + 1) & mask) {
            const u32 e = slots_[i];
            if (e == 0) {
                entries_.push_back(Entry{key, tf, first});
                slots_[i] = static_cast<u32>(entries_.size());
                return;
            }
            if (entries_[e - 1].key == key) {
                entries_[e - 1].tf += tf;
                return;
            }
        }
    }

    std::vector<Entry>& entries() { return entries_; }
    std::size_t memory() const { return entries_.capacity() * sizeof(Entry) + slots_.capacity() * 4; }

private:
    static constexpr std::size_t kInitialSlots = 1024;

    void grow() {
        slots_.assign(slots_.size() * 2, 0);
        const std::size_t mask = slots_.size() - 1;
        for (u32 e = 0; e < entries_.size(); ++e) {
            std::size_t i = static_cast<std::size_t>(entries_[e].key) & mask;
            while (slots_[i] != 0) i = (i + 1) & mask;
            slots_[i] = e + 1;
        }
    }

    std::vector<Entry> entries_;
    std::vector<u32> slots_ = std::vector<u32>(kInitialSlots, 0);  // entry index + 1, 0 = empty
};

struct Scratch {
    std::string bytes;
    std::vector<Token> tokens;
    std::vector<char32_t> ident;  // original code points of the identifier
    std::vector<u32> joins;       // positions in ident after a '_' / '-'
    std::vector<u32> cuts;        // part boundaries, scratch for flush
    FeatureTable uni, bi, chr;
    std::vector<u32> cp_offsets;
    std::string framed;
    std::vector<double> acc;
};

class Tokenizer {
public:
    // Stops after max_words parts (0: no limit).
    Tokenizer(Scratch& s, bool split, bool whole, std::size_t max_words)
        : s_(s), split_(split), whole_(whole), max_words_(max_words) {
        s_.bytes.clear();
        s_.tokens.clear();
        s_.ident.clear();
        s_.joins.clear();
    }

    void run(std::string_view text) {
        const auto* p = reinterpret_cast<const unsigned char*>(text.data());
        const std::size_t n = text.size();
        std::size_t i = 0;
        bool pending_join = false;
        while (i < n) {
            if (max_words_ != 0 && parts_ >= max_words_) return;
            const char32_t c = decode_utf8(p, n, i);
            if (c != kInvalid && is_word(c)) {
                if (s_.ident.size() < LexicalEmbedder::kMaxIdentifierCodePoints) {
                    if (pending_join) s_.joins.push_back(static_cast<u32>(s_.ident.size()));
                    s_.ident.push_back(c);
                }
                pending_join = false;
            } else if ((c == '_' || c == '-') && !s_.ident.empty() && !pending_join) {
                pending_join = true;
            } else {
                flush();
                pending_join = false;
            }
        }
        flush();
    }

private:
    void emit(std::size_t from, std::size_t to, bool whole) {
        const std::size_t start = s_.bytes.size();
        std::size_t count = 0;
        for (std::size_t k = from; k < to && count < LexicalEmbedder::kMaxWordCodePoints; ++k, ++count)
            append_utf8(s_.bytes, lower(s_.ident[k]));
        if (!whole) ++parts_;
        s_.tokens.push_back(Token{static_cast<u32>(start), static_cast<u32>(s_.bytes.size() - start),
                                  static_cast<u32>(parts_ - 1), whole, false});
    }

    void flush() {
        auto& id = s_.ident;
        if (id.empty()) return;
        auto& cuts = s_.cuts;
        cuts.clear();
        cuts.push_back(0);
        std::size_t next_join = 0;
        for (std::size_t i = 1; i < id.size(); ++i) {
            bool cut = false;
            if (next_join < s_.joins.size() && s_.joins[next_join] == i) {
                ++next_join;
                cut = true;
            } else if (split_ && is_upper(id[i])) {
                const char32_t prev = id[i - 1];
                if (is_digit(prev) || is_lower(prev)) {
                    cut = true;  // flexible|Column, HTML5|Repository
                } else if (i + 1 < id.size() && is_lower(id[i + 1]) && i - cuts.back() >= 2) {
                    cut = true;  // HTML|Parser, but not O|DataModel (prev is upper here)
                }
            }
            if (cut) cuts.push_back(static_cast<u32>(i));
        }
        cuts.push_back(static_cast<u32>(id.size()));
        const std::size_t parts = cuts.size() - 1;
        std::size_t emitted = 0;
        for (; emitted < parts && (max_words_ == 0 || parts_ < max_words_); ++emitted)
            emit(cuts[emitted], cuts[emitted + 1], false);
        if (emitted >= 2 && whole_) emit(0, cuts[emitted], true);
        id.clear();
        s_.joins.clear();
    }

    Scratch& s_;
    bool split_;
    bool whole_;
    std::size_t max_words_;
    std::size_t parts_ = 0;
};

// A very long text leaves large buffers behind; give them back so an
// embedding backend does not keep megabytes per thread.
void release_if_large(Scratch& s) {
    constexpr std::size_t kKeepBytes = std::size_t{1} << 20;
    if (s.bytes.capacity() + s.tokens.capacity() * sizeof(Token) + s.uni.memory() + s.bi.memory() + s.chr.memory() >
        kKeepBytes)
        s = Scratch{};
}

Scratch& scratch() {
    thread_local Scratch s;
    return s;
}

// Adds one family, scaled to norm `weight` before hashing. Replaces each tf
// by its sublinear weight g(tf).
void apply_family(std::vector<FeatureTable::Entry>& feats, double weight, std::vector<double>& acc) {
    if (feats.empty() || !(weight > 0.0)) return;
    double sum_sq = 0.0;
    for (auto& f : feats) {
        f.tf = tf_weight(f.tf);
        const double sq = f.tf * f.tf;
        sum_sq += sq;
    }
    const double scale = weight / std::sqrt(sum_sq);
    const u64 dims = acc.size();
    for (const auto& f : feats) {
        const double v = scale * f.tf;
        const std::size_t idx = static_cast<std::size_t>(((f.key >> 32) * dims) >> 32);
        if (f.key & 1)
            acc[idx] -= v;
        else
            acc[idx] += v;
    }
}

// Character n-grams of one word (lower-cased UTF-8), framed as "<word>".
void add_chargrams(Scratch& s, std::string_view word, double tf, int min_n, int max_n) {
    auto& framed = s.framed;
    framed.clear();
    framed.push_back('<');
    framed.append(word.data(), word.size());
    framed.push_back('>');
    auto& off = s.cp_offsets;
    off.clear();
    for (u32 b = 0; b < framed.size(); ++b)
        if ((static_cast<unsigned char>(framed[b]) & 0xC0) != 0x80) off.push_back(b);
    const std::size_t ncp = off.size();
    off.push_back(static_cast<u32>(framed.size()));
    const auto* bytes = reinterpret_cast<const unsigned char*>(framed.data());
    for (std::size_t start = 0; start + static_cast<std::size_t>(min_n) <= ncp; ++start) {
        u64 h = kFnvOffset ^ kSeedChargram;
        for (int n = 1; n <= max_n && start + n <= ncp; ++n) {
            const std::size_t cp = start + n - 1;
            h = fnv_absorb(h, bytes + off[cp], off[cp + 1] - off[cp]);
            if (n >= min_n) s.chr.add(fmix64(h), tf, 0);
        }
    }
}

}  // namespace

// ---------------------------------------------------------------- public --

bool operator==(const LexicalEmbedderConfig& a, const LexicalEmbedderConfig& b) {
    return a.unigram_weight == b.unigram_weight && a.bigram_weight == b.bigram_weight &&
           a.chargram_weight == b.chargram_weight && a.min_ngram == b.min_ngram && a.max_ngram == b.max_ngram &&
           a.drop_stopwords == b.drop_stopwords && a.split_identifiers == b.split_identifiers &&
           a.identifier_as_word == b.identifier_as_word && a.position_pivot == b.position_pivot &&
           a.max_words == b.max_words;
}

LexicalEmbedder::LexicalEmbedder(std::size_t dimensions) : LexicalEmbedder(dimensions, LexicalEmbedderConfig{}) {}

LexicalEmbedder::LexicalEmbedder(std::size_t dimensions, const LexicalEmbedderConfig& config)
    : dimensions_(dimensions), config_(config) {
    if (dimensions < kMinDimensions || dimensions > kMaxDimensions)
        throw std::invalid_argument("builtin-lexical-v1: dimensions must be between 1 and 16000, got " +
                                    std::to_string(dimensions));
    if (config.min_ngram < 1 || config.max_ngram < config.min_ngram || config.max_ngram > 8)
        throw std::invalid_argument("builtin-lexical-v1: need 1 <= min_ngram <= max_ngram <= 8");
    for (double w : {config.unigram_weight, config.bigram_weight, config.chargram_weight})
        if (!(w >= 0.0) || !std::isfinite(w))
            throw std::invalid_argument("builtin-lexical-v1: feature weights must be finite and >= 0");
    if (!(config.position_pivot >= 0.0) || !std::isfinite(config.position_pivot))
        throw std::invalid_argument("builtin-lexical-v1: position_pivot must be finite and >= 0");
}

const char* LexicalEmbedder::model_key() const noexcept {
    return config_ == LexicalEmbedderConfig{} ? kModelKey : "builtin-lexical-v1+custom";
}

std::vector<float> LexicalEmbedder::embed(std::string_view text) const {
    std::vector<float> out(dimensions_);
    embed(text, out.data());
    return out;
}

void LexicalEmbedder::embed(std::string_view text, float* out) const {
    Scratch& s = scratch();
    Tokenizer(s, config_.split_identifiers, config_.identifier_as_word, config_.max_words).run(text);

    // Stopwords (kept when the text has nothing else).
    bool any_kept = false;
    for (auto& t : s.tokens) {
        t.stop = config_.drop_stopwords && is_stopword(std::string_view(s.bytes).substr(t.offset, t.length));
        any_kept = any_kept || !t.stop;
    }
    if (!any_kept)
        for (auto& t : s.tokens) t.stop = false;

    // U: unigrams; B: bigrams over kept non-whole words in order.
    s.uni.clear();
    s.bi.clear();
    s.chr.clear();
    const std::string_view all(s.bytes);
    u64 prev = 0;
    bool have_prev = false;
    const double pivot = config_.position_pivot;
    for (u32 k = 0; k < s.tokens.size(); ++k) {
        const Token& t = s.tokens[k];
        if (t.stop) continue;
        const u64 h = hash_bytes(kSeedUnigram, s.bytes.data() + t.offset, t.length);
        const double r = pivot > 0.0 ? pivot / (pivot + t.pos) : 1.0;
        s.uni.add(h, r, k);
        if (t.whole) continue;
        if (have_prev) s.bi.add(bigram_key(prev, h), r, 0);
        prev = h;
        have_prev = true;
    }

    // C: character n-grams of each distinct kept word, with the word's tf.
    if (config_.chargram_weight > 0.0) {
        for (const auto& u : s.uni.entries()) {
            const Token& t = s.tokens[u.first];
            add_chargrams(s, all.substr(t.offset, t.length), u.tf, config_.min_ngram, config_.max_ngram);
        }
    }

    s.acc.assign(dimensions_, 0.0);
    apply_family(s.uni.entries(), config_.unigram_weight, s.acc);
    apply_family(s.bi.entries(), config_.bigram_weight, s.acc);
    apply_family(s.chr.entries(), config_.chargram_weight, s.acc);

    double sum_sq = 0.0;
    for (double v : s.acc) {
        const double sq = v * v;
        sum_sq += sq;
    }
    if (!(sum_sq > 0.0)) {
        std::fill(out, out + dimensions_, 0.0f);
        release_if_large(s);
        return;
    }
    const double norm = std::sqrt(sum_sq);
    for (std::size_t i = 0; i < dimensions_; ++i) out[i] = static_cast<float>(s.acc[i] / norm);
    release_if_large(s);
}

namespace lexical_detail {

std::vector<std::string> words(std::string_view text) {
    Scratch s;
    const LexicalEmbedderConfig c;
    Tokenizer(s, c.split_identifiers, c.identifier_as_word, c.max_words).run(text);
    std::vector<std::string> out;
    out.reserve(s.tokens.size());
    for (const auto& t : s.tokens) out.emplace_back(s.bytes, t.offset, t.length);
    return out;
}

char32_t to_lower(char32_t cp) noexcept { return lower(cp); }

unsigned long long feature_hash(unsigned long long seed, std::string_view bytes) noexcept {
    return hash_bytes(seed, bytes.data(), bytes.size());
}

}  // namespace lexical_detail

}  // namespace rushdb::embed

// Built-in text embedder for managed embedding indexes: "builtin-lexical-v1".
//
// What it is, honestly: a LEXICAL embedder. It turns a text into a fixed-size,
// L2-normalised float vector by feature hashing of words, word pairs and
// character n-grams. Cosine similarity between two such vectors measures how
// much vocabulary the texts share (weighted), not what they mean: "car" and
// "automobile" are unrelated to it; "deploy" and "deployment" are close
// (shared character n-grams). It needs no network, no model file and no
// training, and it is fully deterministic.
//
// Specification (every step is part of the model key; changing any of them,
// a weight or a hash constant, needs a new key such as builtin-lexical-v2):
//
//  1. Decoding. The input is read as UTF-8. Valid sequences (no overlong
//     forms, no surrogates, <= U+10FFFF) give code points; a byte that does
//     not start a valid sequence is skipped as a separator. Never throws on
//     bad input, never reads outside `text`.
//  2. Lower-casing, locale-free, by a fixed table: ASCII A-Z; Latin-1
//     U+00C0-U+00DE (except U+00D7); Latin Extended-A (U+0100-U+017F case
//     pairs, U+0130 -> 'i', U+0178 -> U+00FF); Greek U+0386-U+03AB; Cyrillic
//     U+0400-U+042F. All other code points are kept as they are (no accent
//     folding, no Unicode normalisation).
//  3. Words. Word characters are ASCII letters and digits and every code
//     point >= U+0080 that is not a separator; separators are ASCII
//     non-alphanumerics, U+0080-U+00BF (C1 controls, Latin-1 symbols) except
//     ª µ º, U+00D7, U+00F7, U+2000-U+2BFF (punctuation, spaces, arrows,
//     maths, box drawing...), U+3000-U+303F, U+FE30-U+FE4F, U+FEFF,
//     U+FF00-U+FF0F, U+FF1A-U+FF20, U+FF3B-U+FF40, U+FF5B-U+FF65,
//     U+FFF0-U+FFFF and U+1F000-U+1FAFF (emoji). An identifier is a run of
//     word characters, possibly joined by single '_' or '-' ("ui5-deploy",
//     "snake_case"); only its first 1024 code points are read. It is split
//     into words at each joiner and at case changes: before an upper-case
//     letter that follows a lower-case (or uncased) letter or a digit
//     ("flexible|Column", "HTML5|Repository"), and before the last capital
//     of a run of capitals followed by a lower-case letter ("HTML|Parser")
//     unless that would leave a one-letter word ("ODataModel" ->
//     odata|model). Letter/digit changes alone do not split ("sapui5", "v4").
//     Words are lower-cased and cut to 64 code points. So
//     "FlexibleColumnLayout", "flexible_column_layout" and "flexible column
//     layout" give the same words, hence the same vector.
//     Only the first 8192 words are read (like the input limit of a neural
//     model; with step 5 they would weigh under 1.3% each anyway). This bounds
//     time and memory for huge values.
//  4. Stopwords. A small fixed English list (kStopwords in the .cpp: a, an,
//     and, the, of, to, ... 60 words) is dropped, unless every word of the
//     text is a stopword (then nothing is dropped, so "to be or not to be"
//     still has a vector). Dropped words keep their place in the count of
//     positions (step 5).
//  5. Position weight. The word at 0-based position p weighs
//     r(p) = 100 / (100 + p): the first words of a text count most (1 at the
//     start, 1/2 at word 100, 1/11 at word 1000). Documents tend to state
//     their subject first, and a single vector for a long text otherwise
//     drowns its subject among thousands of features; see eval_fiori for the
//     trade-off (it helps title-like queries a lot and costs a little for
//     queries quoting the middle of long texts).
//  6. Features, in three families, each occurrence with its weight r(p):
//       U  word unigrams: every kept word;
//       B  word bigrams: consecutive kept words, in text order (across a
//          dropped stopword; weight r of the second word);
//       C  character n-grams, n = 3, 4, 5 code points, of each kept word
//          framed as "<word>" ("<ab" marks a word start, "ab>" an end), each
//          with the weight of its word's occurrences.
//  7. Hashing. A word's 64-bit key is kU(w) = fmix64(FNV-1a-64(w)), an
//     n-gram's kC(g) = fmix64(FNV-1a-64(g)), a bigram's
//     fmix64(kU(w1) XOR rotl64(kU(w2), 29) XOR 0x42). FNV-1a-64 runs over the
//     lower-cased UTF-8 bytes with prime 0x100000001b3 from the offset basis
//     0xcbf29ce484222325 XOR a family seed (U: 0x55, C: 0x43); fmix64 is
//     MurmurHash3's 64-bit finaliser. Dimension of a key:
//     ((key >> 32) * dimensions) >> 32; sign: + when bit 0 of the key is 0,
//     - otherwise (signed hashing: collisions cancel on average instead of
//     adding a bias).
//  8. Weighting. Per family, the weights of equal keys are summed into tf
//     and made sublinear: g(tf) = tf for tf <= 1, 1 + ln tf above. Each
//     family is scaled to norm W_f before hashing: a feature adds
//     sign * W_f * g(tf) / sqrt(sum over the family of g^2) to its dimension.
//     W_U = 1.0, W_B = 0.6, W_C = 0.8, so the cosine of two texts is, up to
//     hash collisions, the mean of the three families' cosines weighted by
//     W_f^2 (a family a text lacks counts as 0). Family scaling keeps the
//     many n-grams of a long text from drowning its words, and the meaning of
//     the weights independent of text length.
//  9. The sum (double precision) is L2-normalised and rounded to float. A
//     text without words (empty, punctuation only, invalid bytes only) gives
//     the ZERO vector, as does, very rarely, one whose features cancel
//     exactly (in practice only at tiny dimension counts). Cosine with a zero
//     vector is undefined (NaN in this project's kernels): the caller decides
//     whether to store, skip or reject such a text.
//
// Determinism: only IEEE-754 double +, -, *, / and sqrt are used (ln is a
// fixed series, not libm), weights are summed and applied in an order fixed
// by the input (features in order of first occurrence, kept by the
// embedder's own hash table), and nothing depends on the locale, std::hash,
// addresses or standard-library container internals. The .cpp refuses
// -ffast-math and turns off FP contraction for clang; GCC does not contract
// in ISO C++ mode (-std=c++17, as this project builds). The same text
// therefore gives bit-identical vectors on every run and every platform with
// IEEE-754 double arithmetic (x86-64 SSE2, arm64). The unit test pins exact
// output values.
//
// Speed (eval_fiori, one core, 384 dimensions): see src/core/embed/README.md;
// about 15,000 texts/s for 2 KB texts, 5,000 for 8 KB texts.
//
// Thread safety: an embedder is immutable after construction; embed() is
// const and uses per-thread scratch buffers, so one object may be shared.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace rushdb::embed {

// Tunable knobs. The defaults ARE builtin-lexical-v1 (the specification
// above); anything else is for experiments (test/bench/embed/eval_fiori) and
// reports a different model key.
struct LexicalEmbedderConfig {
    double unigram_weight = 1.0;   // W_U
    double bigram_weight = 0.6;    // W_B
    double chargram_weight = 0.8;  // W_C
    int min_ngram = 3;             // character n-gram sizes, in code points
    int max_ngram = 5;
    bool drop_stopwords = true;
    bool split_identifiers = true;    // camelCase splitting ('_' / '-' always split)
    bool identifier_as_word = false;  // also keep a split identifier whole, as one more word
    double position_pivot = 100;      // P: word at position p weighs P/(P+p); 0 = no position weight
    std::size_t max_words = 8192;     // read only the first max_words words; 0 = all

    friend bool operator==(const LexicalEmbedderConfig& a, const LexicalEmbedderConfig& b);
};

class LexicalEmbedder {
public:
    static constexpr const char* kModelKey = "builtin-lexical-v1";
    static constexpr std::size_t kMinDimensions = 1;
    static constexpr std::size_t kMaxDimensions = 16000;
    static constexpr std::size_t kMaxWordCodePoints = 64;
    static constexpr std::size_t kMaxIdentifierCodePoints = 1024;

    // Throws std::invalid_argument unless 1 <= dimensions <= 16000.
    explicit LexicalEmbedder(std::size_t dimensions);
    // For experiments; also throws std::invalid_argument for a bad n-gram
    // range (need 1 <= min_ngram <= max_ngram <= 8) or a negative or
    // non-finite weight or pivot.
    LexicalEmbedder(std::size_t dimensions, const LexicalEmbedderConfig& config);

    std::size_t dimensions() const noexcept { return dimensions_; }
    const LexicalEmbedderConfig& config() const noexcept { return config_; }
    // "builtin-lexical-v1" for the default configuration,
    // "builtin-lexical-v1+custom" otherwise (vectors are not comparable).
    const char* model_key() const noexcept;
    const char* name() const noexcept { return model_key(); }

    // Writes dimensions() floats to out: unit length, or all zeros for a text
    // without features (see above). Any byte sequence is accepted.
    void embed(std::string_view text, float* out) const;
    std::vector<float> embed(std::string_view text) const;

private:
    std::size_t dimensions_;
    LexicalEmbedderConfig config_;
};

// Pieces of the pipeline, exposed for tests and tools.
namespace lexical_detail {

// Lower-cased words of `text` in order, as steps 1-3 above produce them
// (with the default configuration); stopwords are not removed.
std::vector<std::string> words(std::string_view text);
// Step 2 on one code point.
char32_t to_lower(char32_t cp) noexcept;
// fmix64(FNV-1a-64 over bytes from offset basis XOR seed), step 7.
unsigned long long feature_hash(unsigned long long seed, std::string_view bytes) noexcept;

}  // namespace lexical_detail

}  // namespace rushdb::embed

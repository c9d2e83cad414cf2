// builtin-lexical-v1: pinned output, normalisation, zero vectors,
// tokenisation (camelCase, snake/kebab, UTF-8 lower-casing), similarity
// ordering, dimension limits, robustness on arbitrary bytes, thread safety.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "embed/lexical_embedder.hpp"

using namespace rushdb::embed;
using rushdb::embed::lexical_detail::words;

namespace {

double dot(const std::vector<float>& a, const std::vector<float>& b) {
    double s = 0;
    for (std::size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * b[i];
    return s;
}

double norm(const std::vector<float>& a) { return std::sqrt(dot(a, a)); }

bool all_zero(const std::vector<float>& a) {
    for (float x : a)
        if (x != 0.0f) return false;
    return true;
}

bool all_finite(const std::vector<float>& a) {
    for (float x : a)
        if (!std::isfinite(x)) return false;
    return true;
}

std::uint64_t fmix64(std::uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

using Words = std::vector<std::string>;

}  // namespace

// ------------------------------------------------------------ construction --

TEST(LexicalEmbedder, ModelKeyAndDimensionLimits) {
    EXPECT_STREQ(LexicalEmbedder::kModelKey, "builtin-lexical-v1");
    EXPECT_STREQ(LexicalEmbedder(384).model_key(), "builtin-lexical-v1");
    EXPECT_STREQ(LexicalEmbedder(384).name(), "builtin-lexical-v1");
    EXPECT_EQ(LexicalEmbedder(384).dimensions(), 384u);
    EXPECT_THROW(LexicalEmbedder(0), std::invalid_argument);
    EXPECT_THROW(LexicalEmbedder(16001), std::invalid_argument);
    EXPECT_NO_THROW(LexicalEmbedder(1));
    EXPECT_NO_THROW(LexicalEmbedder(16000));

    LexicalEmbedderConfig custom;
    custom.bigram_weight = 0.5;
    EXPECT_STREQ(LexicalEmbedder(384, custom).model_key(), "builtin-lexical-v1+custom");
    EXPECT_STREQ(LexicalEmbedder(384, LexicalEmbedderConfig{}).model_key(), "builtin-lexical-v1");
}

TEST(LexicalEmbedder, RejectsBadConfig) {
    LexicalEmbedderConfig c;
    c.min_ngram = 0;
    EXPECT_THROW(LexicalEmbedder(8, c), std::invalid_argument);
    c = {};
    c.min_ngram = 5;
    c.max_ngram = 4;
    EXPECT_THROW(LexicalEmbedder(8, c), std::invalid_argument);
    c = {};
    c.max_ngram = 9;
    EXPECT_THROW(LexicalEmbedder(8, c), std::invalid_argument);
    c = {};
    c.unigram_weight = -1;
    EXPECT_THROW(LexicalEmbedder(8, c), std::invalid_argument);
    c = {};
    c.chargram_weight = std::nan("");
    EXPECT_THROW(LexicalEmbedder(8, c), std::invalid_argument);
    c = {};
    c.position_pivot = INFINITY;
    EXPECT_THROW(LexicalEmbedder(8, c), std::invalid_argument);
}

// ------------------------------------------------------------ determinism --

// The documented pipeline pins these exact floats (they were also reproduced
// by an independent re-implementation of the specification in the header).
// A change here means the model changed: it needs a new model key.
TEST(LexicalEmbedder, PinnedValues16Dims) {
    const LexicalEmbedder e(16);
    const std::vector<float> hello = {-0.123315953f, 0.0f,          0.249098226f,  -0.124549113f,
                                      -0.123315953f, 0.0f,          0.0f,          0.123315953f,
                                      0.410657763f,  0.123315953f,  -0.124549113f, -0.124549113f,
                                      0.0f,          -0.124549113f, 0.455362827f,  0.662629426f};
    const std::vector<float> flexible = {-0.145733222f, 0.00273572933f, -0.372682989f, 0.0732255578f,
                                         0.60348922f,   0.146451116f,   0.0724933073f, -0.219691038f,
                                         0.14646548f,   0.221141189f,   -0.145733222f, 0.0739578158f,
                                         -0.304611862f, -0.0725076646f, 0.441550136f,  0.0725076646f};
    const auto a = e.embed("hello world");
    const auto b = e.embed("FlexibleColumnLayout");
    ASSERT_EQ(a.size(), 16u);
    ASSERT_EQ(b.size(), 16u);
    for (std::size_t i = 0; i < 16; ++i) {
        EXPECT_EQ(a[i], hello[i]) << "hello world, dimension " << i;
        EXPECT_EQ(b[i], flexible[i]) << "FlexibleColumnLayout, dimension " << i;
    }
}

TEST(LexicalEmbedder, FeatureHashIsFnv1aThenFmix64) {
    // Published FNV-1a 64 values: "" -> offset basis, "a" -> 0xaf63dc4c8601ec8c.
    EXPECT_EQ(lexical_detail::feature_hash(0, ""), fmix64(0xcbf29ce484222325ULL));
    EXPECT_EQ(lexical_detail::feature_hash(0, "a"), fmix64(0xaf63dc4c8601ec8cULL));
    EXPECT_NE(lexical_detail::feature_hash(0x55, "a"), lexical_detail::feature_hash(0x43, "a"));
}

TEST(LexicalEmbedder, SameOutputAcrossCallsAndInstances) {
    const std::string text = "Deploying an SAP Fiori application to Cloud Foundry with the HTML5 Repository";
    const auto a = LexicalEmbedder(384).embed(text);
    const LexicalEmbedder e(384);
    for (int i = 0; i < 3; ++i) {
        e.embed("something else entirely, to dirty the scratch buffers");
        EXPECT_EQ(e.embed(text), a);
    }
}

TEST(LexicalEmbedder, WritesExactlyDimensionsFloats) {
    const LexicalEmbedder e(7);
    std::vector<float> buf(9, 42.0f);
    e.embed("some words here", buf.data() + 1);
    EXPECT_EQ(buf[0], 42.0f);
    EXPECT_EQ(buf[8], 42.0f);
    std::vector<float> inner(buf.begin() + 1, buf.begin() + 8);
    EXPECT_EQ(inner, e.embed("some words here"));
}

TEST(LexicalEmbedder, ThreadSafeConstEmbed) {
    const LexicalEmbedder e(256);
    std::vector<std::string> texts;
    for (int i = 0; i < 64; ++i)
        texts.push_back("record " + std::to_string(i) + " camelCaseWord text_" + std::to_string(i * 7) +
                        std::string(static_cast<std::size_t>(i) * 13, 'x'));
    std::vector<std::vector<float>> expected;
    for (const auto& t : texts) expected.push_back(e.embed(t));

    std::vector<int> mismatches(4, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int round = 0; round < 20; ++round)
                for (std::size_t i = 0; i < texts.size(); ++i)
                    if (e.embed(texts[(i + t) % texts.size()]) != expected[(i + t) % texts.size()]) ++mismatches[t];
        });
    for (auto& th : threads) th.join();
    for (int m : mismatches) EXPECT_EQ(m, 0);
}

// -------------------------------------------------- norm and zero vectors --

TEST(LexicalEmbedder, UnitNorm) {
    const LexicalEmbedder e(384);
    for (const char* t : {"a", "x", "hello", "Hello, World!", "FlexibleColumnLayout", "to be or not to be",
                          "Ünïcödé ωορδ слово 漢字", "12345", "snake_case_identifier and more words"}) {
        const auto v = e.embed(t);
        EXPECT_NEAR(norm(v), 1.0, 1e-5) << t;
    }
    std::string longtext;
    for (int i = 0; i < 20000; ++i) longtext += "word" + std::to_string(i % 997) + " ";
    EXPECT_NEAR(norm(e.embed(longtext)), 1.0, 1e-5);
}

TEST(LexicalEmbedder, ZeroVectorWithoutWords) {
    const LexicalEmbedder e(64);
    for (std::string t :
         {std::string(), std::string("   \t\n"), std::string("!!! ... --- ___ ???"), std::string("\xff\xfe\x80\xc0"),
          std::string("\xe2\x80\x94 \xe2\x80\x9c\xe2\x80\x9d"), std::string("\xf0\x9f\x98\x80\xf0\x9f\x8e\x89")}) {
        const auto v = e.embed(t);
        ASSERT_EQ(v.size(), 64u);
        EXPECT_TRUE(all_zero(v)) << "text of " << t.size() << " bytes";
    }
}

TEST(LexicalEmbedder, OnlyStopwordsStillEmbed) {
    const LexicalEmbedder e(64);
    EXPECT_NEAR(norm(e.embed("to be or not to be")), 1.0, 1e-5);
    EXPECT_NEAR(norm(e.embed("the")), 1.0, 1e-5);
    // Stopwords next to content are dropped (they still count as positions):
    // other stopwords in the same places give the same vector.
    EXPECT_EQ(e.embed("the deployment of the application"), e.embed("a deployment to an application"));
    EXPECT_NE(e.embed("the deployment of the application"), e.embed("deployment application"));
}

// ------------------------------------------------------------ tokenisation --

TEST(LexicalEmbedderWords, SplitsIdentifiers) {
    EXPECT_EQ(words("FlexibleColumnLayout"), (Words{"flexible", "column", "layout"}));
    EXPECT_EQ(words("flexible_column_layout"), (Words{"flexible", "column", "layout"}));
    EXPECT_EQ(words("flexible-column-layout"), (Words{"flexible", "column", "layout"}));
    EXPECT_EQ(words("HTMLParser"), (Words{"html", "parser"}));
    EXPECT_EQ(words("ODataModel"), (Words{"odata", "model"}));
    EXPECT_EQ(words("HTML5Repository"), (Words{"html5", "repository"}));
    EXPECT_EQ(words("sapui5 v4 SAPUI5"), (Words{"sapui5", "v4", "sapui5"}));
    EXPECT_EQ(words("getX"), (Words{"get", "x"}));
    EXPECT_EQ(words("ui5-deploy.yaml"), (Words{"ui5", "deploy", "yaml"}));
    EXPECT_EQ(words("sap.fe.macros.Table"), (Words{"sap", "fe", "macros", "table"}));
    EXPECT_EQ(words("__init__ a--b -x-"), (Words{"init", "a", "b", "x"}));
    EXPECT_EQ(words("don't stop"), (Words{"don", "t", "stop"}));
}

TEST(LexicalEmbedderWords, LowerCasesUtf8) {
    EXPECT_EQ(words("ÀÉÎÕÜ Straße ÆØÅ"), (Words{"àéîõü", "straße", "æøå"}));
    EXPECT_EQ(words("İSTANBUL Łódź ŸES"), (Words{"istanbul", "łódź", "ÿes"}));
    EXPECT_EQ(words("ΑΘΗΝΑ Ώρα МОСКВА Ёлка"), (Words{"αθηνα", "ώρα", "москва", "ёлка"}));
    // Uncased scripts are kept; an upper-case letter after them starts a word.
    EXPECT_EQ(words("漢字Abc"), (Words{"漢字", "abc"}));
    // Separators outside ASCII: multiplication sign, em dash, middle dot, emoji.
    EXPECT_EQ(words("a×b c—d e·f g😀h"), (Words{"a", "b", "c", "d", "e", "f", "g", "h"}));
    EXPECT_EQ(lexical_detail::to_lower(U'Z'), U'z');
    EXPECT_EQ(lexical_detail::to_lower(U'\u00D7'), U'\u00D7');  // ×
    EXPECT_EQ(lexical_detail::to_lower(U'\u00DE'), U'\u00FE');  // Þ
    EXPECT_EQ(lexical_detail::to_lower(U'\u0100'), U'\u0101');  // Ā
    EXPECT_EQ(lexical_detail::to_lower(U'\u0141'), U'\u0142');  // Ł
    EXPECT_EQ(lexical_detail::to_lower(U'\u0131'), U'\u0131');  // ı stays
    EXPECT_EQ(lexical_detail::to_lower(U'\u03A3'), U'\u03C3');  // Σ
    EXPECT_EQ(lexical_detail::to_lower(U'\u0401'), U'\u0451');  // Ё
    EXPECT_EQ(lexical_detail::to_lower(U'\u4E00'), U'\u4E00');
}

TEST(LexicalEmbedderWords, InvalidBytesSeparateWords) {
    EXPECT_EQ(words("ab\xff"
                    "cd"),
              (Words{"ab", "cd"}));
    EXPECT_EQ(words("ab\xc3"), (Words{"ab"}));                  // truncated sequence at the end
    EXPECT_EQ(words("x\xc0\xafy"), (Words{"x", "y"}));          // overlong '/'
    EXPECT_EQ(words("x\xed\xa0\x80y"), (Words{"x", "y"}));      // encoded surrogate
    EXPECT_EQ(words("x\xf4\x90\x80\x80y"), (Words{"x", "y"}));  // above U+10FFFF
    EXPECT_EQ(words("caf\xc3\xa9"), (Words{"caf\xc3\xa9"}));    // valid é stays in the word
}

TEST(LexicalEmbedderWords, LongWordsAndIdentifiersAreCut) {
    const std::string w(200, 'q');
    const auto ws = words(w);
    ASSERT_EQ(ws.size(), 1u);
    EXPECT_EQ(ws[0], std::string(LexicalEmbedder::kMaxWordCodePoints, 'q'));
    // Only the first 1024 code points of an identifier are read.
    std::string ident;
    for (int i = 0; i < 1000; ++i) ident += "Ab";
    EXPECT_EQ(words(ident).size(), LexicalEmbedder::kMaxIdentifierCodePoints / 2);
}

// -------------------------------------------------------------- similarity --

TEST(LexicalEmbedder, SimilarTextsAreCloserThanUnrelated) {
    const LexicalEmbedder e(384);
    const auto q = e.embed("deploy an SAP Fiori application to Cloud Foundry");
    const auto similar = e.embed("Deploying Fiori applications to the Cloud Foundry environment");
    const auto unrelated = e.embed("The weather in Paris is sunny with a light breeze today");
    EXPECT_GT(dot(q, similar), 0.4);
    EXPECT_GT(dot(q, similar), dot(q, unrelated) + 0.3);
    // Morphological variants share character n-grams.
    EXPECT_GT(dot(e.embed("deployment"), e.embed("deploying")), dot(e.embed("deployment"), e.embed("breeze")) + 0.2);
}

TEST(LexicalEmbedder, CamelCaseMatchesSpacedWords) {
    const LexicalEmbedder e(384);
    const auto camel = e.embed("FlexibleColumnLayout");
    EXPECT_NEAR(dot(camel, e.embed("flexible column layout")), 1.0, 1e-5);
    EXPECT_NEAR(dot(camel, e.embed("flexible_column_layout")), 1.0, 1e-5);
    const auto unsplit = LexicalEmbedder(384,
                                         [] {
                                             LexicalEmbedderConfig c;
                                             c.split_identifiers = false;
                                             return c;
                                         }())
                             .embed("FlexibleColumnLayout");
    EXPECT_GT(dot(camel, e.embed("flexible column layout")), dot(unsplit, e.embed("flexible column layout")) + 0.3);
    EXPECT_GT(dot(e.embed("Configure the FlexibleColumnLayout of the app"), e.embed("flexible column layout")),
              dot(e.embed("Configure the dynamic page header of the app"), e.embed("flexible column layout")) + 0.3);
}

TEST(LexicalEmbedder, EarlyWordsWeighMore) {
    const LexicalEmbedder e(1024);
    std::string filler;
    for (int i = 0; i < 400; ++i) filler += "filler" + std::to_string(i) + " ";
    const auto q = e.embed("kubernetes");
    EXPECT_GT(dot(q, e.embed("kubernetes " + filler)), dot(q, e.embed(filler + "kubernetes")) + 0.05);
}

TEST(LexicalEmbedder, ReadsOnlyTheFirst8192Words) {
    const LexicalEmbedder e(128);
    std::string head;
    for (int i = 0; i < 8192; ++i) head += "w" + std::to_string(i % 500) + " ";
    EXPECT_EQ(e.embed(head + "tail words that are never read"), e.embed(head));
    EXPECT_NE(e.embed(head.substr(0, head.size() - 6) + " other"), e.embed(head));
}

// -------------------------------------------------------------- dimensions --

TEST(LexicalEmbedder, OneDimension) {
    const LexicalEmbedder e(1);
    for (const char* t : {"hello", "hello world", "FlexibleColumnLayout", "a b c d e f g"}) {
        const auto v = e.embed(t);
        ASSERT_EQ(v.size(), 1u);
        EXPECT_TRUE(v[0] == 1.0f || v[0] == -1.0f || v[0] == 0.0f) << t << ": " << v[0];
    }
    EXPECT_EQ(e.embed("")[0], 0.0f);
}

TEST(LexicalEmbedder, SixteenThousandDimensions) {
    const LexicalEmbedder e(16000);
    const auto v = e.embed("Managed embeddings with a large dimension count: FlexibleColumnLayout, ODataModel.");
    ASSERT_EQ(v.size(), 16000u);
    EXPECT_NEAR(norm(v), 1.0, 1e-5);
    std::size_t nonzero = 0;
    for (float x : v) nonzero += x != 0.0f;
    EXPECT_GT(nonzero, 50u);  // features spread, few collisions
}

// ------------------------------------------------------------- robustness --

TEST(LexicalEmbedder, MultibyteAndInvalidUtf8NeverCrash) {
    const LexicalEmbedder e(96);
    const std::vector<std::string> samples = {
        "naïve café résumé",
        "Ωmega ΣΙΣΥΦΟΣ",
        "Привет, мир!",
        "日本語のテキスト",
        "emoji 😀🎉 mixed",
        "\xc3",
        "\xe2\x82",
        "\xf0\x9f\x98",
        "\x80\x80\x80",
        std::string("a\0b", 3),
        "\xef\xbb\xbftext with BOM",
        std::string(5000, '\xff'),
        std::string("x\0y", 3),
    };
    for (const auto& s : samples) {
        const auto v = e.embed(s);
        ASSERT_EQ(v.size(), 96u);
        EXPECT_TRUE(all_finite(v));
        const double n = norm(v);
        EXPECT_TRUE(n == 0.0 || std::fabs(n - 1.0) < 1e-5) << n;
    }
}

TEST(LexicalEmbedder, RandomBytesFuzz) {
    const LexicalEmbedder e(48);
    std::mt19937_64 rng(20240611);
    const std::string alphabet = "aZ_-. 09\xc3\xa9\xe2\x80\x94\xf0\x9f\x98\x80\xce\xa9";
    for (int iter = 0; iter < 3000; ++iter) {
        const std::size_t len = rng() % 300;
        std::string s(len, '\0');
        const int mode = iter % 3;
        for (auto& c : s) {
            if (mode == 0)
                c = static_cast<char>(rng() & 0xFF);  // any byte
            else if (mode == 1)
                c = static_cast<char>(0x80 | (rng() & 0x7F));  // high bytes only
            else
                c = alphabet[rng() % alphabet.size()];  // pieces of valid UTF-8
        }
        const auto v = e.embed(s);
        ASSERT_EQ(v.size(), 48u);
        ASSERT_TRUE(all_finite(v)) << "iteration " << iter;
        const double n = norm(v);
        ASSERT_TRUE(n == 0.0 || std::fabs(n - 1.0) < 1e-5) << "iteration " << iter << " norm " << n;
        ASSERT_EQ(v, e.embed(s)) << "iteration " << iter;
    }
}

// Retrieval quality and speed of the built-in lexical embedder
// (builtin-lexical-v1) on the SAP Fiori documentation chunks.
//
// Task 1: every chunk's own title is a query; a hit@k is when that chunk
// ranks in the top k of all 778 chunks by cosine similarity. Documents are
// embedded three ways:
//   title+text    "<title>\n<text>" (what a caller embedding both would do)
//   text          the chunk text as stored (most texts repeat the title in a
//                 "**TITLE**: ..." first line, which makes this easier)
//   text-notitle  the text without that "**TITLE**:" line: the harder, more
//                 honest case, the title words must be found in the body
// Task 2: a line from the second half of each chunk (6..60 words, not a code
// fence) is the query, documents are title+text. It checks that weighting
// the beginning of a text does not make the rest of it unsearchable.
// Ranks are pessimistic for ties (an equal score of another chunk counts as
// ahead). Two chunks sharing a title compete for the same query.
//
// Throughput, one thread: all texts cut into pieces of at most 2048 bytes
// (at UTF-8 boundaries; pieces under 1024 bytes dropped), the whole chunks
// (778 texts, 6.2 MB; MB/s counts every input byte, also those beyond the
// 8192-word limit) and the titles, each timed over >= 1 s of repeated passes.
//
// Usage (from the repository root, after building target eval_fiori):
//   build/cmake/eval_fiori [--data test/bench/data/.cache/fiori.jsonl]
//       [--dims 384] [--sweep] [--no-speed]
//       [--uw 1.0] [--bw 0.6] [--cw 0.8] [--min-n 3] [--max-n 5]
//       [--pivot 100] [--max-words 8192] [--no-stop] [--no-split] [--whole]
// The weight options build a custom configuration (model key
// builtin-lexical-v1+custom). --sweep evaluates a fixed list of variants of
// v1 (what was tried when its settings were chosen) instead of one.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "embed/lexical_embedder.hpp"
#include "json/json_value.hpp"

using rushdb::embed::LexicalEmbedder;
using rushdb::embed::LexicalEmbedderConfig;
using Clock = std::chrono::steady_clock;

namespace {

struct Chunk {
    std::string title;
    std::string text;
};

std::vector<Chunk> load(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "eval_fiori: cannot open %s (run test/bench/data/fetch_fiori.sh)\n", path.c_str());
        std::exit(2);
    }
    std::vector<Chunk> out;
    std::string line;
    std::size_t lineno = 0;
    while (std::getline(in, line)) {
        ++lineno;
        if (line.empty()) continue;
        try {
            const auto v = rushdb::json::parse_json(line);
            const auto* title = v.find("title");
            const auto* text = v.find("text");
            if (!title || !text || !title->is_string() || !text->is_string())
                throw std::runtime_error("missing string \"title\" or \"text\"");
            out.push_back(Chunk{title->as_string(), text->as_string()});
        } catch (const std::exception& e) {
            std::fprintf(stderr, "eval_fiori: %s line %zu: %s\n", path.c_str(), lineno, e.what());
            std::exit(2);
        }
    }
    return out;
}

// The text without its "**TITLE**: ..." line (if any).
std::string strip_title_line(const std::string& text) {
    const std::string marker = "**TITLE**:";
    const std::size_t at = text.find(marker);
    if (at == std::string::npos || at > 16) return text;
    const std::size_t eol = text.find('\n', at);
    return eol == std::string::npos ? std::string() : text.substr(0, at) + text.substr(eol + 1);
}

// A line from the second half of the text (the first one starting at or
// after the middle with 6..60 words and no code fence), or "" if none: a
// query about content deep inside the chunk, to check that weighting the
// beginning of a text does not make its body unsearchable.
std::string middle_line(const std::string& text) {
    std::size_t at = text.find('\n', text.size() / 2);
    while (at != std::string::npos && at < text.size()) {
        const std::size_t begin = at + 1;
        std::size_t end = text.find('\n', begin);
        if (end == std::string::npos) end = text.size();
        const std::string line = text.substr(begin, end - begin);
        std::size_t words = 0;
        bool in_word = false;
        for (char ch : line) {
            const bool w = ch != ' ' && ch != '\t';
            words += w && !in_word;
            in_word = w;
        }
        if (words >= 6 && words <= 60 && line.find("```") == std::string::npos) return line;
        at = end;
    }
    return std::string();
}

std::vector<float> embed_all(const LexicalEmbedder& e, const std::vector<std::string>& texts) {
    const std::size_t d = e.dimensions();
    std::vector<float> m(texts.size() * d);
    for (std::size_t i = 0; i < texts.size(); ++i) e.embed(texts[i], m.data() + i * d);
    return m;
}

struct Hits {
    double top1 = 0, top5 = 0, top10 = 0, mrr = 0;
};

// Vectors are unit length (or zero), so cosine = dot product.
// Query i is about document i; only queries with use[i] count.
Hits evaluate(const std::vector<float>& queries, const std::vector<float>& docs, std::size_t n, std::size_t d,
              const std::vector<bool>& use) {
    Hits h;
    std::vector<double> score(n);
    std::size_t used = 0;
    for (std::size_t q = 0; q < n; ++q) {
        if (!use[q]) continue;
        ++used;
        const float* qv = &queries[q * d];
        for (std::size_t j = 0; j < n; ++j) {
            const float* dv = &docs[j * d];
            double s = 0;
            for (std::size_t k = 0; k < d; ++k) s += static_cast<double>(qv[k]) * dv[k];
            score[j] = s;
        }
        std::size_t rank = 1;
        for (std::size_t j = 0; j < n; ++j)
            if (j != q && score[j] >= score[q]) ++rank;
        h.top1 += rank <= 1;
        h.top5 += rank <= 5;
        h.top10 += rank <= 10;
        h.mrr += 1.0 / static_cast<double>(rank);
    }
    used = std::max<std::size_t>(used, 1);
    h.top1 /= used;
    h.top5 /= used;
    h.top10 /= used;
    h.mrr /= used;
    return h;
}

// Pieces of at most `max_bytes`, cut at UTF-8 boundaries; short tails dropped.
std::vector<std::string> pieces(const std::vector<Chunk>& chunks, std::size_t max_bytes) {
    std::vector<std::string> out;
    for (const auto& c : chunks) {
        const std::string& t = c.text;
        std::size_t at = 0;
        while (at < t.size()) {
            std::size_t end = std::min(t.size(), at + max_bytes);
            while (end < t.size() && end > at && (static_cast<unsigned char>(t[end]) & 0xC0) == 0x80) --end;
            if (end - at >= max_bytes / 2) out.push_back(t.substr(at, end - at));
            at = end;
        }
    }
    return out;
}

struct Speed {
    double texts_per_s;
    double mb_per_s;
};

Speed throughput(const LexicalEmbedder& e, const std::vector<std::string>& texts) {
    std::vector<float> out(e.dimensions());
    std::size_t bytes = 0;
    for (const auto& t : texts) bytes += t.size();
    for (const auto& t : texts) e.embed(t, out.data());  // warm-up
    std::size_t passes = 0;
    const auto start = Clock::now();
    double secs = 0;
    do {
        for (const auto& t : texts) e.embed(t, out.data());
        ++passes;
        secs = std::chrono::duration<double>(Clock::now() - start).count();
    } while (secs < 1.0);
    return Speed{static_cast<double>(passes * texts.size()) / secs, static_cast<double>(passes * bytes) / secs / 1e6};
}

struct Named {
    const char* name;
    LexicalEmbedderConfig cfg;
};

// The v1 configuration with one change.
template <typename F>
Named variant(const char* name, F change) {
    LexicalEmbedderConfig c;
    change(c);
    return Named{name, c};
}

std::vector<Named> sweep_configs() {
    using C = LexicalEmbedderConfig;
    std::vector<Named> v;
    v.push_back(Named{"v1 default", C{}});
    v.push_back(variant("no position weight", [](C& c) { c.position_pivot = 0; }));
    v.push_back(variant("position pivot 30", [](C& c) { c.position_pivot = 30; }));
    v.push_back(variant("position pivot 50", [](C& c) { c.position_pivot = 50; }));
    v.push_back(variant("position pivot 200", [](C& c) { c.position_pivot = 200; }));
    v.push_back(variant("position pivot 300", [](C& c) { c.position_pivot = 300; }));
    v.push_back(variant("unigrams only", [](C& c) { c.bigram_weight = c.chargram_weight = 0; }));
    v.push_back(variant("char n-grams only", [](C& c) { c.unigram_weight = c.bigram_weight = 0; }));
    v.push_back(variant("no bigrams", [](C& c) { c.bigram_weight = 0; }));
    v.push_back(variant("no char n-grams", [](C& c) { c.chargram_weight = 0; }));
    v.push_back(variant("bigram weight 0.3", [](C& c) { c.bigram_weight = 0.3; }));
    v.push_back(variant("bigram weight 1.0", [](C& c) { c.bigram_weight = 1.0; }));
    v.push_back(variant("n-gram weight 0.5", [](C& c) { c.chargram_weight = 0.5; }));
    v.push_back(variant("n-gram weight 1.2", [](C& c) { c.chargram_weight = 1.2; }));
    v.push_back(variant("n-grams 3..4", [](C& c) { c.max_ngram = 4; }));
    v.push_back(variant("n-grams 4..5", [](C& c) { c.min_ngram = 4; }));
    v.push_back(variant("n-grams 2..5", [](C& c) { c.min_ngram = 2; }));
    v.push_back(variant("n-grams 3..6", [](C& c) { c.max_ngram = 6; }));
    v.push_back(variant("keep stopwords", [](C& c) { c.drop_stopwords = false; }));
    v.push_back(variant("no camelCase splitting", [](C& c) { c.split_identifiers = false; }));
    v.push_back(variant("also whole identifier as word", [](C& c) { c.identifier_as_word = true; }));
    v.push_back(variant("first 1024 words only", [](C& c) { c.max_words = 1024; }));
    v.push_back(variant("all words (no 8192 cap)", [](C& c) { c.max_words = 0; }));
    return v;
}

void print_row(const char* name, const char* query, const char* docs, const Hits& h) {
    std::printf("| %-32s | %-11s | %-12s | %6.1f%% | %6.1f%% | %6.1f%% | %6.3f |\n", name, query, docs, 100 * h.top1,
                100 * h.top5, 100 * h.top10, h.mrr);
}

}  // namespace

int main(int argc, char** argv) {
    std::string path = "test/bench/data/.cache/fiori.jsonl";
    std::size_t dims = 384;
    bool sweep = false, speed = true;
    LexicalEmbedderConfig cfg;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> const char* {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "eval_fiori: %s needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--data")
            path = next();
        else if (a == "--dims")
            dims = std::strtoul(next(), nullptr, 10);
        else if (a == "--sweep")
            sweep = true;
        else if (a == "--no-speed")
            speed = false;
        else if (a == "--uw")
            cfg.unigram_weight = std::atof(next());
        else if (a == "--bw")
            cfg.bigram_weight = std::atof(next());
        else if (a == "--cw")
            cfg.chargram_weight = std::atof(next());
        else if (a == "--min-n")
            cfg.min_ngram = std::atoi(next());
        else if (a == "--max-n")
            cfg.max_ngram = std::atoi(next());
        else if (a == "--no-stop")
            cfg.drop_stopwords = false;
        else if (a == "--no-split")
            cfg.split_identifiers = false;
        else if (a == "--whole")
            cfg.identifier_as_word = true;
        else if (a == "--pivot")
            cfg.position_pivot = std::atof(next());
        else if (a == "--max-words")
            cfg.max_words = std::strtoul(next(), nullptr, 10);
        else {
            std::fprintf(stderr, "eval_fiori: unknown option %s (see the comment at the top of eval_fiori.cpp)\n",
                         a.c_str());
            return 2;
        }
    }

    const std::vector<Chunk> chunks = load(path);
    const std::size_t n = chunks.size();
    if (n == 0) {
        std::fprintf(stderr, "eval_fiori: no chunks in %s\n", path.c_str());
        return 2;
    }
    std::vector<std::string> titles, title_text, text, notitle, mid;
    std::vector<bool> all(n, true), has_mid(n, false);
    std::size_t n_mid = 0;
    std::size_t corpus_bytes = 0;
    for (const auto& c : chunks) {
        titles.push_back(c.title);
        title_text.push_back(c.title + "\n" + c.text);
        text.push_back(c.text);
        notitle.push_back(strip_title_line(c.text));
        mid.push_back(middle_line(c.text));
        has_mid[mid.size() - 1] = !mid.back().empty();
        n_mid += !mid.back().empty();
        corpus_bytes += c.text.size();
    }
    std::printf("data: %s, %zu chunks, %.1f MB of text, %zu dimensions\n\n", path.c_str(), n, corpus_bytes / 1e6, dims);

    const std::vector<Named> configs = sweep ? sweep_configs() : std::vector<Named>{Named{"this run", cfg}};

    std::printf(
        "Share of queries whose own chunk ranks in the top k of %zu, and MRR. Queries: the chunk's title\n"
        "(%zu), or a line from the second half of its text (%zu chunks have one).\n\n",
        n, n, n_mid);
    std::printf("| %-32s | %-11s | %-12s | %7s | %7s | %7s | %6s |\n", "configuration", "query", "documents", "top-1",
                "top-5", "top-10", "MRR");
    std::printf("|%s|%s|%s|%s|%s|%s|%s|\n", std::string(34, '-').c_str(), std::string(13, '-').c_str(),
                std::string(14, '-').c_str(), std::string(9, '-').c_str(), std::string(9, '-').c_str(),
                std::string(9, '-').c_str(), std::string(8, '-').c_str());
    for (const auto& c : configs) {
        const LexicalEmbedder e(dims, c.cfg);
        const auto q = embed_all(e, titles);
        const auto docs = embed_all(e, title_text);
        print_row(c.name, "title", "title+text", evaluate(q, docs, n, dims, all));
        print_row(c.name, "title", "text", evaluate(q, embed_all(e, text), n, dims, all));
        print_row(c.name, "title", "text-notitle", evaluate(q, embed_all(e, notitle), n, dims, all));
        print_row(c.name, "middle line", "title+text", evaluate(embed_all(e, mid), docs, n, dims, has_mid));
    }

    if (speed) {
        const LexicalEmbedder e(dims, sweep ? LexicalEmbedderConfig{} : cfg);
        const auto small = pieces(chunks, 2048);
        std::size_t small_bytes = 0;
        for (const auto& s : small) small_bytes += s.size();
        std::printf("\nThroughput, one thread, %s, %zu dimensions\n\n", e.model_key(), dims);
        std::printf("| %-34s | %8s | %10s | %8s |\n", "input", "texts", "texts/s", "MB/s");
        std::printf("|%s|%s|%s|%s|\n", std::string(36, '-').c_str(), std::string(10, '-').c_str(),
                    std::string(12, '-').c_str(), std::string(10, '-').c_str());
        const Speed s2 = throughput(e, small);
        char label[64];
        std::snprintf(label, sizeof label, "2 KB pieces (avg %zu B)",
                      small_bytes / std::max<std::size_t>(1, small.size()));
        std::printf("| %-34s | %8zu | %10.0f | %8.1f |\n", label, small.size(), s2.texts_per_s, s2.mb_per_s);
        const Speed sc = throughput(e, text);
        std::snprintf(label, sizeof label, "whole chunks (avg %zu B)", corpus_bytes / n);
        std::printf("| %-34s | %8zu | %10.0f | %8.1f |\n", label, n, sc.texts_per_s, sc.mb_per_s);
        const Speed st = throughput(e, titles);
        std::printf("| %-34s | %8zu | %10.0f | %8.1f |\n", "titles (queries)", n, st.texts_per_s, st.mb_per_s);
    }
    return 0;
}

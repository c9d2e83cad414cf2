// Library entry: PG_MODULE_MAGIC, GUCs, and the one-time kernel choice.
#include "distance/kernels.hpp"
#include "embed_glue.hpp"
#include "filter_glue.hpp"
#include "hnsw_am.hpp"
#include "pg_prelude.hpp"

extern "C" {
#include "utils/guc.h"

PG_MODULE_MAGIC;

void _PG_init(void);
PG_FUNCTION_INFO_V1(rushdb_simd_info);
}

namespace {

char* g_simd_setting = nullptr;
int g_default_embedding_dimensions = 384;
char* g_default_embedding_model = nullptr;

bool check_simd(char** newval, void** extra, GucSource source) {
    if (*newval == nullptr || std::strcmp(*newval, "auto") == 0) return true;
    for (std::size_t i = 0; i < rushdb::distance::variant_count(); ++i) {
        auto v = rushdb::distance::variant(i);
        if (std::strcmp(v.set->name, *newval) == 0) {
            if (v.supported) return true;
            GUC_check_errdetail("This CPU cannot run the \"%s\" kernels.", *newval);
            return false;
        }
    }
    GUC_check_errdetail(
        "Unknown kernel set \"%s\"; use auto, scalar, sse2, avx2+fma, avx512f or neon (as the CPU allows).", *newval);
    return false;
}

void assign_simd(const char* newval, void* extra) { rushdb::distance::select_by_name(newval ? newval : "auto"); }

}  // namespace

void _PG_init(void) {
    (void)rushdb::distance::active();  // resolve the best kernel set once, at load
    DefineCustomStringVariable("rushdb.simd",
                               "Distance kernel instruction set: auto, scalar, sse2, avx2+fma, avx512f or neon.",
                               "For testing and benchmarking; auto picks the best set the CPU supports.",
                               &g_simd_setting, "auto", PGC_USERSET, 0, check_simd, assign_simd, nullptr);
    rushdb::pg::hnsw::register_settings();
    DefineCustomIntVariable("rushdb.default_embedding_dimensions",
                            "Dimensions of a managed embedding index created without \"dimensions\".", nullptr,
                            &g_default_embedding_dimensions, 384, 1, 16000, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    DefineCustomStringVariable(
        "rushdb.default_embedding_model", "Model key of a managed embedding index created without \"modelKey\".",
        nullptr, &g_default_embedding_model, "builtin-lexical-v1", PGC_USERSET, 0, nullptr, nullptr, nullptr);
    rushdb::pg::embed::register_settings();
    rushdb::pg::register_search_settings();
    MarkGUCPrefixReserved("rushdb");
    rushdb::pg::embed::register_launcher();
}

// The active kernel set, for EXPLAIN-style introspection and tests.
extern "C" Datum rushdb_simd_info(PG_FUNCTION_ARGS) {
    PG_RETURN_TEXT_P(cstring_to_text(rushdb::distance::active().name));
}

// rushdb.embed_text(text, dimensions, model_key): server-side embedding with
// a built-in provider. Today only builtin-lexical-v1 (src/core/embed), the
// offline lexical embedder; the managed-index backfill and text-query search
// build on this.
#include <cstring>

#include "boundary.hpp"
#include "embed/lexical_embedder.hpp"
#include "pg_prelude.hpp"
#include "vector_type.hpp"

using namespace rushdb::pg;

extern "C" {

PG_FUNCTION_INFO_V1(rushdb_embed_text);

Datum rushdb_embed_text(PG_FUNCTION_ARGS) {
    text* input = PG_GETARG_TEXT_PP(0);
    int32 dims = PG_GETARG_INT32(1);
    char* model = text_to_cstring(PG_GETARG_TEXT_PP(2));
    if (dims < 1 || dims > kMaxDims)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("dimensions must be between 1 and %d, not %d", kMaxDims, dims)));
    if (strcmp(model, "builtin-lexical-v1") != 0)
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                        errmsg("unknown embedding model \"%s\"", model),
                        errhint("The built-in model is builtin-lexical-v1.")));
    Vector* v = new_vector(dims);
    const char* data = VARDATA_ANY(input);
    std::size_t len = VARSIZE_ANY_EXHDR(input);
    float* out = v->x;
    guarded([&] {
        rushdb::embed::LexicalEmbedder embedder(static_cast<std::size_t>(dims));
        embedder.embed(std::string_view(data, len), out);
    });
    RUSHDB_RETURN_VECTOR(v);
}

}  // extern "C"

// How the SQL API reports bad input: rushdb_internal.raise_bad (one clear
// error, without the CONTEXT lines of every PL/pgSQL frame it passed
// through) and rushdb_internal.check_keys (unknown JSON keys are errors
// that name the key, the accepted ones and a near miss).
#include <string>
#include <vector>

#include "boundary.hpp"
#include "pg_prelude.hpp"
#include "text/near_miss.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/jsonb.h"
#include "lib/stringinfo.h"
}

using namespace rushdb::pg;

namespace {

// The SQLSTATE text ("22023") as PostgreSQL's packed code; anything that is
// not five digits or upper-case letters is a bug in the caller.
int sqlstate_of(const char* code) {
    if (std::strlen(code) != 5) return ERRCODE_INTERNAL_ERROR;
    for (int i = 0; i < 5; ++i)
        if (!((code[i] >= '0' && code[i] <= '9') || (code[i] >= 'A' && code[i] <= 'Z'))) return ERRCODE_INTERNAL_ERROR;
    return MAKE_SQLSTATE(code[0], code[1], code[2], code[3], code[4]);
}

// Raises with no error context: the callbacks of the PL/pgSQL frames below
// would each add a line ("PL/pgSQL function ... line N at PERFORM") that
// tells the user about our internals, not about her call. PG_TRY blocks
// further up restore the stack when they catch.
[[noreturn]] void raise_without_context(int sqlstate, const char* msg, const char* detail, const char* hint) {
    error_context_stack = nullptr;
    ereport(ERROR, (errcode(sqlstate), errmsg("%s", msg), detail ? errdetail("%s", detail) : 0,
                    hint ? errhint("%s", hint) : 0));
    pg_unreachable();
}

}  // namespace

extern "C" {

PG_FUNCTION_INFO_V1(rushdb_raise_bad);
PG_FUNCTION_INFO_V1(rushdb_check_keys);

// raise_bad(msg, detail, code, hint)
Datum rushdb_raise_bad(PG_FUNCTION_ARGS) {
    const char* msg = PG_ARGISNULL(0) ? "invalid argument" : text_to_cstring(PG_GETARG_TEXT_PP(0));
    const char* detail = PG_ARGISNULL(1) ? nullptr : text_to_cstring(PG_GETARG_TEXT_PP(1));
    const char* code = PG_ARGISNULL(2) ? "22023" : text_to_cstring(PG_GETARG_TEXT_PP(2));
    const char* hint = PG_NARGS() > 3 && !PG_ARGISNULL(3) ? text_to_cstring(PG_GETARG_TEXT_PP(3)) : nullptr;
    raise_without_context(sqlstate_of(code), msg, detail, hint);
}

// check_keys(obj jsonb, accepted text[], what text): obj's keys must all be
// in accepted. NULL or a non-object obj passes (the caller checks types).
Datum rushdb_check_keys(PG_FUNCTION_ARGS) {
    if (PG_ARGISNULL(0) || PG_ARGISNULL(1)) PG_RETURN_VOID();
    Jsonb* obj = PG_GETARG_JSONB_P(0);
    if (!JB_ROOT_IS_OBJECT(obj) || JB_ROOT_IS_SCALAR(obj)) PG_RETURN_VOID();
    const char* what = PG_ARGISNULL(2) ? "argument" : text_to_cstring(PG_GETARG_TEXT_PP(2));

    Datum* elems;
    bool* nulls;
    int n;
    deconstruct_array(PG_GETARG_ARRAYTYPE_P(1), TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
    char** accepted = static_cast<char**>(palloc(sizeof(char*) * (n ? n : 1)));
    for (int i = 0; i < n; ++i) accepted[i] = nulls[i] ? pstrdup("") : TextDatumGetCString(elems[i]);

    // Only the top-level keys: iterate without descending into values.
    JsonbIterator* it = JsonbIteratorInit(&obj->root);
    JsonbValue v;
    JsonbIteratorToken token;
    int depth = 0;
    char* unknown = nullptr;
    while ((token = JsonbIteratorNext(&it, &v, false)) != WJB_DONE) {
        if (token == WJB_BEGIN_OBJECT || token == WJB_BEGIN_ARRAY)
            ++depth;
        else if (token == WJB_END_OBJECT || token == WJB_END_ARRAY)
            --depth;
        else if (token == WJB_KEY && depth == 1) {
            bool known = false;
            for (int i = 0; i < n && !known; ++i)
                known = std::strlen(accepted[i]) == static_cast<std::size_t>(v.val.string.len) &&
                        std::memcmp(accepted[i], v.val.string.val, v.val.string.len) == 0;
            if (!known) {
                unknown = pnstrdup(v.val.string.val, v.val.string.len);
                break;
            }
        }
    }
    if (unknown == nullptr) PG_RETURN_VOID();

    StringInfoData list;
    initStringInfo(&list);
    for (int i = 0; i < n; ++i) appendStringInfo(&list, "%s\"%s\"", i ? ", " : "", accepted[i]);
    // The near miss is computed in C++; only plain strings cross back.
    char* suggestion = nullptr;
    guarded([&] {
        std::vector<std::string> names(accepted, accepted + n);
        std::string best = rushdb::text::closest_name(unknown, names);
        if (!best.empty()) suggestion = pg_call([&] { return psprintf("Did you mean \"%s\"?", best.c_str()); });
    });
    raise_without_context(ERRCODE_INVALID_PARAMETER_VALUE, psprintf("unknown key \"%s\" in %s", unknown, what),
                          psprintf("Accepted keys: %s.", list.data), suggestion);
}

}  // extern "C"

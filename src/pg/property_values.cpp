// SQL helpers over property values, for compiled filters, find's ordering
// and aggregates, and the property indexes (rushdb.create_property_index):
//   try_timestamptz(text)            the instant an ISO-8601 datetime names
//   sort_key(jsonb, type)            an order-preserving key across types
//   jsonb_smaller / jsonb_larger     min_value / max_value's transitions
//   text_of(properties, key)         a string, or an array's strings joined
//   number_range(properties, key)    [least, greatest] number, a numrange
//   instant_range(properties, key)   [earliest, latest] datetime, a tstzrange
// of a property's values (the value, or an array's elements). The where
// compiler writes every range condition as an overlap with these
// (where_compiler.cpp, Compiler::overlap), which a GiST index serves.
#include <string>
#include <string_view>

#include "boundary.hpp"
#include "filter_glue.hpp"
#include "pg_prelude.hpp"
#include "records/property_types.hpp"

extern "C" {
#include "access/genam.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "nodes/primnodes.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/numeric.h"
#include "utils/rangetypes.h"
#include "utils/typcache.h"
#include "utils/timestamp.h"
}

using namespace rushdb::pg;

namespace {

// The instant an ISO-8601 datetime names (records' own grammar), as
// PostgreSQL microseconds; false for any other text.
bool iso_instant(const char* s, int len, TimestampTz* out) {
    char normalized[64];
    // No C++ object outlives this block: timestamptz_in below may raise.
    bool ok = guarded([&] {
        auto n = rushdb::records::normalize_iso8601(std::string_view(s, static_cast<std::size_t>(len)));
        if (!n || n->size() >= sizeof normalized) return false;
        normalized[n->copy(normalized, sizeof normalized - 1)] = '\0';
        return true;
    });
    if (!ok) return false;
    *out = DatumGetTimestampTz(DirectFunctionCall3(timestamptz_in, CStringGetDatum(normalized),
                                                   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
    return true;
}

JsonbValue numeric_value(int64 n) {
    JsonbValue v;
    v.type = jbvNumeric;
    v.val.numeric = int64_to_numeric(n);
    return v;
}

// The value of `key` in the properties object, or nullptr.
JsonbValue* property(Jsonb* properties, text* key) {
    if (!JB_ROOT_IS_OBJECT(properties)) return nullptr;
    JsonbValue k;
    k.type = jbvString;
    k.val.string.val = VARDATA_ANY(key);
    k.val.string.len = static_cast<int>(VARSIZE_ANY_EXHDR(key));
    return findJsonbValueFromContainer(&properties->root, JB_FOBJECT, &k);
}

// Calls `each` for the property's scalar values: the value itself, or the
// elements of an array.
template <typename Fn>
void each_value(JsonbValue* v, Fn each) {
    if (v == nullptr) return;
    if (v->type != jbvBinary) {
        each(*v);
        return;
    }
    JsonbIterator* it = JsonbIteratorInit(v->val.binary.data);
    JsonbValue e;
    JsonbIteratorToken t;
    bool array = false;
    while ((t = JsonbIteratorNext(&it, &e, true)) != WJB_DONE) {
        if (t == WJB_BEGIN_ARRAY) array = true;
        if (t == WJB_ELEM && array && e.type != jbvBinary) each(e);
    }
}

// [least, greatest] of the property's values of one kind as a range of
// `range_type` (inclusive bounds), or NULL when it has none. `take` turns
// a scalar into a datum of the range's subtype (false: not of the kind).
template <typename Take>
Datum value_range(FunctionCallInfo fcinfo, Oid range_type, Take take) {
    JsonbValue* v = property(PG_GETARG_JSONB_P(0), PG_GETARG_TEXT_PP(1));
    TypeCacheEntry* typcache = lookup_type_cache(range_type, TYPECACHE_RANGE_INFO);
    FmgrInfo* cmp = &typcache->rng_cmp_proc_finfo;
    Oid collation = typcache->rng_collation;
    bool found = false;
    Datum least = 0, greatest = 0;
    each_value(v, [&](const JsonbValue& e) {
        Datum d;
        if (!take(e, &d)) return;
        if (!found) {
            least = greatest = d;
            found = true;
            return;
        }
        if (DatumGetInt32(FunctionCall2Coll(cmp, collation, d, least)) < 0) least = d;
        if (DatumGetInt32(FunctionCall2Coll(cmp, collation, d, greatest)) > 0) greatest = d;
    });
    if (!found) PG_RETURN_NULL();
    RangeBound lower{least, false, true, true};
    RangeBound upper{greatest, false, true, false};
    PG_RETURN_RANGE_P(make_range(typcache, &lower, &upper, false));
}

bool take_number(const JsonbValue& e, Datum* out) {
    if (e.type != jbvNumeric) return false;
    *out = NumericGetDatum(e.val.numeric);
    return true;
}

bool take_instant(const JsonbValue& e, Datum* out) {
    TimestampTz t;
    if (e.type != jbvString || !iso_instant(e.val.string.val, e.val.string.len, &t)) return false;
    *out = TimestampTzGetDatum(t);
    return true;
}

}  // namespace

namespace rushdb::pg {

List* range_indexed_properties() {
    // Plain PostgreSQL code (it may raise): palloc'd results, no C++ objects.
    List* out = NIL;
    Oid api = get_namespace_oid("rushdb", true);
    Oid internal = get_namespace_oid("rushdb_internal", true);
    Oid records = OidIsValid(api) ? get_relname_relid("records", api) : InvalidOid;
    if (!OidIsValid(records) || !OidIsValid(internal)) return out;
    Relation rel = table_open(records, AccessShareLock);
    List* indexes = RelationGetIndexList(rel);
    ListCell* lc;
    foreach (lc, indexes) {
        Relation index = index_open(lfirst_oid(lc), AccessShareLock);
        List* exprs = RelationGetIndexExpressions(index);
        ListCell* ec;
        foreach (ec, exprs) {
            Node* e = static_cast<Node*>(lfirst(ec));
            if (!IsA(e, FuncExpr)) continue;
            FuncExpr* f = reinterpret_cast<FuncExpr*>(e);
            if (get_func_namespace(f->funcid) != internal || list_length(f->args) != 2) continue;
            char* name = get_func_name(f->funcid);
            const char* kind = strcmp(name, "number_range") == 0    ? "number"
                               : strcmp(name, "instant_range") == 0 ? "instant"
                                                                    : nullptr;
            Node* key = static_cast<Node*>(lsecond(f->args));
            if (kind == nullptr || !IsA(key, Const) || reinterpret_cast<Const*>(key)->constisnull) continue;
            out = lappend(out, psprintf("%s:%s", kind, TextDatumGetCString(reinterpret_cast<Const*>(key)->constvalue)));
        }
        index_close(index, AccessShareLock);
    }
    table_close(rel, AccessShareLock);
    return out;
}

}  // namespace rushdb::pg

extern "C" {

PG_FUNCTION_INFO_V1(rushdb_try_timestamptz);
PG_FUNCTION_INFO_V1(rushdb_sort_key);
PG_FUNCTION_INFO_V1(rushdb_jsonb_smaller);
PG_FUNCTION_INFO_V1(rushdb_jsonb_larger);
PG_FUNCTION_INFO_V1(rushdb_text_of);
PG_FUNCTION_INFO_V1(rushdb_number_range);
PG_FUNCTION_INFO_V1(rushdb_instant_range);

// try_timestamptz(text): NULL unless the text is an ISO-8601 date/datetime
// (the core's grammar); converted from its normalised form, which carries an
// explicit offset, so the result does not depend on the session TimeZone.
Datum rushdb_try_timestamptz(PG_FUNCTION_ARGS) {
    text* input = PG_GETARG_TEXT_PP(0);
    TimestampTz t;
    if (!iso_instant(VARDATA_ANY(input), static_cast<int>(VARSIZE_ANY_EXHDR(input)), &t)) PG_RETURN_NULL();
    PG_RETURN_TIMESTAMPTZ(t);
}

// sort_key(value jsonb, type text) -> [rank, sortable, value]: numbers (1)
// by value, datetimes (2: a string whose __proptypes type is "datetime") by
// instant, other strings (3) in the database's collation (jsonb's own string
// order), booleans (4), arrays (5), objects (6); NULL for SQL NULL and JSON
// null. jsonb's ordering of arrays compares element by element, so the key
// sorts across types, and the value comes back out of min_value/max_value.
Datum rushdb_sort_key(PG_FUNCTION_ARGS) {
    if (PG_ARGISNULL(0)) PG_RETURN_NULL();
    Jsonb* value = PG_GETARG_JSONB_P(0);
    bool datetime = false;
    if (!PG_ARGISNULL(1)) {
        char* type = text_to_cstring(PG_GETARG_TEXT_PP(1));
        datetime = strcmp(type, "datetime") == 0;
    }
    JsonbValue original;
    int rank;
    JsonbValue sortable;
    if (JB_ROOT_IS_SCALAR(value)) {
        JsonbExtractScalar(&value->root, &original);
        sortable = original;
        switch (original.type) {
            case jbvNull:
                PG_RETURN_NULL();
            case jbvNumeric:
                rank = 1;
                break;
            case jbvString: {
                TimestampTz t;
                if (datetime && iso_instant(original.val.string.val, original.val.string.len, &t)) {
                    rank = 2;
                    sortable = numeric_value(t);
                } else {
                    rank = 3;
                }
                break;
            }
            case jbvBool:
                rank = 4;
                break;
            default:
                rank = 7;
                break;
        }
    } else {
        original.type = jbvBinary;
        original.val.binary.data = &value->root;
        original.val.binary.len = VARSIZE(value) - VARHDRSZ;
        sortable = original;
        rank = JB_ROOT_IS_ARRAY(value) ? 5 : 6;
    }
    JsonbParseState* state = nullptr;
    pushJsonbValue(&state, WJB_BEGIN_ARRAY, nullptr);
    JsonbValue r = numeric_value(rank);
    pushJsonbValue(&state, WJB_ELEM, &r);
    pushJsonbValue(&state, WJB_ELEM, &sortable);
    pushJsonbValue(&state, WJB_ELEM, &original);
    JsonbValue* result = pushJsonbValue(&state, WJB_END_ARRAY, nullptr);
    PG_RETURN_JSONB_P(JsonbValueToJsonb(result));
}

// Transition functions of min_value / max_value (jsonb's btree order).
Datum rushdb_jsonb_smaller(PG_FUNCTION_ARGS) {
    Jsonb* a = PG_GETARG_JSONB_P(0);
    Jsonb* b = PG_GETARG_JSONB_P(1);
    PG_RETURN_JSONB_P(compareJsonbContainers(&a->root, &b->root) <= 0 ? a : b);
}

Datum rushdb_jsonb_larger(PG_FUNCTION_ARGS) {
    Jsonb* a = PG_GETARG_JSONB_P(0);
    Jsonb* b = PG_GETARG_JSONB_P(1);
    PG_RETURN_JSONB_P(compareJsonbContainers(&a->root, &b->root) >= 0 ? a : b);
}

// text_of(properties, key): the text a text index reads from a property: a
// string itself, the strings of an array joined with spaces (as managed
// indexes embed them); NULL for other values or none.
Datum rushdb_text_of(PG_FUNCTION_ARGS) {
    JsonbValue* v = property(PG_GETARG_JSONB_P(0), PG_GETARG_TEXT_PP(1));
    if (v == nullptr) PG_RETURN_NULL();
    if (v->type == jbvString) PG_RETURN_TEXT_P(cstring_to_text_with_len(v->val.string.val, v->val.string.len));
    if (v->type != jbvBinary) PG_RETURN_NULL();
    StringInfoData out;
    initStringInfo(&out);
    bool any = false;
    each_value(v, [&](const JsonbValue& e) {
        if (e.type != jbvString) return;
        if (any) appendStringInfoChar(&out, ' ');
        appendBinaryStringInfo(&out, e.val.string.val, e.val.string.len);
        any = true;
    });
    if (!any) PG_RETURN_NULL();
    PG_RETURN_TEXT_P(cstring_to_text_with_len(out.data, out.len));
}

Datum rushdb_number_range(PG_FUNCTION_ARGS) { return value_range(fcinfo, NUMRANGEOID, take_number); }
Datum rushdb_instant_range(PG_FUNCTION_ARGS) { return value_range(fcinfo, TSTZRANGEOID, take_instant); }

}  // extern "C"

// Casts between rushdb.vector and arrays / jsonb.
#include <cfloat>

#include "pg_prelude.hpp"
#include "vector_type.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
}

using namespace rushdb::pg;

namespace {

// Narrows a double to a vector element with the same rules as text input.
// Overflow is judged after rounding, as text input and float8 -> real do: a
// double just above FLT_MAX (3.4028235e38, FLT_MAX's own shortest text, is
// one) rounds to FLT_MAX and is accepted; comparing the double with FLT_MAX
// rejected it. %.9g, not %g: six digits print a rejected 3.4028236e38 as
// 3.40282e+38, which reads like an accepted value.
float narrow_element(double d, const char* source) {
    if (std::isnan(d) || std::isinf(d)) check_element(static_cast<float>(d), source);
    float f = static_cast<float>(d);
    if (std::isinf(f))
        ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
                        errmsg("value %.9g is out of range for a vector element (float32)", d)));
    return f;
}

double numeric_to_double(Datum n) { return DatumGetFloat8(DirectFunctionCall1(numeric_float8, n)); }

}  // namespace

extern "C" {

PG_FUNCTION_INFO_V1(rushdb_array_to_vector);
PG_FUNCTION_INFO_V1(rushdb_jsonb_to_vector);
PG_FUNCTION_INFO_V1(rushdb_vector_to_float4);

// real[], double precision[], integer[], numeric[] (and smallint[], bigint[])
// -> vector. One-dimensional and NULL-free only.
Datum rushdb_array_to_vector(PG_FUNCTION_ARGS) {
    ArrayType* arr = PG_GETARG_ARRAYTYPE_P(0);
    int32 typmod = PG_GETARG_INT32(1);

    if (ARR_NDIM(arr) > 1)
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                 errmsg("array must be one-dimensional to convert to a vector, got %d dimensions", ARR_NDIM(arr))));
    if (ARR_HASNULL(arr) && array_contains_nulls(arr))
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
                        errmsg("array must not contain NULLs to convert to a vector")));

    Oid elem_type = ARR_ELEMTYPE(arr);
    if (elem_type != FLOAT4OID && elem_type != FLOAT8OID && elem_type != INT4OID && elem_type != INT2OID &&
        elem_type != INT8OID && elem_type != NUMERICOID)
        ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
                        errmsg("cannot convert an array of %s to a vector", format_type_be(elem_type))));

    int16 typlen;
    bool typbyval;
    char typalign;
    get_typlenbyvalalign(elem_type, &typlen, &typbyval, &typalign);
    Datum* elems;
    int n;
    deconstruct_array(arr, elem_type, typlen, typbyval, typalign, &elems, nullptr, &n);
    check_dims(n);

    Vector* v = new_vector(n);
    for (int i = 0; i < n; ++i) {
        switch (elem_type) {
            case FLOAT4OID:
                v->x[i] = DatumGetFloat4(elems[i]);
                check_element(v->x[i], "array element");
                break;
            case FLOAT8OID:
                v->x[i] = narrow_element(DatumGetFloat8(elems[i]), "array element");
                break;
            case INT2OID:
                v->x[i] = static_cast<float>(DatumGetInt16(elems[i]));
                break;
            case INT4OID:
                v->x[i] = static_cast<float>(DatumGetInt32(elems[i]));
                break;
            case INT8OID:
                v->x[i] = static_cast<float>(DatumGetInt64(elems[i]));
                break;
            case NUMERICOID:
                v->x[i] = narrow_element(numeric_to_double(elems[i]), "array element");
                break;
        }
    }
    pfree(elems);
    check_typmod(v, typmod);
    RUSHDB_RETURN_VECTOR(v);
}

// jsonb array of numbers -> vector, e.g. '[0.1, 2, -3e-2]'::jsonb::vector.
Datum rushdb_jsonb_to_vector(PG_FUNCTION_ARGS) {
    Jsonb* jb = PG_GETARG_JSONB_P(0);
    int32 typmod = PG_GETARG_INT32(1);

    if (!JB_ROOT_IS_ARRAY(jb) || JB_ROOT_IS_SCALAR(jb))
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("jsonb value must be an array of numbers to convert to a vector")));
    uint32 n = JB_ROOT_COUNT(jb);
    check_dims(n);
    Vector* v = new_vector(static_cast<int>(n));
    for (uint32 i = 0; i < n; ++i) {
        JsonbValue* item = getIthJsonbValueFromContainer(&jb->root, i);
        if (item == nullptr || item->type != jbvNumeric)
            ereport(ERROR,
                    (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("jsonb array element %u is not a number", i + 1),
                     errhint("A vector is written as a JSON array of numbers, e.g. [0.1, 0.2].")));
        v->x[i] = narrow_element(numeric_to_double(NumericGetDatum(item->val.numeric)), "jsonb array element");
    }
    check_typmod(v, typmod);
    RUSHDB_RETURN_VECTOR(v);
}

Datum rushdb_vector_to_float4(PG_FUNCTION_ARGS) {
    Vector* v = RUSHDB_ARG_VECTOR(0);
    auto* datums = static_cast<Datum*>(palloc(sizeof(Datum) * v->dim));
    for (int i = 0; i < v->dim; ++i) datums[i] = Float4GetDatum(v->x[i]);
    ArrayType* result = construct_array(datums, v->dim, FLOAT4OID, sizeof(float4), true, TYPALIGN_INT);
    pfree(datums);
    PG_FREE_IF_COPY(v, 0);
    PG_RETURN_POINTER(result);
}

}  // extern "C"

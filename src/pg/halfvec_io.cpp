// Text and binary input/output, typmod and casts of rushdb.halfvec.
#include "halfvec_type.hpp"
#include "pg_prelude.hpp"
#include "text/vector_text.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
}

using namespace rushdb::pg;
namespace rt = rushdb::text;
namespace dist = rushdb::distance;

extern "C" {

// The array -> vector cast function (vector_casts.cpp): the same element
// types and checks for arrays -> halfvec.
Datum rushdb_array_to_vector(PG_FUNCTION_ARGS);

PG_FUNCTION_INFO_V1(rushdb_halfvec_in);
PG_FUNCTION_INFO_V1(rushdb_halfvec_out);
PG_FUNCTION_INFO_V1(rushdb_halfvec_typmod_in);
PG_FUNCTION_INFO_V1(rushdb_halfvec_recv);
PG_FUNCTION_INFO_V1(rushdb_halfvec_send);
PG_FUNCTION_INFO_V1(rushdb_halfvec_enforce_typmod);
PG_FUNCTION_INFO_V1(rushdb_array_to_halfvec);
PG_FUNCTION_INFO_V1(rushdb_vector_to_halfvec);
PG_FUNCTION_INFO_V1(rushdb_halfvec_to_vector);
PG_FUNCTION_INFO_V1(rushdb_halfvec_to_float4);

// '[1,2,3]': parsed as float32 (the same syntax as vector), then each
// element rounded to the nearest half.
Datum rushdb_halfvec_in(PG_FUNCTION_ARGS) {
    Vector* v = vector_from_text(PG_GETARG_CSTRING(0), TextType::halfvec);
    HalfVec* h = narrow_to_halfvec(v, "input");
    pfree(v);
    check_halfvec_typmod(h, PG_GETARG_INT32(2));
    PG_RETURN_POINTER(h);
}

// Each element printed as the shortest float32 text that reads back as the
// same float32 (which is the half itself): 0.1 stored as a half prints as
// 0.099975586, what it is.
Datum rushdb_halfvec_out(PG_FUNCTION_ARGS) {
    HalfVec* h = RUSHDB_ARG_HALFVEC(0);
    Vector* v = widen_to_vector(h);
    auto* buf = static_cast<char*>(palloc(rt::max_formatted_size(v->dim)));
    rt::format_vector(v->x, v->dim, buf);
    pfree(v);
    PG_FREE_IF_COPY(h, 0);
    PG_RETURN_CSTRING(buf);
}

Datum rushdb_halfvec_typmod_in(PG_FUNCTION_ARGS) { PG_RETURN_INT32(dims_typmod(PG_GETARG_ARRAYTYPE_P(0), "halfvec")); }

// Binary form: int16 dim, int16 reserved (0), dim uint16 halves in network
// order. Infinity and NaN halves are refused, as in text input.
Datum rushdb_halfvec_recv(PG_FUNCTION_ARGS) {
    StringInfo buf = reinterpret_cast<StringInfo>(PG_GETARG_POINTER(0));
    int32 typmod = PG_GETARG_INT32(2);
    int dim = pq_getmsgint(buf, 2);
    int reserved = pq_getmsgint(buf, 2);
    if (dim < 1 || dim > kMaxDims)
        ereport(ERROR, (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
                        errmsg("invalid binary halfvec: %d dimensions (a halfvec has 1 to %d)", dim, kMaxDims)));
    if (reserved != 0)
        ereport(ERROR, (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
                        errmsg("invalid binary halfvec: reserved field must be 0")));
    if (buf->len - buf->cursor != 2 * dim)
        ereport(ERROR, (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
                        errmsg("invalid binary halfvec: %d dimensions need %d bytes, got %d", dim, 2 * dim,
                               buf->len - buf->cursor)));
    HalfVec* h = new_halfvec(dim);
    for (int i = 0; i < dim; ++i) {
        h->x[i] = static_cast<uint16>(pq_getmsgint(buf, 2));
        if (!dist::half_is_finite(h->x[i]))
            ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                            errmsg("NaN and Infinity are not allowed in a halfvec (binary input, element %d)", i + 1)));
    }
    check_halfvec_typmod(h, typmod);
    PG_RETURN_POINTER(h);
}

Datum rushdb_halfvec_send(PG_FUNCTION_ARGS) {
    HalfVec* h = RUSHDB_ARG_HALFVEC(0);
    StringInfoData buf;
    pq_begintypsend(&buf);
    pq_sendint16(&buf, static_cast<uint16>(h->dim));
    pq_sendint16(&buf, 0);
    for (int i = 0; i < h->dim; ++i) pq_sendint16(&buf, h->x[i]);
    PG_FREE_IF_COPY(h, 0);
    PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

Datum rushdb_halfvec_enforce_typmod(PG_FUNCTION_ARGS) {
    HalfVec* h = RUSHDB_ARG_HALFVEC(0);
    check_halfvec_typmod(h, PG_GETARG_INT32(1));
    PG_RETURN_POINTER(h);
}

// real[], double precision[], integer[], numeric[] -> halfvec: the vector
// cast's checks (one dimension, no NULLs, no NaN), then narrowing.
Datum rushdb_array_to_halfvec(PG_FUNCTION_ARGS) {
    Datum v = DirectFunctionCall3(rushdb_array_to_vector, PG_GETARG_DATUM(0), Int32GetDatum(-1), BoolGetDatum(false));
    HalfVec* h = narrow_to_halfvec(reinterpret_cast<Vector*>(DatumGetPointer(v)), "array element");
    check_halfvec_typmod(h, PG_GETARG_INT32(1));
    PG_RETURN_POINTER(h);
}

Datum rushdb_vector_to_halfvec(PG_FUNCTION_ARGS) {
    Vector* v = RUSHDB_ARG_VECTOR(0);
    HalfVec* h = narrow_to_halfvec(v, "cast from vector");
    check_halfvec_typmod(h, PG_GETARG_INT32(1));
    PG_FREE_IF_COPY(v, 0);
    PG_RETURN_POINTER(h);
}

Datum rushdb_halfvec_to_vector(PG_FUNCTION_ARGS) {
    HalfVec* h = RUSHDB_ARG_HALFVEC(0);
    Vector* v = widen_to_vector(h);
    check_typmod(v, PG_GETARG_INT32(1));
    PG_FREE_IF_COPY(h, 0);
    RUSHDB_RETURN_VECTOR(v);
}

Datum rushdb_halfvec_to_float4(PG_FUNCTION_ARGS) {
    HalfVec* h = RUSHDB_ARG_HALFVEC(0);
    auto* datums = static_cast<Datum*>(palloc(sizeof(Datum) * h->dim));
    for (int i = 0; i < h->dim; ++i) datums[i] = Float4GetDatum(dist::half_to_float(h->x[i]));
    ArrayType* result = construct_array(datums, h->dim, FLOAT4OID, sizeof(float4), true, TYPALIGN_INT);
    pfree(datums);
    PG_FREE_IF_COPY(h, 0);
    PG_RETURN_POINTER(result);
}

}  // extern "C"

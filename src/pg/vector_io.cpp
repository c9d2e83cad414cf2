// Text and binary input/output and the typmod of rushdb.vector.
#include "pg_prelude.hpp"
#include "text/vector_text.hpp"
#include "vector_type.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
}

using namespace rushdb::pg;
namespace rt = rushdb::text;

namespace rushdb::pg {

// The elements of a text literal [1,2,3] as float32. A halfvec literal is
// parsed the same way and narrowed afterwards (halfvec_io.cpp), so both
// types accept exactly the same syntax; only the messages name the type.
Vector* vector_from_text(const char* text, TextType type) {
    const char* name = type == TextType::vector ? "vector" : "halfvec";
    std::size_t cap = rt::count_elements_upper_bound(text);
    // Parse into a scratch buffer sized by the comma count, but never larger
    // than the maximum so a huge literal fails fast instead of allocating.
    // The capacity is the limit itself: parse_vector reports too_many_dims
    // only for an element beyond its capacity, so kMaxDims + 1 let a literal
    // of exactly 16001 elements through.
    std::size_t scratch = cap > static_cast<std::size_t>(kMaxDims) ? kMaxDims : cap;
    auto* values = static_cast<float*>(palloc(sizeof(float) * scratch));
    rt::ParseResult r = rt::parse_vector(text, values, scratch);
    switch (r.status) {
        case rt::ParseStatus::ok:
            break;
        case rt::ParseStatus::out_of_range:
            if (type == TextType::vector)
                ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
                                errmsg("value out of range for type real in vector: \"%s\"", text),
                                errdetail("Element at byte %zu exceeds the float32 range.", r.position + 1)));
            else
                ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
                                errmsg("value out of range for type halfvec: \"%s\"", text),
                                errdetail("Element at byte %zu exceeds the halfvec range (largest finite value "
                                          "65504).",
                                          r.position + 1)));
            break;
        case rt::ParseStatus::not_finite:
            ereport(ERROR, (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
                            errmsg("NaN and Infinity are not allowed in a %s: \"%s\"", name, text)));
            break;
        case rt::ParseStatus::too_many_dims:
            ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                            errmsg("%s cannot have more than %d dimensions", name, kMaxDims)));
            break;
        case rt::ParseStatus::empty:
            ereport(ERROR, (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
                            errmsg("invalid input syntax for type %s: \"%s\"", name, text),
                            errdetail("A %s must have at least 1 dimension.", name)));
            break;
        case rt::ParseStatus::malformed:
            ereport(ERROR, (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
                            errmsg("invalid input syntax for type %s: \"%s\"", name, text),
                            errdetail("Unexpected input at byte %zu; expected the form [1,2,3].", r.position + 1)));
            break;
    }

    Vector* v = new_vector(static_cast<int>(r.dims));
    std::memcpy(v->x, values, sizeof(float) * r.dims);
    pfree(values);
    return v;
}

// The typmod of vector(n) and halfvec(n): one dimension count, 1..kMaxDims.
int32 dims_typmod(ArrayType* mods_array, const char* type_name) {
    int n = 0;
    int32* mods = ArrayGetIntegerTypmods(mods_array, &n);
    if (n != 1)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("invalid type modifier for %s: expected one dimension count", type_name)));
    if (mods[0] < 1)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("dimensions for type %s must be at least 1", type_name)));
    if (mods[0] > kMaxDims)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("dimensions for type %s cannot exceed %d", type_name, kMaxDims)));
    return mods[0];
}

}  // namespace rushdb::pg

extern "C" {

PG_FUNCTION_INFO_V1(rushdb_vector_in);
PG_FUNCTION_INFO_V1(rushdb_vector_out);
PG_FUNCTION_INFO_V1(rushdb_vector_typmod_in);
PG_FUNCTION_INFO_V1(rushdb_vector_recv);
PG_FUNCTION_INFO_V1(rushdb_vector_send);
PG_FUNCTION_INFO_V1(rushdb_vector_enforce_typmod);

Datum rushdb_vector_in(PG_FUNCTION_ARGS) {
    Vector* v = vector_from_text(PG_GETARG_CSTRING(0), TextType::vector);
    check_typmod(v, PG_GETARG_INT32(2));
    RUSHDB_RETURN_VECTOR(v);
}

Datum rushdb_vector_out(PG_FUNCTION_ARGS) {
    Vector* v = RUSHDB_ARG_VECTOR(0);
    auto* buf = static_cast<char*>(palloc(rt::max_formatted_size(v->dim)));
    rt::format_vector(v->x, v->dim, buf);
    PG_FREE_IF_COPY(v, 0);
    PG_RETURN_CSTRING(buf);
}

// vector(n): the typmod is the dimension count.
Datum rushdb_vector_typmod_in(PG_FUNCTION_ARGS) { PG_RETURN_INT32(dims_typmod(PG_GETARG_ARRAYTYPE_P(0), "vector")); }

// Binary form: int16 dim, int16 reserved (0), dim float4 in network order.
Datum rushdb_vector_recv(PG_FUNCTION_ARGS) {
    StringInfo buf = reinterpret_cast<StringInfo>(PG_GETARG_POINTER(0));
    int32 typmod = PG_GETARG_INT32(2);
    int dim = pq_getmsgint(buf, 2);
    int reserved = pq_getmsgint(buf, 2);
    check_dims(dim);
    if (reserved != 0)
        ereport(ERROR, (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
                        errmsg("invalid binary vector: reserved field must be 0")));
    if (buf->len - buf->cursor != static_cast<int>(sizeof(float)) * dim)
        ereport(ERROR, (errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
                        errmsg("invalid binary vector: %d dimensions need %zu bytes, got %d", dim, sizeof(float) * dim,
                               buf->len - buf->cursor)));
    Vector* v = new_vector(dim);
    for (int i = 0; i < dim; ++i) {
        v->x[i] = pq_getmsgfloat4(buf);
        check_element(v->x[i], "binary input");
    }
    check_typmod(v, typmod);
    RUSHDB_RETURN_VECTOR(v);
}

Datum rushdb_vector_send(PG_FUNCTION_ARGS) {
    Vector* v = RUSHDB_ARG_VECTOR(0);
    StringInfoData buf;
    pq_begintypsend(&buf);
    pq_sendint(&buf, v->dim, 2);
    pq_sendint(&buf, 0, 2);
    for (int i = 0; i < v->dim; ++i) pq_sendfloat4(&buf, v->x[i]);
    PG_FREE_IF_COPY(v, 0);
    PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

// Cast vector -> vector(n): enforces the dimension count on assignment.
Datum rushdb_vector_enforce_typmod(PG_FUNCTION_ARGS) {
    Vector* v = RUSHDB_ARG_VECTOR(0);
    check_typmod(v, PG_GETARG_INT32(1));
    RUSHDB_RETURN_VECTOR(v);
}

}  // extern "C"

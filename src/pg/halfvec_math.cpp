// Distances, norms, arithmetic and comparisons of rushdb.halfvec.
//
// The distances convert both operands block by block with the kernel set's
// half converter and run the float32 kernels (half_kernels.hpp); no sum of
// halves can overflow float32 there, so no double fallback is needed. The
// rest converts to float32, runs rushdb.vector's function and narrows the
// result: one implementation of each rule (subvector's bounds, concat's
// limit, normalising a zero vector), and a result that leaves the half
// range is an error, never Infinity.
#include <cmath>

#include "distance/half_kernels.hpp"
#include "halfvec_type.hpp"
#include "pg_prelude.hpp"

extern "C" {
#include "utils/varbit.h"
}

using namespace rushdb::pg;
namespace dist = rushdb::distance;

extern "C" {

// rushdb.vector's functions (vector_math.cpp, bit_distances.cpp).
Datum rushdb_l2_normalize(PG_FUNCTION_ARGS);
Datum rushdb_subvector(PG_FUNCTION_ARGS);
Datum rushdb_vector_concat(PG_FUNCTION_ARGS);
Datum rushdb_vector_add(PG_FUNCTION_ARGS);
Datum rushdb_vector_sub(PG_FUNCTION_ARGS);
Datum rushdb_vector_mul(PG_FUNCTION_ARGS);
Datum rushdb_binary_quantize(PG_FUNCTION_ARGS);

}  // extern "C"

namespace {

std::size_t dims_of(const HalfVec* a) { return static_cast<std::size_t>(a->dim); }

Datum widened(const HalfVec* h) { return PointerGetDatum(widen_to_vector(h)); }

HalfVec* narrowed(Datum vector_result, const char* what) {
    return narrow_to_halfvec(reinterpret_cast<Vector*>(DatumGetPointer(vector_result)), what);
}

// A binary vector operation on the widened operands, narrowed back; the
// elementwise ones check the dimensions here so the error names halfvec.
template <Datum (*Fn)(FunctionCallInfo)>
Datum binary_op(FunctionCallInfo fcinfo, const char* what, bool elementwise = true) {
    HalfVec *a = RUSHDB_ARG_HALFVEC(0), *b = RUSHDB_ARG_HALFVEC(1);
    if (elementwise) check_same_dims(a, b);
    if (a->dim + b->dim > kMaxDims)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("halfvec cannot have more than %d dimensions (got %d)", kMaxDims, a->dim + b->dim)));
    PG_RETURN_POINTER(narrowed(DirectFunctionCall2(Fn, widened(a), widened(b)), what));
}

// Elementwise on the common prefix, then the shorter first; -0 = 0.
int compare_halfvecs(const HalfVec* a, const HalfVec* b) {
    int n = a->dim < b->dim ? a->dim : b->dim;
    for (int i = 0; i < n; ++i) {
        float x = dist::half_to_float(a->x[i]), y = dist::half_to_float(b->x[i]);
        if (x < y) return -1;
        if (x > y) return 1;
    }
    return (a->dim > b->dim) - (a->dim < b->dim);
}

}  // namespace

#define RUSHDB_HALFVEC_COMPARE_FN(name, expr)                           \
    PG_FUNCTION_INFO_V1(name);                                          \
    Datum name(PG_FUNCTION_ARGS) {                                      \
        HalfVec *a = RUSHDB_ARG_HALFVEC(0), *b = RUSHDB_ARG_HALFVEC(1); \
        int c = compare_halfvecs(a, b);                                 \
        PG_FREE_IF_COPY(a, 0);                                          \
        PG_FREE_IF_COPY(b, 1);                                          \
        expr;                                                           \
    }

extern "C" {

RUSHDB_HALFVEC_COMPARE_FN(rushdb_halfvec_cmp, PG_RETURN_INT32(c))
RUSHDB_HALFVEC_COMPARE_FN(rushdb_halfvec_lt, PG_RETURN_BOOL(c < 0))
RUSHDB_HALFVEC_COMPARE_FN(rushdb_halfvec_le, PG_RETURN_BOOL(c <= 0))
RUSHDB_HALFVEC_COMPARE_FN(rushdb_halfvec_eq, PG_RETURN_BOOL(c == 0))
RUSHDB_HALFVEC_COMPARE_FN(rushdb_halfvec_ne, PG_RETURN_BOOL(c != 0))
RUSHDB_HALFVEC_COMPARE_FN(rushdb_halfvec_ge, PG_RETURN_BOOL(c >= 0))
RUSHDB_HALFVEC_COMPARE_FN(rushdb_halfvec_gt, PG_RETURN_BOOL(c > 0))

PG_FUNCTION_INFO_V1(rushdb_halfvec_l2_distance);
PG_FUNCTION_INFO_V1(rushdb_halfvec_l2_squared_distance);
PG_FUNCTION_INFO_V1(rushdb_halfvec_cosine_distance);
PG_FUNCTION_INFO_V1(rushdb_halfvec_inner_product);
PG_FUNCTION_INFO_V1(rushdb_halfvec_negative_inner_product);
PG_FUNCTION_INFO_V1(rushdb_halfvec_spherical_distance);
PG_FUNCTION_INFO_V1(rushdb_halfvec_l1_distance);
PG_FUNCTION_INFO_V1(rushdb_halfvec_dims);
PG_FUNCTION_INFO_V1(rushdb_halfvec_l2_norm);
PG_FUNCTION_INFO_V1(rushdb_halfvec_l2_normalize);
PG_FUNCTION_INFO_V1(rushdb_halfvec_binary_quantize);
PG_FUNCTION_INFO_V1(rushdb_halfvec_subvector);
PG_FUNCTION_INFO_V1(rushdb_halfvec_concat);
PG_FUNCTION_INFO_V1(rushdb_halfvec_add);
PG_FUNCTION_INFO_V1(rushdb_halfvec_sub);
PG_FUNCTION_INFO_V1(rushdb_halfvec_mul);

Datum rushdb_halfvec_l2_distance(PG_FUNCTION_ARGS) {
    HalfVec *a = RUSHDB_ARG_HALFVEC(0), *b = RUSHDB_ARG_HALFVEC(1);
    check_same_dims(a, b);
    PG_RETURN_FLOAT8(std::sqrt(static_cast<double>(dist::l2_squared_half(a->x, b->x, dims_of(a)))));
}

Datum rushdb_halfvec_l2_squared_distance(PG_FUNCTION_ARGS) {
    HalfVec *a = RUSHDB_ARG_HALFVEC(0), *b = RUSHDB_ARG_HALFVEC(1);
    check_same_dims(a, b);
    PG_RETURN_FLOAT8(dist::l2_squared_half(a->x, b->x, dims_of(a)));
}

// NaN when either side is all zeros (no direction), as for vector.
Datum rushdb_halfvec_cosine_distance(PG_FUNCTION_ARGS) {
    HalfVec *a = RUSHDB_ARG_HALFVEC(0), *b = RUSHDB_ARG_HALFVEC(1);
    check_same_dims(a, b);
    PG_RETURN_FLOAT8(dist::cosine_distance_from(dist::dot_and_norms_half(a->x, b->x, dims_of(a))));
}

Datum rushdb_halfvec_inner_product(PG_FUNCTION_ARGS) {
    HalfVec *a = RUSHDB_ARG_HALFVEC(0), *b = RUSHDB_ARG_HALFVEC(1);
    check_same_dims(a, b);
    PG_RETURN_FLOAT8(dist::inner_product_half(a->x, b->x, dims_of(a)));
}

Datum rushdb_halfvec_negative_inner_product(PG_FUNCTION_ARGS) {
    HalfVec *a = RUSHDB_ARG_HALFVEC(0), *b = RUSHDB_ARG_HALFVEC(1);
    check_same_dims(a, b);
    PG_RETURN_FLOAT8(-static_cast<double>(dist::inner_product_half(a->x, b->x, dims_of(a))));
}

// acos(a.b) / pi with a.b clamped to [-1, 1], as for vector.
Datum rushdb_halfvec_spherical_distance(PG_FUNCTION_ARGS) {
    HalfVec *a = RUSHDB_ARG_HALFVEC(0), *b = RUSHDB_ARG_HALFVEC(1);
    check_same_dims(a, b);
    double dot = dist::inner_product_half(a->x, b->x, dims_of(a));
    dot = dot > 1.0 ? 1.0 : (dot < -1.0 ? -1.0 : dot);
    PG_RETURN_FLOAT8(std::acos(dot) / M_PI);
}

Datum rushdb_halfvec_l1_distance(PG_FUNCTION_ARGS) {
    HalfVec *a = RUSHDB_ARG_HALFVEC(0), *b = RUSHDB_ARG_HALFVEC(1);
    check_same_dims(a, b);
    PG_RETURN_FLOAT8(dist::l1_half(a->x, b->x, dims_of(a)));
}

Datum rushdb_halfvec_dims(PG_FUNCTION_ARGS) {
    HalfVec* h = RUSHDB_ARG_HALFVEC(0);
    PG_RETURN_INT32(h->dim);
}

// In double, like vector_norm: a reported value, not a hot loop.
Datum rushdb_halfvec_l2_norm(PG_FUNCTION_ARGS) {
    HalfVec* h = RUSHDB_ARG_HALFVEC(0);
    double sum = 0.0;
    for (int i = 0; i < h->dim; ++i) {
        double x = dist::half_to_float(h->x[i]);
        sum += x * x;
    }
    PG_RETURN_FLOAT8(std::sqrt(sum));
}

Datum rushdb_halfvec_l2_normalize(PG_FUNCTION_ARGS) {
    HalfVec* h = RUSHDB_ARG_HALFVEC(0);
    PG_RETURN_POINTER(narrowed(DirectFunctionCall1(rushdb_l2_normalize, widened(h)), "l2_normalize"));
}

// Widening keeps every sign and every zero, so the bits are vector's.
Datum rushdb_halfvec_binary_quantize(PG_FUNCTION_ARGS) {
    HalfVec* h = RUSHDB_ARG_HALFVEC(0);
    return DirectFunctionCall1(rushdb_binary_quantize, widened(h));
}

Datum rushdb_halfvec_subvector(PG_FUNCTION_ARGS) {
    HalfVec* h = RUSHDB_ARG_HALFVEC(0);
    PG_RETURN_POINTER(narrowed(
        DirectFunctionCall3(rushdb_subvector, widened(h), PG_GETARG_DATUM(1), PG_GETARG_DATUM(2)), "subvector"));
}

Datum rushdb_halfvec_concat(PG_FUNCTION_ARGS) {
    return binary_op<rushdb_vector_concat>(fcinfo, "concatenation", false);
}
Datum rushdb_halfvec_add(PG_FUNCTION_ARGS) { return binary_op<rushdb_vector_add>(fcinfo, "addition"); }
Datum rushdb_halfvec_sub(PG_FUNCTION_ARGS) { return binary_op<rushdb_vector_sub>(fcinfo, "subtraction"); }
Datum rushdb_halfvec_mul(PG_FUNCTION_ARGS) { return binary_op<rushdb_vector_mul>(fcinfo, "multiplication"); }

}  // extern "C"

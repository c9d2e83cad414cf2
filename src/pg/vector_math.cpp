// Distances, norms and elementwise arithmetic. Distances run the SIMD kernel
// chosen at load time (src/core/distance).
#include <cfloat>

#include "distance/exact.hpp"
#include "distance/kernels.hpp"
#include "pg_prelude.hpp"
#include "vector_type.hpp"

using namespace rushdb::pg;
namespace dist = rushdb::distance;

namespace {

// The float32 kernels are exact enough for ranking, but a sum can overflow
// (or, for cosine, a norm underflow to zero) on valid input. Those rare cases
// are recomputed in double so SQL never reports Infinity or NaN for a
// distance that has a finite value.
double l2_squared_checked(const Vector* a, const Vector* b) {
    float r = dist::l2_squared(a->x, b->x, a->dim);
    return std::isfinite(r) ? r : dist::exact::l2_squared(a->x, b->x, a->dim);
}

double inner_product_checked(const Vector* a, const Vector* b) {
    float r = dist::inner_product(a->x, b->x, a->dim);
    return std::isfinite(r) ? r : dist::exact::inner_product(a->x, b->x, a->dim);
}

double l1_checked(const Vector* a, const Vector* b) {
    float r = dist::l1(a->x, b->x, a->dim);
    return std::isfinite(r) ? r : dist::exact::l1(a->x, b->x, a->dim);
}

double cosine_checked(const Vector* a, const Vector* b) {
    dist::DotAndNorms r = dist::active().dot_and_norms(a->x, b->x, a->dim);
    bool trustworthy = std::isfinite(r.dot) && std::isfinite(r.norm_a_sq) && std::isfinite(r.norm_b_sq) &&
                       r.norm_a_sq >= FLT_MIN && r.norm_b_sq >= FLT_MIN;
    return trustworthy ? dist::cosine_distance_from(r) : dist::exact::cosine_distance(a->x, b->x, a->dim);
}

// Accumulated in double: the norm is a reported value, not a hot loop.
double norm_of(const Vector* v) {
    double sum = 0.0;
    for (int i = 0; i < v->dim; ++i) sum += static_cast<double>(v->x[i]) * v->x[i];
    return std::sqrt(sum);
}

template <class Op>
Vector* elementwise(Vector* a, Vector* b, Op op, const char* name) {
    check_same_dims(a, b);
    Vector* r = new_vector(a->dim);
    for (int i = 0; i < a->dim; ++i) r->x[i] = op(a->x[i], b->x[i]);
    check_result_finite(r, name);
    return r;
}

}  // namespace

extern "C" {

PG_FUNCTION_INFO_V1(rushdb_l2_distance);
PG_FUNCTION_INFO_V1(rushdb_l2_squared_distance);
PG_FUNCTION_INFO_V1(rushdb_cosine_distance);
PG_FUNCTION_INFO_V1(rushdb_inner_product);
PG_FUNCTION_INFO_V1(rushdb_negative_inner_product);
PG_FUNCTION_INFO_V1(rushdb_l1_distance);
PG_FUNCTION_INFO_V1(rushdb_vector_spherical_distance);
PG_FUNCTION_INFO_V1(rushdb_vector_dims);
PG_FUNCTION_INFO_V1(rushdb_vector_norm);
PG_FUNCTION_INFO_V1(rushdb_l2_normalize);
PG_FUNCTION_INFO_V1(rushdb_subvector);
PG_FUNCTION_INFO_V1(rushdb_vector_concat);
PG_FUNCTION_INFO_V1(rushdb_vector_add);
PG_FUNCTION_INFO_V1(rushdb_vector_sub);
PG_FUNCTION_INFO_V1(rushdb_vector_mul);

Datum rushdb_l2_distance(PG_FUNCTION_ARGS) {
    Vector *a = RUSHDB_ARG_VECTOR(0), *b = RUSHDB_ARG_VECTOR(1);
    check_same_dims(a, b);
    PG_RETURN_FLOAT8(std::sqrt(l2_squared_checked(a, b)));
}

Datum rushdb_l2_squared_distance(PG_FUNCTION_ARGS) {
    Vector *a = RUSHDB_ARG_VECTOR(0), *b = RUSHDB_ARG_VECTOR(1);
    check_same_dims(a, b);
    PG_RETURN_FLOAT8(l2_squared_checked(a, b));
}

// NaN when either vector is all zeros: a zero vector has no direction.
Datum rushdb_cosine_distance(PG_FUNCTION_ARGS) {
    Vector *a = RUSHDB_ARG_VECTOR(0), *b = RUSHDB_ARG_VECTOR(1);
    check_same_dims(a, b);
    PG_RETURN_FLOAT8(cosine_checked(a, b));
}

Datum rushdb_inner_product(PG_FUNCTION_ARGS) {
    Vector *a = RUSHDB_ARG_VECTOR(0), *b = RUSHDB_ARG_VECTOR(1);
    check_same_dims(a, b);
    PG_RETURN_FLOAT8(inner_product_checked(a, b));
}

// The <#> operator: smaller is more similar, so ORDER BY ... ASC works.
Datum rushdb_negative_inner_product(PG_FUNCTION_ARGS) {
    Vector *a = RUSHDB_ARG_VECTOR(0), *b = RUSHDB_ARG_VECTOR(1);
    check_same_dims(a, b);
    PG_RETURN_FLOAT8(-inner_product_checked(a, b));
}

Datum rushdb_l1_distance(PG_FUNCTION_ARGS) {
    Vector *a = RUSHDB_ARG_VECTOR(0), *b = RUSHDB_ARG_VECTOR(1);
    check_same_dims(a, b);
    PG_RETURN_FLOAT8(l1_checked(a, b));
}

// acos(a.b) / pi, the angle of two unit vectors as a fraction of a half
// turn. The product is clamped to [-1, 1]: rounding can carry the product of
// two unit vectors just past 1, where acos is NaN.
Datum rushdb_vector_spherical_distance(PG_FUNCTION_ARGS) {
    Vector *a = RUSHDB_ARG_VECTOR(0), *b = RUSHDB_ARG_VECTOR(1);
    check_same_dims(a, b);
    double dot = inner_product_checked(a, b);
    dot = dot > 1.0 ? 1.0 : (dot < -1.0 ? -1.0 : dot);
    PG_RETURN_FLOAT8(std::acos(dot) / M_PI);
}

Datum rushdb_vector_dims(PG_FUNCTION_ARGS) {
    Vector* v = RUSHDB_ARG_VECTOR(0);
    PG_RETURN_INT32(v->dim);
}

Datum rushdb_vector_norm(PG_FUNCTION_ARGS) {
    Vector* v = RUSHDB_ARG_VECTOR(0);
    PG_RETURN_FLOAT8(norm_of(v));
}

// A zero vector normalises to itself (there is no unit vector to pick).
Datum rushdb_l2_normalize(PG_FUNCTION_ARGS) {
    Vector* v = RUSHDB_ARG_VECTOR(0);
    Vector* r = new_vector(v->dim);
    double norm = norm_of(v);
    if (norm > 0.0)
        for (int i = 0; i < v->dim; ++i) r->x[i] = static_cast<float>(v->x[i] / norm);
    RUSHDB_RETURN_VECTOR(r);
}

// subvector(v, start, count): elements start .. start + count - 1, 1-based,
// cut to the vector's bounds the way substring() cuts a string (and as
// pgvector does): subvector('[1,2,3,4,5]', 3, 9) is [3,4,5], and
// subvector('[1,2,3]', 0, 2) is [1]. What is left must be at least one
// element.
Datum rushdb_subvector(PG_FUNCTION_ARGS) {
    Vector* v = RUSHDB_ARG_VECTOR(0);
    int32 start = PG_GETARG_INT32(1);
    int32 count = PG_GETARG_INT32(2);
    if (count < 1)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("subvector count must be at least 1, got %d", count)));
    int64 first = start < 1 ? 1 : start;
    int64 last = static_cast<int64>(start) + count - 1;  // no int32 overflow
    if (last > v->dim) last = v->dim;
    if (first > last)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("subvector(%d, %d) holds no element of a vector of %d dimensions", start, count, v->dim),
                        errhint("The elements are numbered 1 to %d.", v->dim)));
    int n = static_cast<int>(last - first + 1);
    Vector* r = new_vector(n);
    std::memcpy(r->x, v->x + (first - 1), sizeof(float) * n);
    RUSHDB_RETURN_VECTOR(r);
}

// a || b: the elements of a, then those of b. Without it PostgreSQL would
// take the text || operator and return '[1,2][3]' as text.
Datum rushdb_vector_concat(PG_FUNCTION_ARGS) {
    Vector *a = RUSHDB_ARG_VECTOR(0), *b = RUSHDB_ARG_VECTOR(1);
    check_dims(static_cast<long>(a->dim) + b->dim);
    Vector* r = new_vector(a->dim + b->dim);
    std::memcpy(r->x, a->x, sizeof(float) * a->dim);
    std::memcpy(r->x + a->dim, b->x, sizeof(float) * b->dim);
    RUSHDB_RETURN_VECTOR(r);
}

Datum rushdb_vector_add(PG_FUNCTION_ARGS) {
    RUSHDB_RETURN_VECTOR(elementwise(
        RUSHDB_ARG_VECTOR(0), RUSHDB_ARG_VECTOR(1), [](float x, float y) { return x + y; }, "addition"));
}

Datum rushdb_vector_sub(PG_FUNCTION_ARGS) {
    RUSHDB_RETURN_VECTOR(elementwise(
        RUSHDB_ARG_VECTOR(0), RUSHDB_ARG_VECTOR(1), [](float x, float y) { return x - y; }, "subtraction"));
}

Datum rushdb_vector_mul(PG_FUNCTION_ARGS) {
    RUSHDB_RETURN_VECTOR(elementwise(
        RUSHDB_ARG_VECTOR(0), RUSHDB_ARG_VECTOR(1), [](float x, float y) { return x * y; }, "multiplication"));
}

}  // extern "C"

// avg and sum of vector and halfvec. The transition state is a float8[] of
// {count, sum_1, ..., sum_d}: double sums keep precision over many rows, and
// a plain array needs no serialisation for parallel aggregation (the combine
// function adds two states). halfvec rows go into the same state (their
// elements are exact float32 values), so only the final functions differ:
// a halfvec sum is narrowed once, at the end, and is an error only when the
// result does not fit a half (pgvector sums halfvec in halfvec, so an
// intermediate sum past 65504 fails there even when the total fits).
#include <cfloat>

#include "halfvec_type.hpp"
#include "pg_prelude.hpp"
#include "vector_type.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/array.h"
}

using namespace rushdb::pg;

namespace {

struct State {
    ArrayType* array;
    float8* values;  // values[0] = count, values[1..dim] = sums
    int dim;         // 0 while no row has been accumulated
};

// The state functions are callable directly with any float8[], so a state
// is checked, not trusted: one dimension, no NULLs, and at most kMaxDims sums
// (a longer one made vectors whose int16 dim wrapped, e.g. -25537 for
// 40,000 sums, which the distance kernels then read far out of bounds).
State read_state(ArrayType* arr) {
    if (ARR_NDIM(arr) != 1 || ARR_HASNULL(arr) || ARR_ELEMTYPE(arr) != FLOAT8OID ||
        ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr)) < 1)
        ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("invalid vector aggregate state")));
    int n = ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));
    if (n - 1 > kMaxDims)
        ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("invalid vector aggregate state"),
                        errdetail("It holds %d sums; a vector has at most %d dimensions.", n - 1, kMaxDims)));
    return State{arr, reinterpret_cast<float8*>(ARR_DATA_PTR(arr)), n - 1};
}

ArrayType* new_state(int dim, MemoryContext cxt) {
    MemoryContext old = MemoryContextSwitchTo(cxt);
    auto* datums = static_cast<Datum*>(palloc(sizeof(Datum) * (dim + 1)));
    for (int i = 0; i <= dim; ++i) datums[i] = Float8GetDatum(0.0);
    ArrayType* arr = construct_array(datums, dim + 1, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
    MemoryContextSwitchTo(old);
    return arr;
}

// In an aggregate the state belongs to us and may be updated in place;
// called any other way, work on a copy so the caller's datum is untouched.
ArrayType* writable_state(FunctionCallInfo fcinfo, int argno, MemoryContext* cxt) {
    if (AggCheckCallContext(fcinfo, cxt)) return PG_GETARG_ARRAYTYPE_P(argno);
    *cxt = CurrentMemoryContext;
    return PG_GETARG_ARRAYTYPE_P_COPY(argno);
}

void check_state_dims(int a, int b) {
    if (a != b)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("vector dimensions differ in aggregate: %d and %d", a, b)));
}

// The state with one more row of `dim` elements; `add` adds them to the
// sums (values + 1).
template <class Add>
Datum accumulate(FunctionCallInfo fcinfo, int dim, Add add) {
    MemoryContext cxt;
    State s = read_state(writable_state(fcinfo, 0, &cxt));
    if (s.dim == 0) {
        float8 count = s.values[0];
        s = read_state(new_state(dim, cxt));
        s.values[0] = count;
    }
    check_state_dims(s.dim, dim);
    s.values[0] += 1.0;
    add(s.values + 1);
    PG_RETURN_ARRAYTYPE_P(s.array);
}

}  // namespace

extern "C" {

PG_FUNCTION_INFO_V1(rushdb_vector_accum);
PG_FUNCTION_INFO_V1(rushdb_vector_combine);
PG_FUNCTION_INFO_V1(rushdb_vector_avg_final);
PG_FUNCTION_INFO_V1(rushdb_vector_sum_final);
PG_FUNCTION_INFO_V1(rushdb_halfvec_accum);
PG_FUNCTION_INFO_V1(rushdb_halfvec_avg_final);
PG_FUNCTION_INFO_V1(rushdb_halfvec_sum_final);

Datum rushdb_vector_accum(PG_FUNCTION_ARGS) {
    Vector* v = RUSHDB_ARG_VECTOR(1);
    return accumulate(fcinfo, v->dim, [v](float8* sums) {
        for (int i = 0; i < v->dim; ++i) sums[i] += v->x[i];
    });
}

Datum rushdb_halfvec_accum(PG_FUNCTION_ARGS) {
    HalfVec* h = RUSHDB_ARG_HALFVEC(1);
    return accumulate(fcinfo, h->dim, [h](float8* sums) {
        for (int i = 0; i < h->dim; ++i) sums[i] += rushdb::distance::half_to_float(h->x[i]);
    });
}

Datum rushdb_vector_combine(PG_FUNCTION_ARGS) {
    MemoryContext cxt;
    State a = read_state(writable_state(fcinfo, 0, &cxt));
    State b = read_state(PG_GETARG_ARRAYTYPE_P(1));
    if (b.dim == 0) PG_RETURN_ARRAYTYPE_P(a.array);
    if (a.dim == 0) {
        a = read_state(new_state(b.dim, cxt));
        std::memcpy(a.values, b.values, sizeof(float8) * (b.dim + 1));
        PG_RETURN_ARRAYTYPE_P(a.array);
    }
    check_state_dims(a.dim, b.dim);
    for (int i = 0; i <= a.dim; ++i) a.values[i] += b.values[i];
    PG_RETURN_ARRAYTYPE_P(a.array);
}

// The average or sum as a float32 vector, or nullptr when no row was seen.
static Vector* finish(ArrayType* state, bool average) {
    State s = read_state(state);
    if (s.dim == 0 || s.values[0] == 0.0) return nullptr;
    Vector* r = new_vector(s.dim);
    for (int i = 0; i < s.dim; ++i) {
        double value = average ? s.values[i + 1] / s.values[0] : s.values[i + 1];
        // Judged after rounding to float32, like the + operator and float8 ->
        // real: a double sum within half an ulp above FLT_MAX is FLT_MAX.
        r->x[i] = static_cast<float>(value);
        if (std::isinf(r->x[i]))
            ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
                            errmsg("value out of range: overflow in vector %s", average ? "avg" : "sum")));
        // Only a hand-made state holds NaN (rows never do): a vector may not.
        if (std::isnan(r->x[i]))
            ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION), errmsg("invalid vector aggregate state"),
                            errdetail("It holds NaN.")));
    }
    return r;
}

static Datum finish_vector(FunctionCallInfo fcinfo, bool average) {
    Vector* r = finish(PG_GETARG_ARRAYTYPE_P(0), average);
    if (r == nullptr) PG_RETURN_NULL();
    RUSHDB_RETURN_VECTOR(r);
}

static Datum finish_halfvec(FunctionCallInfo fcinfo, bool average) {
    Vector* r = finish(PG_GETARG_ARRAYTYPE_P(0), average);
    if (r == nullptr) PG_RETURN_NULL();
    PG_RETURN_POINTER(narrow_to_halfvec(r, average ? "avg" : "sum"));
}

Datum rushdb_vector_avg_final(PG_FUNCTION_ARGS) { return finish_vector(fcinfo, true); }
Datum rushdb_vector_sum_final(PG_FUNCTION_ARGS) { return finish_vector(fcinfo, false); }
Datum rushdb_halfvec_avg_final(PG_FUNCTION_ARGS) { return finish_halfvec(fcinfo, true); }
Datum rushdb_halfvec_sum_final(PG_FUNCTION_ARGS) { return finish_halfvec(fcinfo, false); }

}  // extern "C"

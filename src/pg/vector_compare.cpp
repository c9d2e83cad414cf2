// Total order for the btree operator class: elementwise on the common
// prefix, then the shorter vector first. -0 and 0 compare equal.
#include "pg_prelude.hpp"
#include "vector_type.hpp"

using namespace rushdb::pg;

static int compare_vectors(const Vector* a, const Vector* b) {
    int n = a->dim < b->dim ? a->dim : b->dim;
    for (int i = 0; i < n; ++i) {
        if (a->x[i] < b->x[i]) return -1;
        if (a->x[i] > b->x[i]) return 1;
    }
    return (a->dim > b->dim) - (a->dim < b->dim);
}

#define RUSHDB_COMPARE_FN(name, expr)                                \
    PG_FUNCTION_INFO_V1(name);                                       \
    Datum name(PG_FUNCTION_ARGS) {                                   \
        Vector *a = RUSHDB_ARG_VECTOR(0), *b = RUSHDB_ARG_VECTOR(1); \
        int c = compare_vectors(a, b);                               \
        PG_FREE_IF_COPY(a, 0);                                       \
        PG_FREE_IF_COPY(b, 1);                                       \
        expr;                                                        \
    }

extern "C" {
RUSHDB_COMPARE_FN(rushdb_vector_cmp, PG_RETURN_INT32(c))
RUSHDB_COMPARE_FN(rushdb_vector_lt, PG_RETURN_BOOL(c < 0))
RUSHDB_COMPARE_FN(rushdb_vector_le, PG_RETURN_BOOL(c <= 0))
RUSHDB_COMPARE_FN(rushdb_vector_eq, PG_RETURN_BOOL(c == 0))
RUSHDB_COMPARE_FN(rushdb_vector_ne, PG_RETURN_BOOL(c != 0))
RUSHDB_COMPARE_FN(rushdb_vector_ge, PG_RETURN_BOOL(c >= 0))
RUSHDB_COMPARE_FN(rushdb_vector_gt, PG_RETURN_BOOL(c > 0))
}

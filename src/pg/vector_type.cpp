#include "vector_type.hpp"
extern "C" {
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "utils/syscache.h"
}

namespace rushdb::pg {

Oid vector_type_oid() {
    return GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid, CStringGetDatum("vector"),
                           ObjectIdGetDatum(get_namespace_oid("rushdb", false)));
}

Vector* new_vector(int dim) {
    std::size_t size = vector_size(dim);
    auto* v = static_cast<Vector*>(palloc0(size));
    SET_VARSIZE(v, size);
    v->dim = static_cast<int16>(dim);
    return v;
}

void check_dims(long dim) {
    if (dim < 1)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("vector must have at least 1 dimension")));
    if (dim > kMaxDims)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("vector cannot have more than %d dimensions (got %ld)", kMaxDims, dim)));
}

void check_same_dims(const Vector* a, const Vector* b) {
    if (a->dim != b->dim)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("vector dimensions differ: %d and %d", a->dim, b->dim),
                        errhint("Both operands must have the same number of dimensions.")));
}

void check_typmod(const Vector* v, int32 typmod) {
    if (typmod != -1 && v->dim != typmod)
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("expected %d dimensions, not %d", typmod, v->dim)));
}

void check_element(float value, const char* context) {
    if (std::isnan(value))
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("NaN is not allowed in a vector (%s)", context)));
    if (std::isinf(value))
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("Infinity is not allowed in a vector (%s)", context)));
}

void check_result_finite(const Vector* v, const char* op) {
    for (int i = 0; i < v->dim; ++i)
        if (!std::isfinite(v->x[i]))
            ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
                            errmsg("value out of range: overflow in vector %s", op)));
}

}  // namespace rushdb::pg

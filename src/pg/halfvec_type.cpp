#include "halfvec_type.hpp"

#include "distance/kernels.hpp"

namespace rushdb::pg {

namespace dist = rushdb::distance;

HalfVec* new_halfvec(int dim) {
    std::size_t size = halfvec_size(dim);
    auto* h = static_cast<HalfVec*>(palloc0(size));
    SET_VARSIZE(h, size);
    h->dim = static_cast<int16>(dim);
    return h;
}

Vector* widen_to_vector(const HalfVec* h) {
    Vector* v = new_vector(h->dim);
    dist::active().half_to_float(h->x, v->x, static_cast<std::size_t>(h->dim));
    return v;
}

HalfVec* narrow_to_halfvec(const Vector* v, const char* what) {
    HalfVec* h = new_halfvec(v->dim);
    for (int i = 0; i < v->dim; ++i) {
        h->x[i] = dist::float_to_half(v->x[i]);
        if (!dist::half_is_finite(h->x[i]))
            ereport(ERROR,
                    (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
                     errmsg("value %.9g is out of range for type halfvec (%s)", static_cast<double>(v->x[i]), what),
                     errdetail("Element %d does not fit a half-precision float, whose largest finite value "
                               "is 65504.",
                               i + 1),
                     errhint("Use rushdb.vector for values of this size.")));
    }
    return h;
}

void check_halfvec_typmod(const HalfVec* h, int32 typmod) {
    if (typmod != -1 && h->dim != typmod)
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("expected %d dimensions, not %d", typmod, h->dim)));
}

void check_same_dims(const HalfVec* a, const HalfVec* b) {
    if (a->dim != b->dim)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("halfvec dimensions differ: %d and %d", a->dim, b->dim),
                        errhint("Both operands must have the same number of dimensions.")));
}

}  // namespace rushdb::pg

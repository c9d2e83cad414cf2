// On-disk and in-memory layout of rushdb.halfvec: IEEE binary16 elements,
// half the bytes of rushdb.vector. A varlena: 4-byte length, int16
// dimension count, int16 reserved (always 0), then dim 16-bit values;
// pgvector's halfvec has the same layout and binary wire form, so drivers
// that read pgvector's halfvec read ours.
//
// Most operations convert to a float32 Vector, reuse rushdb.vector's code
// and narrow the result (narrow_to_halfvec, which rejects what does not fit
// a half); the distances run on the halves directly (half_kernels.hpp).
#pragma once

#include "distance/half.hpp"
#include "pg_prelude.hpp"
#include "vector_type.hpp"

namespace rushdb::pg {

struct HalfVec {
    int32 vl_len_;  // varlena header; use SET_VARSIZE / VARSIZE
    int16 dim;
    int16 reserved;
    uint16 x[FLEXIBLE_ARRAY_MEMBER];
};

inline constexpr std::size_t halfvec_size(int dim) {
    return offsetof(HalfVec, x) + sizeof(uint16) * static_cast<std::size_t>(dim);
}

inline HalfVec* datum_to_halfvec(Datum d) { return reinterpret_cast<HalfVec*>(PG_DETOAST_DATUM(d)); }

#define RUSHDB_ARG_HALFVEC(n) (::rushdb::pg::datum_to_halfvec(PG_GETARG_DATUM(n)))

// palloc0'd halfvec of `dim` elements (dimension already validated).
HalfVec* new_halfvec(int dim);

// The elements as float32 (exact: every half is a float).
Vector* widen_to_vector(const HalfVec* h);

// The float32 elements rounded to the nearest half (ties to even). An
// element beyond the largest half (65504, or rather anything that rounds
// past it) raises 22003 naming `what` ("input", "addition", ...).
HalfVec* narrow_to_halfvec(const Vector* v, const char* what);

// ereport unless the value has the typmod's dimension count (-1 = any).
void check_halfvec_typmod(const HalfVec* h, int32 typmod);
void check_same_dims(const HalfVec* a, const HalfVec* b);

}  // namespace rushdb::pg

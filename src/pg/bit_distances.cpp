// Bit strings as binary-quantized vectors: binary_quantize(vector) -> bit(n),
// and the Hamming and Jaccard distances between two bit(n) (PostgreSQL's own
// varbit type, so the values are ordinary `bit` columns and literals).
#include "pg_prelude.hpp"
#include "vector_type.hpp"

extern "C" {
#include "utils/varbit.h"
}

using namespace rushdb::pg;

namespace {

VarBit* new_bits(int nbits) {
    std::size_t size = VARBITTOTALLEN(static_cast<std::size_t>(nbits));
    auto* r = static_cast<VarBit*>(palloc0(size));
    SET_VARSIZE(r, size);
    VARBITLEN(r) = nbits;
    return r;
}

// A bit(n) keeps its unused trailing bits at zero (PostgreSQL's varbit
// invariant), so counting whole bytes counts only the n real bits.
void check_same_length(const VarBit* a, const VarBit* b) {
    if (VARBITLEN(a) != VARBITLEN(b))
        ereport(ERROR,
                (errcode(ERRCODE_DATA_EXCEPTION), errmsg("different bit lengths %d and %d", VARBITLEN(a), VARBITLEN(b)),
                 errhint("Both bit strings must have the same length.")));
}

struct Counts {
    uint64 both = 0;    // |a AND b|
    uint64 either = 0;  // |a OR b|
    uint64 differ = 0;  // |a XOR b|
};

Counts count_bits(const VarBit* a, const VarBit* b) {
    const bits8* x = VARBITS(a);
    const bits8* y = VARBITS(b);
    std::size_t bytes = VARBITBYTES(a);
    Counts c;
    std::size_t i = 0;
    for (; i + 8 <= bytes; i += 8) {
        uint64 u, v;
        std::memcpy(&u, x + i, 8);
        std::memcpy(&v, y + i, 8);
        c.both += static_cast<uint64>(__builtin_popcountll(u & v));
        c.either += static_cast<uint64>(__builtin_popcountll(u | v));
        c.differ += static_cast<uint64>(__builtin_popcountll(u ^ v));
    }
    for (; i < bytes; ++i) {
        unsigned u = x[i], v = y[i];
        c.both += static_cast<uint64>(__builtin_popcount(u & v));
        c.either += static_cast<uint64>(__builtin_popcount(u | v));
        c.differ += static_cast<uint64>(__builtin_popcount(u ^ v));
    }
    return c;
}

}  // namespace

extern "C" {

PG_FUNCTION_INFO_V1(rushdb_binary_quantize);
PG_FUNCTION_INFO_V1(rushdb_hamming_distance);
PG_FUNCTION_INFO_V1(rushdb_jaccard_distance);

// Bit i (most significant first within each byte, as bit(n) stores it) is 1
// when element i is greater than 0.
Datum rushdb_binary_quantize(PG_FUNCTION_ARGS) {
    Vector* v = RUSHDB_ARG_VECTOR(0);
    VarBit* r = new_bits(v->dim);
    bits8* out = VARBITS(r);
    for (int i = 0; i < v->dim; ++i)
        if (v->x[i] > 0.0f) out[i / 8] |= static_cast<bits8>(0x80u >> (i % 8));
    PG_RETURN_VARBIT_P(r);
}

Datum rushdb_hamming_distance(PG_FUNCTION_ARGS) {
    VarBit* a = PG_GETARG_VARBIT_P(0);
    VarBit* b = PG_GETARG_VARBIT_P(1);
    check_same_length(a, b);
    PG_RETURN_FLOAT8(static_cast<double>(count_bits(a, b).differ));
}

// 1 - |a AND b| / |a OR b|. When no bit is set in both (including two empty
// sets) the distance is 1: nothing in common, as pgvector defines it.
Datum rushdb_jaccard_distance(PG_FUNCTION_ARGS) {
    VarBit* a = PG_GETARG_VARBIT_P(0);
    VarBit* b = PG_GETARG_VARBIT_P(1);
    check_same_length(a, b);
    Counts c = count_bits(a, b);
    if (c.both == 0) PG_RETURN_FLOAT8(1.0);
    PG_RETURN_FLOAT8(1.0 - static_cast<double>(c.both) / static_cast<double>(c.either));
}

}  // extern "C"

// On-disk and in-memory layout of rushdb.vector, and the checks every entry
// point shares. The layout is a varlena: 4-byte length, 2-byte dimension
// count, 2 reserved bytes (always 0), then dim float32 values. It is also the
// binary wire form's shape (dim, reserved, floats), which is what drivers that
// speak pgvector's binary format expect.
#pragma once

#include "pg_prelude.hpp"

extern "C" {
#include "utils/array.h"
}

namespace rushdb::pg {

constexpr int kMaxDims = 16000;

struct Vector {
    int32 vl_len_;  // varlena header; use SET_VARSIZE / VARSIZE
    int16 dim;
    int16 reserved;
    float x[FLEXIBLE_ARRAY_MEMBER];
};

inline constexpr std::size_t vector_size(int dim) {
    return offsetof(Vector, x) + sizeof(float) * static_cast<std::size_t>(dim);
}

inline Vector* datum_to_vector(Datum d) { return reinterpret_cast<Vector*>(PG_DETOAST_DATUM(d)); }

#define RUSHDB_ARG_VECTOR(n) (::rushdb::pg::datum_to_vector(PG_GETARG_DATUM(n)))
#define RUSHDB_RETURN_VECTOR(v) PG_RETURN_POINTER(v)

// palloc0'd vector of `dim` elements (dimension already validated).
Vector* new_vector(int dim);

// OID of rushdb.vector, looked up each time (a cached OID would go stale if
// the extension were dropped and recreated in this session).
Oid vector_type_oid();

// ereport unless 1 <= dim <= kMaxDims.
void check_dims(long dim);
// ereport unless the two operands have the same number of dimensions.
void check_same_dims(const Vector* a, const Vector* b);
// ereport unless the value has the typmod's dimension count (typmod -1 = any).
void check_typmod(const Vector* v, int32 typmod);
// ereport on NaN or infinity; `context` names what produced the value.
void check_element(float value, const char* context);
// ereport 22003 when an arithmetic result overflowed float32.
void check_result_finite(const Vector* v, const char* op);

// Parses the text form [1,2,3] (vector_io.cpp); the type only names itself
// in the errors (a halfvec literal is parsed as float32, then narrowed).
enum class TextType { vector, halfvec };
Vector* vector_from_text(const char* text, TextType type);
// The typmod of vector(n) / halfvec(n) from its modifier list (vector_io.cpp).
int32 dims_typmod(::ArrayType* mods_array, const char* type_name);

}  // namespace rushdb::pg

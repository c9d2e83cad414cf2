// Conversions between PostgreSQL values and C++ ones, for C++ frames (inside
// guarded()): text and std::string, text[] / uuid[] / int8[] / vector[] and
// std::vector, rushdb.vector and float vectors, jsonb and its text. Each
// runs what may ereport (palloc, detoasting, the input functions) through
// pg_call, so a PostgreSQL error arrives as PgError and the caller's C++
// objects unwind. Results are palloc'd in the current memory context.
//
// jsonb_cstring is the exception: it is for plain C frames (it may ereport
// directly), where the jsonb argument of an entry point is read before any
// C++ object exists.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "boundary.hpp"
#include "pg_prelude.hpp"
#include "vector_type.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"
}

namespace rushdb::pg {

// ---------------------------------------------------------------------------
// Plain C frames.

// jsonb -> palloc'd text (its canonical output form).
inline char* jsonb_cstring(Jsonb* jb) { return JsonbToCString(nullptr, &jb->root, VARSIZE(jb)); }

// ---------------------------------------------------------------------------
// C++ frames (throw PgError).

// std::string -> text Datum.
inline Datum text_datum(std::string_view s) {
    return pg_call([&] { return PointerGetDatum(cstring_to_text_with_len(s.data(), static_cast<int>(s.size()))); });
}

// A palloc'd copy of a C++ string, NUL-terminated.
inline char* palloc_cstring(const std::string& s) {
    return pg_call([&] { return pstrdup(s.c_str()); });
}

// A palloc'd array of text Datums, one per string (room for at least one,
// so an empty list still gives a valid pointer).
inline Datum* text_datums(const std::vector<std::string>& strings) {
    Datum* out =
        pg_call([&] { return static_cast<Datum*>(palloc(sizeof(Datum) * (strings.empty() ? 1 : strings.size()))); });
    for (std::size_t i = 0; i < strings.size(); ++i) out[i] = text_datum(strings[i]);
    return out;
}

// The non-null, non-empty elements of a text[] Datum, in order.
inline std::vector<std::string> nonempty_texts(Datum array) {
    Datum* elems = nullptr;
    bool* nulls = nullptr;
    int count = 0;
    pg_call([&] {
        deconstruct_array(DatumGetArrayTypeP(array), TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &count);
    });
    std::vector<std::string> out;
    for (int k = 0; k < count; ++k) {
        if (nulls[k]) continue;
        // deconstruct_array gave detoasted elements: no PostgreSQL call left.
        text* t = reinterpret_cast<text*>(PG_DETOAST_DATUM_PACKED(elems[k]));
        if (VARSIZE_ANY_EXHDR(t) == 0) continue;
        out.emplace_back(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
    }
    return out;
}

// uuid[] of the ids (pointed to, not copied: they must outlive the Datum's use).
inline Datum uuid_array_datum(const std::vector<const pg_uuid_t*>& ids) {
    return pg_call([&] {
        Datum* elems = static_cast<Datum*>(palloc(sizeof(Datum) * (ids.size() + 1)));
        for (std::size_t i = 0; i < ids.size(); ++i) elems[i] = UUIDPGetDatum(const_cast<pg_uuid_t*>(ids[i]));
        return PointerGetDatum(
            construct_array(elems, static_cast<int>(ids.size()), UUIDOID, UUID_LEN, false, TYPALIGN_CHAR));
    });
}

// int8[] of the values.
inline Datum int8_array_datum(const std::vector<int64>& values) {
    return pg_call([&] {
        Datum* elems = static_cast<Datum*>(palloc(sizeof(Datum) * (values.size() + 1)));
        for (std::size_t i = 0; i < values.size(); ++i) elems[i] = Int64GetDatum(values[i]);
        return PointerGetDatum(
            construct_array(elems, static_cast<int>(values.size()), INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
    });
}

// rushdb.vector of `dims` elements holding v (v.size() <= dims).
inline Datum vector_datum(const std::vector<float>& v, int dims) {
    return pg_call([&] {
        Vector* vec = new_vector(dims);
        std::memcpy(vec->x, v.data(), sizeof(float) * v.size());
        return PointerGetDatum(vec);
    });
}

// rushdb.vector[] of vector Datums; `vector_type` is rushdb.vector's OID.
inline Datum vector_array_datum(const std::vector<Datum>& vectors, Oid vector_type) {
    return pg_call([&] {
        return PointerGetDatum(construct_array(const_cast<Datum*>(vectors.data()), static_cast<int>(vectors.size()),
                                               vector_type, -1, false, TYPALIGN_INT));
    });
}

// jsonb parsed from its text.
inline Datum jsonb_datum(const std::string& s) {
    return pg_call([&] { return DirectFunctionCall1(jsonb_in, CStringGetDatum(pstrdup(s.c_str()))); });
}

// An identifier quoted for SQL where needed (quote_identifier).
inline std::string quoted_identifier(const std::string& name) {
    return pg_call([&] { return std::string(quote_identifier(name.c_str())); });
}

}  // namespace rushdb::pg

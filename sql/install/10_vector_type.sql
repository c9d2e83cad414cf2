-- rushdb.vector: float32 elements, 1..16000 dimensions, typmod = dimensions.

CREATE TYPE rushdb.vector;

CREATE FUNCTION rushdb_internal.vector_in(cstring, oid, integer) RETURNS rushdb.vector
    AS 'MODULE_PATHNAME', 'rushdb_vector_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb_internal.vector_out(rushdb.vector) RETURNS cstring
    AS 'MODULE_PATHNAME', 'rushdb_vector_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb_internal.vector_typmod_in(cstring[]) RETURNS integer
    AS 'MODULE_PATHNAME', 'rushdb_vector_typmod_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb_internal.vector_recv(internal, oid, integer) RETURNS rushdb.vector
    AS 'MODULE_PATHNAME', 'rushdb_vector_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb_internal.vector_send(rushdb.vector) RETURNS bytea
    AS 'MODULE_PATHNAME', 'rushdb_vector_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- STORAGE main: vectors stay inline in the heap tuple while they fit a page
-- (about 2,000 dimensions), so a sequential scan reads them without TOAST
-- lookups; float data does not compress, and pglz gives up on it quickly.
CREATE TYPE rushdb.vector (
    INPUT = rushdb_internal.vector_in,
    OUTPUT = rushdb_internal.vector_out,
    TYPMOD_IN = rushdb_internal.vector_typmod_in,
    RECEIVE = rushdb_internal.vector_recv,
    SEND = rushdb_internal.vector_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = int4,
    STORAGE = main,
    -- Its own type category ('v', with halfvec), vector preferred: a bare
    -- literal such as vector_dims('[1,2,3]') resolves to vector instead of
    -- being ambiguous between the vector and halfvec overloads.
    CATEGORY = 'v',
    PREFERRED = true
);

COMMENT ON TYPE rushdb.vector IS
    'float32 vector, 1..16000 dimensions; text form [1,2,3] (pgvector-compatible)';

-- vector(n) enforcement on assignment and explicit casts.
CREATE FUNCTION rushdb.vector(rushdb.vector, integer, boolean) RETURNS rushdb.vector
    AS 'MODULE_PATHNAME', 'rushdb_vector_enforce_typmod' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE CAST (rushdb.vector AS rushdb.vector)
    WITH FUNCTION rushdb.vector(rushdb.vector, integer, boolean) AS IMPLICIT;

-- Arrays -> vector. One C function serves every numeric element type.
CREATE FUNCTION rushdb.array_to_vector(real[], integer, boolean) RETURNS rushdb.vector
    AS 'MODULE_PATHNAME', 'rushdb_array_to_vector' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.array_to_vector(double precision[], integer, boolean) RETURNS rushdb.vector
    AS 'MODULE_PATHNAME', 'rushdb_array_to_vector' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.array_to_vector(integer[], integer, boolean) RETURNS rushdb.vector
    AS 'MODULE_PATHNAME', 'rushdb_array_to_vector' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.array_to_vector(numeric[], integer, boolean) RETURNS rushdb.vector
    AS 'MODULE_PATHNAME', 'rushdb_array_to_vector' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE CAST (real[] AS rushdb.vector)
    WITH FUNCTION rushdb.array_to_vector(real[], integer, boolean) AS ASSIGNMENT;
CREATE CAST (double precision[] AS rushdb.vector)
    WITH FUNCTION rushdb.array_to_vector(double precision[], integer, boolean) AS ASSIGNMENT;
CREATE CAST (integer[] AS rushdb.vector)
    WITH FUNCTION rushdb.array_to_vector(integer[], integer, boolean) AS ASSIGNMENT;
CREATE CAST (numeric[] AS rushdb.vector)
    WITH FUNCTION rushdb.array_to_vector(numeric[], integer, boolean) AS ASSIGNMENT;

-- jsonb array of numbers -> vector (explicit: '[...]'::jsonb::rushdb.vector).
CREATE FUNCTION rushdb.jsonb_to_vector(jsonb, integer, boolean) RETURNS rushdb.vector
    AS 'MODULE_PATHNAME', 'rushdb_jsonb_to_vector' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE CAST (jsonb AS rushdb.vector)
    WITH FUNCTION rushdb.jsonb_to_vector(jsonb, integer, boolean);

-- vector -> real[].
CREATE FUNCTION rushdb.vector_to_float4(rushdb.vector, integer, boolean) RETURNS real[]
    AS 'MODULE_PATHNAME', 'rushdb_vector_to_float4' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE CAST (rushdb.vector AS real[])
    WITH FUNCTION rushdb.vector_to_float4(rushdb.vector, integer, boolean) AS ASSIGNMENT;

-- New in 0.2.0: rushdb.halfvec, half-precision (IEEE binary16) vectors of
-- 1..16000 dimensions: half the storage of rushdb.vector, the same text
-- form, pgvector's halfvec layout and binary format. Functions and
-- operators mirror rushdb.vector's under the same names (and pgvector's
-- halfvec_* names for the support functions).

CREATE TYPE rushdb.halfvec;

CREATE FUNCTION rushdb_internal.halfvec_in(cstring, oid, integer) RETURNS rushdb.halfvec
    AS 'MODULE_PATHNAME', 'rushdb_halfvec_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb_internal.halfvec_out(rushdb.halfvec) RETURNS cstring
    AS 'MODULE_PATHNAME', 'rushdb_halfvec_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb_internal.halfvec_typmod_in(cstring[]) RETURNS integer
    AS 'MODULE_PATHNAME', 'rushdb_halfvec_typmod_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb_internal.halfvec_recv(internal, oid, integer) RETURNS rushdb.halfvec
    AS 'MODULE_PATHNAME', 'rushdb_halfvec_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb_internal.halfvec_send(rushdb.halfvec) RETURNS bytea
    AS 'MODULE_PATHNAME', 'rushdb_halfvec_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- STORAGE main, as for vector: inline in the heap tuple while it fits a
-- page (about 4,000 dimensions here).
CREATE TYPE rushdb.halfvec (
    INPUT = rushdb_internal.halfvec_in,
    OUTPUT = rushdb_internal.halfvec_out,
    TYPMOD_IN = rushdb_internal.halfvec_typmod_in,
    RECEIVE = rushdb_internal.halfvec_recv,
    SEND = rushdb_internal.halfvec_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = int4,
    STORAGE = main,
    CATEGORY = 'v'  -- vector's category, where vector is the preferred type
);

-- Casts: halfvec(n) on assignment; vector -> halfvec implicit (a float32
-- query vector compares with a halfvec column without a cast, rounded to
-- the nearest half), halfvec -> vector and arrays on assignment.
CREATE FUNCTION rushdb.halfvec(rushdb.halfvec, integer, boolean) RETURNS rushdb.halfvec
    AS 'MODULE_PATHNAME', 'rushdb_halfvec_enforce_typmod' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.halfvec_to_vector(rushdb.halfvec, integer, boolean) RETURNS rushdb.vector
    AS 'MODULE_PATHNAME', 'rushdb_halfvec_to_vector' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.vector_to_halfvec(rushdb.vector, integer, boolean) RETURNS rushdb.halfvec
    AS 'MODULE_PATHNAME', 'rushdb_vector_to_halfvec' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.array_to_halfvec(real[], integer, boolean) RETURNS rushdb.halfvec
    AS 'MODULE_PATHNAME', 'rushdb_array_to_halfvec' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.array_to_halfvec(double precision[], integer, boolean) RETURNS rushdb.halfvec
    AS 'MODULE_PATHNAME', 'rushdb_array_to_halfvec' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.array_to_halfvec(integer[], integer, boolean) RETURNS rushdb.halfvec
    AS 'MODULE_PATHNAME', 'rushdb_array_to_halfvec' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.array_to_halfvec(numeric[], integer, boolean) RETURNS rushdb.halfvec
    AS 'MODULE_PATHNAME', 'rushdb_array_to_halfvec' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.halfvec_to_float4(rushdb.halfvec, integer, boolean) RETURNS real[]
    AS 'MODULE_PATHNAME', 'rushdb_halfvec_to_float4' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE CAST (rushdb.halfvec AS rushdb.halfvec)
    WITH FUNCTION rushdb.halfvec(rushdb.halfvec, integer, boolean) AS IMPLICIT;
CREATE CAST (rushdb.halfvec AS rushdb.vector)
    WITH FUNCTION rushdb.halfvec_to_vector(rushdb.halfvec, integer, boolean) AS ASSIGNMENT;
CREATE CAST (rushdb.vector AS rushdb.halfvec)
    WITH FUNCTION rushdb.vector_to_halfvec(rushdb.vector, integer, boolean) AS IMPLICIT;
CREATE CAST (rushdb.halfvec AS real[])
    WITH FUNCTION rushdb.halfvec_to_float4(rushdb.halfvec, integer, boolean) AS ASSIGNMENT;
CREATE CAST (real[] AS rushdb.halfvec)
    WITH FUNCTION rushdb.array_to_halfvec(real[], integer, boolean) AS ASSIGNMENT;
CREATE CAST (double precision[] AS rushdb.halfvec)
    WITH FUNCTION rushdb.array_to_halfvec(double precision[], integer, boolean) AS ASSIGNMENT;
CREATE CAST (integer[] AS rushdb.halfvec)
    WITH FUNCTION rushdb.array_to_halfvec(integer[], integer, boolean) AS ASSIGNMENT;
CREATE CAST (numeric[] AS rushdb.halfvec)
    WITH FUNCTION rushdb.array_to_halfvec(numeric[], integer, boolean) AS ASSIGNMENT;

-- Distances (computed on the halves; results are double precision).
CREATE FUNCTION rushdb.l2_distance(rushdb.halfvec, rushdb.halfvec) RETURNS double precision
    AS 'MODULE_PATHNAME', 'rushdb_halfvec_l2_distance' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.halfvec_l2_squared_distance(rushdb.halfvec, rushdb.halfvec) RETURNS double precision
    AS 'MODULE_PATHNAME', 'rushdb_halfvec_l2_squared_distance' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.cosine_distance(rushdb.halfvec, rushdb.halfvec) RETURNS double precision
    AS 'MODULE_PATHNAME', 'rushdb_halfvec_cosine_distance' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.inner_product(rushdb.halfvec, rushdb.halfvec) RETURNS double precision
    AS 'MODULE_PATHNAME', 'rushdb_halfvec_inner_product' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.halfvec_negative_inner_product(rushdb.halfvec, rushdb.halfvec) RETURNS double precision
    AS 'MODULE_PATHNAME', 'rushdb_halfvec_negative_inner_product' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.halfvec_spherical_distance(rushdb.halfvec, rushdb.halfvec) RETURNS double precision
    AS 'MODULE_PATHNAME', 'rushdb_halfvec_spherical_distance' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.l1_distance(rushdb.halfvec, rushdb.halfvec) RETURNS double precision
    AS 'MODULE_PATHNAME', 'rushdb_halfvec_l1_distance' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION rushdb.vector_dims(rushdb.halfvec) RETURNS integer
    AS 'MODULE_PATHNAME', 'rushdb_halfvec_dims' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.l2_norm(rushdb.halfvec) RETURNS double precision
    AS 'MODULE_PATHNAME', 'rushdb_halfvec_l2_norm' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.l2_normalize(rushdb.halfvec) RETURNS rushdb.halfvec
    AS 'MODULE_PATHNAME', 'rushdb_halfvec_l2_normalize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.binary_quantize(rushdb.halfvec) RETURNS bit
    AS 'MODULE_PATHNAME', 'rushdb_halfvec_binary_quantize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.subvector(rushdb.halfvec, integer, integer) RETURNS rushdb.halfvec
    AS 'MODULE_PATHNAME', 'rushdb_halfvec_subvector' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.halfvec_concat(rushdb.halfvec, rushdb.halfvec) RETURNS rushdb.halfvec
    AS 'MODULE_PATHNAME', 'rushdb_halfvec_concat' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.halfvec_add(rushdb.halfvec, rushdb.halfvec) RETURNS rushdb.halfvec
    AS 'MODULE_PATHNAME', 'rushdb_halfvec_add' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.halfvec_sub(rushdb.halfvec, rushdb.halfvec) RETURNS rushdb.halfvec
    AS 'MODULE_PATHNAME', 'rushdb_halfvec_sub' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.halfvec_mul(rushdb.halfvec, rushdb.halfvec) RETURNS rushdb.halfvec
    AS 'MODULE_PATHNAME', 'rushdb_halfvec_mul' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OPERATOR rushdb.<-> (LEFTARG = rushdb.halfvec, RIGHTARG = rushdb.halfvec,
    FUNCTION = rushdb.l2_distance, COMMUTATOR = OPERATOR(rushdb.<->));
CREATE OPERATOR rushdb.<=> (LEFTARG = rushdb.halfvec, RIGHTARG = rushdb.halfvec,
    FUNCTION = rushdb.cosine_distance, COMMUTATOR = OPERATOR(rushdb.<=>));
CREATE OPERATOR rushdb.<#> (LEFTARG = rushdb.halfvec, RIGHTARG = rushdb.halfvec,
    FUNCTION = rushdb.halfvec_negative_inner_product, COMMUTATOR = OPERATOR(rushdb.<#>));
CREATE OPERATOR rushdb.<+> (LEFTARG = rushdb.halfvec, RIGHTARG = rushdb.halfvec,
    FUNCTION = rushdb.l1_distance, COMMUTATOR = OPERATOR(rushdb.<+>));
CREATE OPERATOR rushdb.|| (LEFTARG = rushdb.halfvec, RIGHTARG = rushdb.halfvec,
    FUNCTION = rushdb.halfvec_concat);
CREATE OPERATOR rushdb.+ (LEFTARG = rushdb.halfvec, RIGHTARG = rushdb.halfvec,
    FUNCTION = rushdb.halfvec_add, COMMUTATOR = OPERATOR(rushdb.+));
CREATE OPERATOR rushdb.- (LEFTARG = rushdb.halfvec, RIGHTARG = rushdb.halfvec,
    FUNCTION = rushdb.halfvec_sub);
CREATE OPERATOR rushdb.* (LEFTARG = rushdb.halfvec, RIGHTARG = rushdb.halfvec,
    FUNCTION = rushdb.halfvec_mul, COMMUTATOR = OPERATOR(rushdb.*));

-- Comparisons and the default btree operator class, ordered as vector is.
CREATE FUNCTION rushdb.halfvec_lt(rushdb.halfvec, rushdb.halfvec) RETURNS boolean
    AS 'MODULE_PATHNAME', 'rushdb_halfvec_lt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.halfvec_le(rushdb.halfvec, rushdb.halfvec) RETURNS boolean
    AS 'MODULE_PATHNAME', 'rushdb_halfvec_le' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.halfvec_eq(rushdb.halfvec, rushdb.halfvec) RETURNS boolean
    AS 'MODULE_PATHNAME', 'rushdb_halfvec_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.halfvec_ne(rushdb.halfvec, rushdb.halfvec) RETURNS boolean
    AS 'MODULE_PATHNAME', 'rushdb_halfvec_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.halfvec_ge(rushdb.halfvec, rushdb.halfvec) RETURNS boolean
    AS 'MODULE_PATHNAME', 'rushdb_halfvec_ge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.halfvec_gt(rushdb.halfvec, rushdb.halfvec) RETURNS boolean
    AS 'MODULE_PATHNAME', 'rushdb_halfvec_gt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.halfvec_cmp(rushdb.halfvec, rushdb.halfvec) RETURNS integer
    AS 'MODULE_PATHNAME', 'rushdb_halfvec_cmp' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OPERATOR rushdb.< (LEFTARG = rushdb.halfvec, RIGHTARG = rushdb.halfvec,
    FUNCTION = rushdb.halfvec_lt, COMMUTATOR = OPERATOR(rushdb.>), NEGATOR = OPERATOR(rushdb.>=),
    RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR rushdb.<= (LEFTARG = rushdb.halfvec, RIGHTARG = rushdb.halfvec,
    FUNCTION = rushdb.halfvec_le, COMMUTATOR = OPERATOR(rushdb.>=), NEGATOR = OPERATOR(rushdb.>),
    RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR rushdb.= (LEFTARG = rushdb.halfvec, RIGHTARG = rushdb.halfvec,
    FUNCTION = rushdb.halfvec_eq, COMMUTATOR = OPERATOR(rushdb.=), NEGATOR = OPERATOR(rushdb.<>),
    RESTRICT = eqsel, JOIN = eqjoinsel, MERGES);
CREATE OPERATOR rushdb.<> (LEFTARG = rushdb.halfvec, RIGHTARG = rushdb.halfvec,
    FUNCTION = rushdb.halfvec_ne, COMMUTATOR = OPERATOR(rushdb.<>), NEGATOR = OPERATOR(rushdb.=),
    RESTRICT = neqsel, JOIN = neqjoinsel);
CREATE OPERATOR rushdb.>= (LEFTARG = rushdb.halfvec, RIGHTARG = rushdb.halfvec,
    FUNCTION = rushdb.halfvec_ge, COMMUTATOR = OPERATOR(rushdb.<=), NEGATOR = OPERATOR(rushdb.<),
    RESTRICT = scalargesel, JOIN = scalargejoinsel);
CREATE OPERATOR rushdb.> (LEFTARG = rushdb.halfvec, RIGHTARG = rushdb.halfvec,
    FUNCTION = rushdb.halfvec_gt, COMMUTATOR = OPERATOR(rushdb.<), NEGATOR = OPERATOR(rushdb.<=),
    RESTRICT = scalargtsel, JOIN = scalargtjoinsel);

CREATE OPERATOR CLASS rushdb.halfvec_ops
    DEFAULT FOR TYPE rushdb.halfvec USING btree AS
        OPERATOR 1 rushdb.< ,
        OPERATOR 2 rushdb.<= ,
        OPERATOR 3 rushdb.= ,
        OPERATOR 4 rushdb.>= ,
        OPERATOR 5 rushdb.> ,
        FUNCTION 1 rushdb.halfvec_cmp(rushdb.halfvec, rushdb.halfvec);

-- avg / sum: the same float8[] state as vector's ({count, sums...}, in
-- double), so the sum is narrowed once at the end.
CREATE FUNCTION rushdb.halfvec_accum(double precision[], rushdb.halfvec) RETURNS double precision[]
    AS 'MODULE_PATHNAME', 'rushdb_halfvec_accum' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.halfvec_combine(double precision[], double precision[]) RETURNS double precision[]
    AS 'MODULE_PATHNAME', 'rushdb_vector_combine' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.halfvec_avg(double precision[]) RETURNS rushdb.halfvec
    AS 'MODULE_PATHNAME', 'rushdb_halfvec_avg_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.halfvec_sum_final(double precision[]) RETURNS rushdb.halfvec
    AS 'MODULE_PATHNAME', 'rushdb_halfvec_sum_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE rushdb.avg(rushdb.halfvec) (
    SFUNC = rushdb.halfvec_accum,
    STYPE = double precision[],
    FINALFUNC = rushdb.halfvec_avg,
    COMBINEFUNC = rushdb.halfvec_combine,
    INITCOND = '{0}',
    PARALLEL = SAFE
);

CREATE AGGREGATE rushdb.sum(rushdb.halfvec) (
    SFUNC = rushdb.halfvec_accum,
    STYPE = double precision[],
    FINALFUNC = rushdb.halfvec_sum_final,
    COMBINEFUNC = rushdb.halfvec_combine,
    INITCOND = '{0}',
    PARALLEL = SAFE
);

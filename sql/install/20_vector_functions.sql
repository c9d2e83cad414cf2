-- Distances, norms, arithmetic and their operators.

CREATE FUNCTION rushdb.l2_distance(rushdb.vector, rushdb.vector) RETURNS double precision
    AS 'MODULE_PATHNAME', 'rushdb_l2_distance' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.l2_squared_distance(rushdb.vector, rushdb.vector) RETURNS double precision
    AS 'MODULE_PATHNAME', 'rushdb_l2_squared_distance' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
-- NaN when either side is a zero vector (no direction to compare).
CREATE FUNCTION rushdb.cosine_distance(rushdb.vector, rushdb.vector) RETURNS double precision
    AS 'MODULE_PATHNAME', 'rushdb_cosine_distance' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.inner_product(rushdb.vector, rushdb.vector) RETURNS double precision
    AS 'MODULE_PATHNAME', 'rushdb_inner_product' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.negative_inner_product(rushdb.vector, rushdb.vector) RETURNS double precision
    AS 'MODULE_PATHNAME', 'rushdb_negative_inner_product' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.l1_distance(rushdb.vector, rushdb.vector) RETURNS double precision
    AS 'MODULE_PATHNAME', 'rushdb_l1_distance' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION rushdb.vector_dims(rushdb.vector) RETURNS integer
    AS 'MODULE_PATHNAME', 'rushdb_vector_dims' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.vector_norm(rushdb.vector) RETURNS double precision
    AS 'MODULE_PATHNAME', 'rushdb_vector_norm' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.l2_normalize(rushdb.vector) RETURNS rushdb.vector
    AS 'MODULE_PATHNAME', 'rushdb_l2_normalize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
-- subvector(v, start, count): 1-based start, cut to the bounds like substring().
CREATE FUNCTION rushdb.subvector(rushdb.vector, integer, integer) RETURNS rushdb.vector
    AS 'MODULE_PATHNAME', 'rushdb_subvector' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.vector_concat(rushdb.vector, rushdb.vector) RETURNS rushdb.vector
    AS 'MODULE_PATHNAME', 'rushdb_vector_concat' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
-- Without it, vector || vector resolved to text concatenation.
CREATE OPERATOR rushdb.|| (LEFTARG = rushdb.vector, RIGHTARG = rushdb.vector, FUNCTION = rushdb.vector_concat);

CREATE FUNCTION rushdb.vector_add(rushdb.vector, rushdb.vector) RETURNS rushdb.vector
    AS 'MODULE_PATHNAME', 'rushdb_vector_add' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.vector_sub(rushdb.vector, rushdb.vector) RETURNS rushdb.vector
    AS 'MODULE_PATHNAME', 'rushdb_vector_sub' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.vector_mul(rushdb.vector, rushdb.vector) RETURNS rushdb.vector
    AS 'MODULE_PATHNAME', 'rushdb_vector_mul' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OPERATOR rushdb.<-> (LEFTARG = rushdb.vector, RIGHTARG = rushdb.vector,
    FUNCTION = rushdb.l2_distance, COMMUTATOR = OPERATOR(rushdb.<->));
CREATE OPERATOR rushdb.<=> (LEFTARG = rushdb.vector, RIGHTARG = rushdb.vector,
    FUNCTION = rushdb.cosine_distance, COMMUTATOR = OPERATOR(rushdb.<=>));
CREATE OPERATOR rushdb.<#> (LEFTARG = rushdb.vector, RIGHTARG = rushdb.vector,
    FUNCTION = rushdb.negative_inner_product, COMMUTATOR = OPERATOR(rushdb.<#>));
CREATE OPERATOR rushdb.<+> (LEFTARG = rushdb.vector, RIGHTARG = rushdb.vector,
    FUNCTION = rushdb.l1_distance, COMMUTATOR = OPERATOR(rushdb.<+>));

CREATE OPERATOR rushdb.+ (LEFTARG = rushdb.vector, RIGHTARG = rushdb.vector,
    FUNCTION = rushdb.vector_add, COMMUTATOR = OPERATOR(rushdb.+));
CREATE OPERATOR rushdb.- (LEFTARG = rushdb.vector, RIGHTARG = rushdb.vector,
    FUNCTION = rushdb.vector_sub);
CREATE OPERATOR rushdb.* (LEFTARG = rushdb.vector, RIGHTARG = rushdb.vector,
    FUNCTION = rushdb.vector_mul, COMMUTATOR = OPERATOR(rushdb.*));

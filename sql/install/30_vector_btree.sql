-- Comparisons and the default btree operator class (ORDER BY, DISTINCT,
-- unique indexes). Order: elementwise, then fewer dimensions first.

CREATE FUNCTION rushdb.vector_lt(rushdb.vector, rushdb.vector) RETURNS boolean
    AS 'MODULE_PATHNAME', 'rushdb_vector_lt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.vector_le(rushdb.vector, rushdb.vector) RETURNS boolean
    AS 'MODULE_PATHNAME', 'rushdb_vector_le' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.vector_eq(rushdb.vector, rushdb.vector) RETURNS boolean
    AS 'MODULE_PATHNAME', 'rushdb_vector_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.vector_ne(rushdb.vector, rushdb.vector) RETURNS boolean
    AS 'MODULE_PATHNAME', 'rushdb_vector_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.vector_ge(rushdb.vector, rushdb.vector) RETURNS boolean
    AS 'MODULE_PATHNAME', 'rushdb_vector_ge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.vector_gt(rushdb.vector, rushdb.vector) RETURNS boolean
    AS 'MODULE_PATHNAME', 'rushdb_vector_gt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.vector_cmp(rushdb.vector, rushdb.vector) RETURNS integer
    AS 'MODULE_PATHNAME', 'rushdb_vector_cmp' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OPERATOR rushdb.< (LEFTARG = rushdb.vector, RIGHTARG = rushdb.vector,
    FUNCTION = rushdb.vector_lt, COMMUTATOR = OPERATOR(rushdb.>), NEGATOR = OPERATOR(rushdb.>=),
    RESTRICT = scalarltsel, JOIN = scalarltjoinsel);
CREATE OPERATOR rushdb.<= (LEFTARG = rushdb.vector, RIGHTARG = rushdb.vector,
    FUNCTION = rushdb.vector_le, COMMUTATOR = OPERATOR(rushdb.>=), NEGATOR = OPERATOR(rushdb.>),
    RESTRICT = scalarlesel, JOIN = scalarlejoinsel);
CREATE OPERATOR rushdb.= (LEFTARG = rushdb.vector, RIGHTARG = rushdb.vector,
    FUNCTION = rushdb.vector_eq, COMMUTATOR = OPERATOR(rushdb.=), NEGATOR = OPERATOR(rushdb.<>),
    RESTRICT = eqsel, JOIN = eqjoinsel, MERGES);
CREATE OPERATOR rushdb.<> (LEFTARG = rushdb.vector, RIGHTARG = rushdb.vector,
    FUNCTION = rushdb.vector_ne, COMMUTATOR = OPERATOR(rushdb.<>), NEGATOR = OPERATOR(rushdb.=),
    RESTRICT = neqsel, JOIN = neqjoinsel);
CREATE OPERATOR rushdb.>= (LEFTARG = rushdb.vector, RIGHTARG = rushdb.vector,
    FUNCTION = rushdb.vector_ge, COMMUTATOR = OPERATOR(rushdb.<=), NEGATOR = OPERATOR(rushdb.<),
    RESTRICT = scalargesel, JOIN = scalargejoinsel);
CREATE OPERATOR rushdb.> (LEFTARG = rushdb.vector, RIGHTARG = rushdb.vector,
    FUNCTION = rushdb.vector_gt, COMMUTATOR = OPERATOR(rushdb.<), NEGATOR = OPERATOR(rushdb.<=),
    RESTRICT = scalargtsel, JOIN = scalargtjoinsel);

CREATE OPERATOR CLASS rushdb.vector_ops
    DEFAULT FOR TYPE rushdb.vector USING btree AS
        OPERATOR 1 rushdb.< ,
        OPERATOR 2 rushdb.<= ,
        OPERATOR 3 rushdb.= ,
        OPERATOR 4 rushdb.>= ,
        OPERATOR 5 rushdb.> ,
        FUNCTION 1 rushdb.vector_cmp(rushdb.vector, rushdb.vector);

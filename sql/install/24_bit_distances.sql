-- New in 0.2.0: distances between bit strings (PostgreSQL's bit(n)), for
-- binary-quantized vectors: binary_quantize(embedding) <~> binary_quantize(q).
-- The operators live in schema rushdb like the vector ones; a role reaches
-- them with rushdb on its search_path or as OPERATOR(rushdb.<~>).

CREATE FUNCTION rushdb.hamming_distance(bit, bit) RETURNS double precision
    AS 'MODULE_PATHNAME', 'rushdb_hamming_distance' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
-- 1 - |a AND b| / |a OR b|; 1 when no bit is set in both.
CREATE FUNCTION rushdb.jaccard_distance(bit, bit) RETURNS double precision
    AS 'MODULE_PATHNAME', 'rushdb_jaccard_distance' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OPERATOR rushdb.<~> (LEFTARG = bit, RIGHTARG = bit,
    FUNCTION = rushdb.hamming_distance, COMMUTATOR = OPERATOR(rushdb.<~>));
CREATE OPERATOR rushdb.<%> (LEFTARG = bit, RIGHTARG = bit,
    FUNCTION = rushdb.jaccard_distance, COMMUTATOR = OPERATOR(rushdb.<%>));

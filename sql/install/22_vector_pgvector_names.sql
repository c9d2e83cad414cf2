-- New in 0.2.0: pgvector's names for functions of rushdb.vector, so SQL
-- written for pgvector (its operator classes' support functions, queries
-- that call them by name) runs unchanged. The same C functions as the
-- rushdb names where one exists.

CREATE FUNCTION rushdb.vector_l2_squared_distance(rushdb.vector, rushdb.vector) RETURNS double precision
    AS 'MODULE_PATHNAME', 'rushdb_l2_squared_distance' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.vector_negative_inner_product(rushdb.vector, rushdb.vector) RETURNS double precision
    AS 'MODULE_PATHNAME', 'rushdb_negative_inner_product' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
-- acos(a.b) / pi with a.b clamped to [-1, 1]: the angle between two unit
-- vectors as a fraction of a half turn.
CREATE FUNCTION rushdb.vector_spherical_distance(rushdb.vector, rushdb.vector) RETURNS double precision
    AS 'MODULE_PATHNAME', 'rushdb_vector_spherical_distance' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
-- avg's final function under pgvector's name (rushdb.vector_avg_final).
CREATE FUNCTION rushdb.vector_avg(double precision[]) RETURNS rushdb.vector
    AS 'MODULE_PATHNAME', 'rushdb_vector_avg_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
-- Bit i is 1 when element i is greater than 0.
CREATE FUNCTION rushdb.binary_quantize(rushdb.vector) RETURNS bit
    AS 'MODULE_PATHNAME', 'rushdb_binary_quantize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- avg / sum over vectors, parallel-safe: the float8[] state {count, sums...}
-- is combined by adding partial states.

CREATE FUNCTION rushdb.vector_accum(double precision[], rushdb.vector) RETURNS double precision[]
    AS 'MODULE_PATHNAME', 'rushdb_vector_accum' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.vector_combine(double precision[], double precision[]) RETURNS double precision[]
    AS 'MODULE_PATHNAME', 'rushdb_vector_combine' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.vector_avg_final(double precision[]) RETURNS rushdb.vector
    AS 'MODULE_PATHNAME', 'rushdb_vector_avg_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION rushdb.vector_sum_final(double precision[]) RETURNS rushdb.vector
    AS 'MODULE_PATHNAME', 'rushdb_vector_sum_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE rushdb.avg(rushdb.vector) (
    SFUNC = rushdb.vector_accum,
    STYPE = double precision[],
    FINALFUNC = rushdb.vector_avg_final,
    COMBINEFUNC = rushdb.vector_combine,
    INITCOND = '{0}',
    PARALLEL = SAFE
);

CREATE AGGREGATE rushdb.sum(rushdb.vector) (
    SFUNC = rushdb.vector_accum,
    STYPE = double precision[],
    FINALFUNC = rushdb.vector_sum_final,
    COMBINEFUNC = rushdb.vector_combine,
    INITCOND = '{0}',
    PARALLEL = SAFE
);

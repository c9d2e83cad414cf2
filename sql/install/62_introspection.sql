-- Which distance kernel set this backend runs (scalar, sse2, avx2+fma,
-- avx512f, neon). SET rushdb.simd = '<name>' forces one (tests, benchmarks).
CREATE FUNCTION rushdb.simd_info() RETURNS text
    AS 'MODULE_PATHNAME', 'rushdb_simd_info' LANGUAGE C STABLE STRICT PARALLEL SAFE;

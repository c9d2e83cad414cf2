--
-- rushdb.halfvec: half-precision vectors. Input rounds each element to the
-- nearest half (ties to even) and refuses what does not fit (beyond 65504
-- after rounding); output prints each half as the shortest float32 text;
-- distances, functions, casts, comparisons and aggregates mirror vector's.
-- Every value below was checked against pgvector 0.8.6's halfvec side by
-- side; where the two differ on purpose the comment says so.
--
\set SHOW_CONTEXT never
\set VERBOSITY default
SET search_path = public, rushdb;
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/sql/include/expect_error.sql

-- Text input and output.
SELECT '[1,2,3]'::halfvec, '[ 1.5 , -2 ]'::halfvec, '[-0]'::halfvec;
-- 0.1 is not a half: the nearest one prints as what it is. 1e-8 is below
-- half the smallest subnormal (2^-25) and rounds to 0; 3e-8 rounds up to
-- the smallest subnormal 2^-24; 65519 rounds down to 65504.
SELECT '[0.1,1e-8,65504,-65504,65519,1e-5,6e-8,3e-8,-0]'::halfvec;
SELECT pg_temp.expect_error($$SELECT '[65520]'::halfvec$$) AS tie_rounds_to_infinity,
       pg_temp.expect_error($$SELECT '[1,-1e6]'::halfvec$$) AS too_large,
       pg_temp.expect_error($$SELECT '[1e39]'::halfvec$$) AS beyond_float32;
SELECT pg_temp.expect_error($$SELECT '[NaN]'::halfvec$$) AS nan,
       pg_temp.expect_error($$SELECT '[1,Infinity]'::halfvec$$) AS inf,
       pg_temp.expect_error($$SELECT '[]'::halfvec$$) AS empty,
       pg_temp.expect_error($$SELECT '[1,,2]'::halfvec$$) AS malformed;
SELECT pg_temp.expect_error(format('SELECT %L::halfvec', '[' || repeat('1,', 16000) || '1]')) AS dims_16001;
SELECT vector_dims(('[' || repeat('1,', 15999) || '1]')::halfvec) AS dims_16000;

-- Type modifier.
SELECT '[1,2,3]'::halfvec(3);
SELECT pg_temp.expect_error($$SELECT '[1,2,3]'::halfvec(2)$$) AS wrong_dims,
       pg_temp.expect_error($$SELECT '[1]'::halfvec(0)$$) AS typmod_0,
       pg_temp.expect_error($$SELECT '[1]'::halfvec(16001)$$) AS typmod_16001,
       pg_temp.expect_error($$SELECT '[1]'::halfvec(1, 2)$$) AS two_typmods;
CREATE TEMP TABLE h3 (id int, v halfvec(3));
INSERT INTO h3 VALUES (1, '[1,2,3]'), (2, '[4,5,6.5]'::vector), (3, '{0.1,0.2,0.3}'::real[]);
SELECT pg_temp.expect_error($$INSERT INTO h3 VALUES (9, '[1,2]')$$) AS insert_wrong_dims;
SELECT * FROM h3 ORDER BY id;
SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'h3'::regclass AND attname = 'v';

-- Distances: the same values as on the float32 vectors of the same halves.
SELECT l2_distance('[1,2,3]'::halfvec, '[4,5,6.5]'::halfvec) AS l2,
       '[1,2,3]'::halfvec <-> '[4,5,6.5]' AS l2_op,
       halfvec_l2_squared_distance('[1,2,3]', '[4,5,6.5]') AS l2_squared,
       inner_product('[1,2,3]'::halfvec, '[4,5,6.5]'::halfvec) AS ip,
       '[1,2,3]'::halfvec <#> '[4,5,6.5]' AS neg_ip_op,
       halfvec_negative_inner_product('[1,2,3]', '[4,5,6.5]') AS neg_ip,
       cosine_distance('[1,2,3]'::halfvec, '[4,5,6.5]'::halfvec) AS cosine,
       '[1,2,3]'::halfvec <=> '[4,5,6.5]' AS cosine_op,
       l1_distance('[1,2,3]'::halfvec, '[4,5,6.5]'::halfvec) AS l1,
       '[1,2,3]'::halfvec <+> '[4,5,6.5]' AS l1_op;
SELECT halfvec_spherical_distance('[0.6,0.8]', '[0,1]') AS spherical,
       halfvec_spherical_distance('[1,0]', '[1,0]') AS same,
       halfvec_spherical_distance('[1,0]', '[-1,0]') AS opposite;
SELECT '[0,0]'::halfvec <=> '[1,1]' AS cosine_of_zero;
-- The largest halves: no float32 overflow (the sums stay below 3e14).
SELECT l2_distance(array_fill(65504::real, ARRAY[16000])::halfvec, array_fill(-65504::real, ARRAY[16000])::halfvec)
       AS l2_extreme,
       inner_product(array_fill(65504::real, ARRAY[16000])::halfvec, array_fill(65504::real, ARRAY[16000])::halfvec)
       AS ip_extreme;
-- Every length up to 40 against the float32 vectors of the same values
-- (the block conversion and the kernels' tails): 0 mismatches.
SELECT count(*) FILTER (WHERE abs(h.l2 - f.l2) > 1e-6 * greatest(1, f.l2)
                           OR abs(h.ip - f.ip) > 1e-5 * greatest(1, abs(f.ip))
                           OR abs(h.l1 - f.l1) > 1e-6 * greatest(1, f.l1)
                           OR abs(h.cos - f.cos) > 1e-6) AS mismatches, count(*) AS lengths
FROM generate_series(1, 40) n,
LATERAL (SELECT array_agg(sin(i * 1.7 + n)::real) a, array_agg(cos(i * 0.3 - n)::real) b
         FROM generate_series(1, n) i) s,
LATERAL (SELECT a::halfvec <-> b::halfvec l2, inner_product(a::halfvec, b::halfvec) ip,
                a::halfvec <+> b::halfvec l1, a::halfvec <=> b::halfvec cos) h,
LATERAL (SELECT a::halfvec::vector <-> b::halfvec::vector l2, inner_product(a::halfvec::vector, b::halfvec::vector) ip,
                a::halfvec::vector <+> b::halfvec::vector l1, a::halfvec::vector <=> b::halfvec::vector cos) f;
-- Every kernel set this CPU runs (rushdb.simd refuses the others), on
-- lengths around the 256-element conversion block and the SIMD widths,
-- against a double-precision reference computed here from the halves'
-- values: 0 mismatches whichever sets run.
CREATE TEMP TABLE hpairs AS
SELECT d, a::halfvec AS a, b::halfvec AS b,
       (SELECT sum((x - y)::float8 ^ 2) FROM unnest(a::halfvec::real[], b::halfvec::real[]) u(x, y)) AS l2sq,
       (SELECT sum(x::float8 * y) FROM unnest(a::halfvec::real[], b::halfvec::real[]) u(x, y)) AS ip,
       (SELECT sum(abs(x::float8 - y)) FROM unnest(a::halfvec::real[], b::halfvec::real[]) u(x, y)) AS l1,
       (SELECT 1 - sum(x::float8 * y) / sqrt(sum(x::float8 * x) * sum(y::float8 * y))
        FROM unnest(a::halfvec::real[], b::halfvec::real[]) u(x, y)) AS cos
FROM unnest(ARRAY[1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 255, 256, 257, 511, 512, 513, 1000, 16000]) d,
LATERAL (SELECT array_agg((sin(i * 0.37 + d) * 30)::real) a, array_agg((cos(i * 1.91 - d) * 20)::real) b
         FROM generate_series(1, d) i) s;
CREATE TEMP TABLE hresults (kernels text, d int, ok boolean);
DO $$
DECLARE k text;
BEGIN
    FOREACH k IN ARRAY ARRAY['scalar', 'sse2', 'avx2+fma', 'avx512f', 'neon'] LOOP
        BEGIN
            PERFORM set_config('rushdb.simd', k, true);
        EXCEPTION WHEN invalid_parameter_value THEN
            CONTINUE;    -- not on this CPU
        END;
        INSERT INTO hresults
        SELECT rushdb.simd_info(), d,
               abs(halfvec_l2_squared_distance(a, b) - l2sq) <= 1e-5 * l2sq
               AND abs((a <-> b) - sqrt(l2sq)) <= 1e-5 * sqrt(l2sq)
               AND abs(inner_product(a, b) - ip) <= 1e-5 * (SELECT sqrt(sum(x::float8 * x) * sum(y::float8 * y))
                                                            FROM unnest(a::real[], b::real[]) u(x, y))
               AND abs((a <+> b) - l1) <= 1e-5 * l1
               AND abs((a <=> b) - cos) <= 1e-5
        FROM hpairs;
    END LOOP;
END $$;
RESET rushdb.simd;
SELECT count(DISTINCT kernels) >= 2 AS several_sets, count(*) = 21 * count(DISTINCT kernels) AS every_length,
       count(*) FILTER (WHERE NOT ok) AS mismatches
FROM hresults;
SELECT pg_temp.expect_error($$SELECT '[1,2]'::halfvec <-> '[1,2,3]'::halfvec$$) AS l2_dims,
       pg_temp.expect_error($$SELECT '[1,2]'::halfvec <=> '[1,2,3]'::halfvec$$) AS cosine_dims;
-- A vector operand is rounded to halves (the implicit cast), as in pgvector.
SELECT '[1,2,3]'::vector <-> '[1,2,4]'::halfvec AS mixed, pg_typeof('[0.1]'::vector + '[1]'::halfvec) AS mixed_type;

-- Functions.
SELECT vector_dims('[1,2,3]'::halfvec) AS dims, l2_norm('[3,4]'::halfvec) AS norm,
       l2_normalize('[3,4,0.001]'::halfvec) AS unit, l2_normalize('[0,0]'::halfvec) AS zero_stays;
SELECT binary_quantize('[1,-1,0,-0,0.001,5,-3,2,1]'::halfvec) AS bits;
SELECT subvector('[1,2,3,4,5]'::halfvec, 2, 3) AS mid, subvector('[1,2,3,4,5]'::halfvec, 3, 9) AS cut,
       subvector('[1,2,3]'::halfvec, 0, 2) AS before_start;
SELECT pg_temp.expect_error($$SELECT subvector('[1,2,3]'::halfvec, 4, 1)$$) AS past_end,
       pg_temp.expect_error($$SELECT subvector('[1,2,3]'::halfvec, 1, 0)$$) AS count_0;

-- Arithmetic: a result beyond the half range is an error, never Infinity.
SELECT '[1,2]'::halfvec || '[3]'::halfvec AS concat, '[1,2]'::halfvec + '[3,4.5]' AS sum,
       '[1,2]'::halfvec - '[3,4.5]' AS difference, '[0.5,2]'::halfvec * '[3,4.5]' AS product;
SELECT pg_temp.expect_error($$SELECT '[60000,2]'::halfvec + '[60000,4.5]'$$) AS add_overflow,
       pg_temp.expect_error($$SELECT '[-60000]'::halfvec - '[60000]'$$) AS sub_overflow,
       pg_temp.expect_error($$SELECT '[300,2]'::halfvec * '[300,4.5]'$$) AS mul_overflow,
       pg_temp.expect_error($$SELECT '[1,2]'::halfvec + '[3]'$$) AS add_dims;
SELECT pg_temp.expect_error(format('SELECT %L::halfvec || %L::halfvec',
           '[' || repeat('1,', 7999) || '1]', '[' || repeat('1,', 8000) || '1]')) AS concat_16001;
SELECT pg_typeof('[1,2]'::halfvec || '[3]'::halfvec) AS concat_type;

-- Casts.
SELECT '[1.5,2]'::halfvec::vector AS to_vector, '[0.1,2]'::vector::halfvec AS from_vector,
       '[0.1,2]'::halfvec::real[] AS to_real_array;
SELECT '{0.1,2}'::real[]::halfvec AS from_real, '{1,2}'::int[]::halfvec AS from_int,
       '{0.1,2}'::float8[]::halfvec AS from_float8, '{0.1,2}'::numeric[]::halfvec AS from_numeric;
SELECT pg_temp.expect_error($$SELECT '[0.1,70000]'::vector::halfvec$$) AS vector_too_large,
       pg_temp.expect_error($$SELECT '{0.1,1e5}'::float8[]::halfvec$$) AS array_too_large,
       pg_temp.expect_error($$SELECT '{1,NULL}'::real[]::halfvec$$) AS array_null,
       pg_temp.expect_error($$SELECT '{{1},{2}}'::real[]::halfvec$$) AS array_2d,
       pg_temp.expect_error($$SELECT '{NaN}'::float8[]::halfvec$$) AS array_nan;
SELECT pg_temp.expect_error($$SELECT '[1,2,3]'::halfvec::vector(2)$$) AS to_vector_typmod,
       pg_temp.expect_error($$SELECT '[1,2,3]'::vector::halfvec(2)$$) AS from_vector_typmod;
-- A bare literal resolves to vector (the preferred type of the category),
-- where pgvector reports "function vector_dims(unknown) is not unique".
SELECT vector_dims('[1,2,3]') AS bare_literal, l2_normalize('[3,4]') AS bare_normalize,
       pg_typeof(l2_normalize('[3,4]')) AS resolved_to;

-- Comparisons and btree: the order of the halves' values.
SELECT '[1,2]'::halfvec < '[1,3]' AS lt, '[1,2]'::halfvec = '[1,2.0001]' AS rounds_equal,
       '[0]'::halfvec = '[-0]' AS zeros_equal, halfvec_cmp('[1,2]', '[1,2,0]') AS shorter_first,
       '[2]'::halfvec > '[1,9]' AS gt, '[1]'::halfvec <> '[1]' AS ne, '[1]'::halfvec >= '[1]' AS ge,
       '[1]'::halfvec <= '[0.5]' AS le;
CREATE TEMP TABLE hb (v halfvec);
INSERT INTO hb VALUES ('[3,1]'), ('[1,2]'), ('[1,2,0]'), ('[-1,5]'), ('[1,2]'), ('[0.1]');
CREATE INDEX hb_v ON hb (v);
SET enable_seqscan = off;
SELECT v FROM hb WHERE v >= '[1,2]' ORDER BY v;
RESET enable_seqscan;
SELECT DISTINCT v FROM hb ORDER BY v;
SELECT pg_temp.expect_error($$CREATE UNIQUE INDEX hb_u ON hb (v)$$) AS unique_index_duplicates;

-- Aggregates: summed in double over the halves, rounded once at the end.
SELECT avg(v), sum(v) FROM (VALUES ('[1,2]'::halfvec), ('[2,3.1]')) t(v);
SELECT avg(v) IS NULL AS avg_of_none, sum(v) IS NULL AS sum_of_none FROM hb WHERE false;
-- pgvector sums halfvec in halfvec and fails on the intermediate 120000;
-- here only a total beyond the half range fails.
SELECT sum(v) FROM (VALUES ('[60000,2]'::halfvec), ('[60000,3.1]'), ('[-60000,1]')) t(v);
SELECT pg_temp.expect_error($$SELECT sum(v) FROM (VALUES ('[60000]'::halfvec), ('[60000]')) t(v)$$) AS sum_overflow,
       pg_temp.expect_error($$SELECT avg(v) FROM (VALUES ('[1,2]'::halfvec), ('[1]')) t(v)$$) AS avg_dims;
-- Parallel aggregation combines the partial states.
CREATE TABLE halfvec_agg AS
    SELECT ARRAY[(i % 7)::real, (i % 11)::real, 0.5]::halfvec v FROM generate_series(1, 10000) i;
ANALYZE halfvec_agg;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT avg(v), sum(v) FROM halfvec_agg;
SELECT avg(v), sum(v) FROM halfvec_agg;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
SELECT avg(v), sum(v) FROM halfvec_agg;
SELECT avg(v::vector)::halfvec = avg(v) AS same_as_vector_avg FROM halfvec_agg;
DROP TABLE halfvec_agg;

-- Binary input/output: int16 dim, int16 0, the halves in network order
-- (pgvector's halfvec wire form), written by COPY binary and read back.
SELECT rushdb_internal.halfvec_send('[1,2,-0.1]') AS wire, rushdb_internal.halfvec_send('[65504,-0,6e-8]') AS extremes;
CREATE TEMP TABLE hbin_src (id int, v halfvec);
INSERT INTO hbin_src VALUES (1, '[0.1,65504,-0,6e-8]'), (2, '[-2.5]'), (3, NULL);
INSERT INTO hbin_src SELECT 4, array_agg(i / 7.0)::halfvec FROM generate_series(1, 16000) i;
COPY hbin_src TO '/tmp/rushdb_regress_halfvec.bin' (FORMAT binary);
CREATE TEMP TABLE hbin_dst (id int, v halfvec);
COPY hbin_dst FROM '/tmp/rushdb_regress_halfvec.bin' (FORMAT binary);
SELECT s.id, d.v IS NOT DISTINCT FROM s.v AS equal,
       rushdb_internal.halfvec_send(d.v) IS NOT DISTINCT FROM rushdb_internal.halfvec_send(s.v) AS same_bytes
FROM hbin_src s JOIN hbin_dst d USING (id) ORDER BY id;
CREATE TEMP TABLE hbin_bad (v halfvec);
-- NaN and infinity halves, the reserved field, wrong lengths, 0 dimensions.
COPY (SELECT '\x000100007e00'::bytea) TO '/tmp/rushdb_regress_halfvec.bin' (FORMAT binary);
COPY hbin_bad FROM '/tmp/rushdb_regress_halfvec.bin' (FORMAT binary);
COPY (SELECT '\x00010000fc00'::bytea) TO '/tmp/rushdb_regress_halfvec.bin' (FORMAT binary);
COPY hbin_bad FROM '/tmp/rushdb_regress_halfvec.bin' (FORMAT binary);
COPY (SELECT '\x000100013c00'::bytea) TO '/tmp/rushdb_regress_halfvec.bin' (FORMAT binary);
COPY hbin_bad FROM '/tmp/rushdb_regress_halfvec.bin' (FORMAT binary);
COPY (SELECT '\x000200003c00'::bytea) TO '/tmp/rushdb_regress_halfvec.bin' (FORMAT binary);
COPY hbin_bad FROM '/tmp/rushdb_regress_halfvec.bin' (FORMAT binary);
COPY (SELECT '\x000100003c003c00'::bytea) TO '/tmp/rushdb_regress_halfvec.bin' (FORMAT binary);
COPY hbin_bad FROM '/tmp/rushdb_regress_halfvec.bin' (FORMAT binary);
COPY (SELECT '\x00000000'::bytea) TO '/tmp/rushdb_regress_halfvec.bin' (FORMAT binary);
COPY hbin_bad FROM '/tmp/rushdb_regress_halfvec.bin' (FORMAT binary);
SELECT count(*) AS nothing_loaded FROM hbin_bad;

-- Storage: half the bytes of vector.
SELECT pg_column_size('[1,2,3,4]'::halfvec) AS halfvec_bytes, pg_column_size('[1,2,3,4]'::vector) AS vector_bytes;

-- An exact k-NN by ORDER BY on a halfvec column.
CREATE TEMP TABLE hknn AS SELECT i AS id, ARRAY[sin(i), cos(i), sin(i * 0.5)]::halfvec v FROM generate_series(1, 500) i;
SELECT array_agg(id) AS top5 FROM (SELECT id FROM hknn ORDER BY v <-> '[0.5,0.5,0.5]', id LIMIT 5) s;
SELECT array_agg(id) AS top5_vector FROM (SELECT id FROM hknn ORDER BY v::vector <-> '[0.5,0.5,0.5]', id LIMIT 5) s;

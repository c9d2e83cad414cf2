--
-- rushdb.vector: distances, norms, subvector, arithmetic, and the kernel sets.
--
\set SHOW_CONTEXT never
\set VERBOSITY default
SET search_path = public, rushdb;

-- SQLSTATE and message of a statement that is expected to fail.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/sql/include/expect_error.sql

--
-- Distances.
--
-- a = [1,2,3], b = [4,6,3]: difference [-3,-4,0], dot 4+12+9 = 25,
-- |a|^2 = 14, |b|^2 = 61.
SELECT l2_distance('[1,2,3]', '[4,6,3]') AS l2,
       l2_squared_distance('[1,2,3]', '[4,6,3]') AS l2_squared,
       inner_product('[1,2,3]', '[4,6,3]') AS inner_product,
       negative_inner_product('[1,2,3]', '[4,6,3]') AS negative_inner_product,
       l1_distance('[1,2,3]', '[4,6,3]') AS l1,
       round(cosine_distance('[1,2,3]', '[4,6,3]')::numeric, 6) AS cosine,
       round((1 - 25 / sqrt(14.0 * 61))::numeric, 6) AS cosine_expected;
-- The operators are the same functions.
SELECT '[1,2,3]'::vector <-> '[4,6,3]' AS "<->",
       round(('[1,2,3]'::vector <=> '[4,6,3]')::numeric, 6) AS "<=>",
       '[1,2,3]'::vector <#> '[4,6,3]' AS "<#>",
       '[1,2,3]'::vector <+> '[4,6,3]' AS "<+>";
SELECT o.oprname, o.oprcode, o.oprcom::regoperator AS commutator, o.oprresult::regtype
FROM pg_operator o
WHERE o.oprleft = 'rushdb.vector'::regtype AND o.oprresult <> 'boolean'::regtype
ORDER BY o.oprname;
-- Symmetric: each distance operator is its own commutator.
SELECT a <-> b = b <-> a AS l2, a <=> b = b <=> a AS cosine, a <#> b = b <#> a AS ip,
       a <+> b = b <+> a AS l1
FROM (VALUES ('[0.3,-1.7,2.9,4.1]'::vector, '[-2.2,0.4,1.1,-3.3]'::vector)) t(a, b);
-- Identical vectors; one dimension; negative components.
SELECT v <-> v AS l2, v <=> v AS cosine, v <#> v AS neg_ip, v <+> v AS l1
FROM (VALUES ('[0.5,-1.5,2]'::vector)) t(v);
SELECT '[3]'::vector <-> '[-4]' AS l2, '[3]'::vector <=> '[-4]' AS cosine,
       '[3]'::vector <#> '[-4]' AS neg_ip, '[3]'::vector <+> '[-4]' AS l1;
-- Cosine distance is 1 - cos, clamped to [0, 2]: same, opposite, orthogonal.
SELECT cosine_distance('[1,1]', '[2,2]') AS same_direction,
       cosine_distance('[1,1]', '[-3,-3]') AS opposite,
       cosine_distance('[1,0]', '[0,5]') AS orthogonal,
       cosine_distance('[1e-20,1e-20]', '[1e-20,1e-20]') AS tiny;
-- A zero vector has no direction: cosine distance is NaN (either side).
SELECT cosine_distance('[0,0]', '[1,2]') AS zero_left,
       cosine_distance('[1,2]', '[0,0]') AS zero_right,
       '[0,0]'::vector <=> '[0,0]' AS both_zero,
       '[-0]'::vector <=> '[1]' AS negative_zero;
-- The other distances are defined for zero vectors.
SELECT '[0,0]'::vector <-> '[3,4]' AS l2, '[0,0]'::vector <#> '[3,4]' AS neg_ip,
       '[0,0]'::vector <+> '[3,4]' AS l1;
-- The negation of a zero inner product is IEEE -0.
SELECT '[1,0]'::vector <#> '[0,1]' AS neg_ip, inner_product('[1,0]', '[0,1]') AS ip;
-- Denormal elements.
SELECT l1_distance('[1e-45]', '[-1e-45]') AS l1_denormal,
       l2_squared_distance('[1e-45]', '[1e-45]') AS l2_squared_equal;
-- NULL in, NULL out (the functions are strict).
SELECT l2_distance(NULL, '[1]') IS NULL AS l2, '[1]'::vector <=> NULL IS NULL AS cosine,
       NULL::vector <#> NULL IS NULL AS ip, l1_distance('[1]', NULL) IS NULL AS l1;
-- Dimension mismatch: 22023.
SELECT '[1,2]'::vector <-> '[1,2,3]';
SELECT l2_squared_distance('[1,2,3]', '[1]');
SELECT f, pg_temp.expect_error(format('SELECT %s(%L::vector, %L::vector)', f, '[1,2]', '[1,2,3]'))
FROM unnest(ARRAY['l2_distance', 'l2_squared_distance', 'cosine_distance', 'inner_product',
                  'negative_inner_product', 'l1_distance', 'vector_add', 'vector_sub',
                  'vector_mul']) f;
SELECT op, pg_temp.expect_error(format('SELECT %L::vector %s %L::vector', '[1]', op, '[1,2]'))
FROM unnest(ARRAY['<->', '<=>', '<#>', '<+>', '+', '-', '*']) op;

--
-- vector_dims, vector_norm, l2_normalize.
--
SELECT vector_dims('[1]'), vector_dims('[1,2,3]'), vector_dims(array_fill(0, ARRAY[16000])::vector);
SELECT vector_norm('[3,4]') AS "3-4-5", vector_norm('[0,0,0]') AS zero,
       vector_norm('[-2]') AS negative, round(vector_norm('[1,1]')::numeric, 6) AS sqrt2,
       vector_norm('[3e38,-3e38]') AS large, vector_norm('[3e-30,4e-30]') AS small;
SELECT vector_norm(array_fill(1, ARRAY[16000])::vector) AS "sqrt(16000)",
       round(sqrt(16000)::numeric, 6) AS expected;
SELECT l2_normalize('[3,4]') AS "3-4-5", l2_normalize('[0,-5,0]') AS axis,
       l2_normalize('[7]') AS one_dim, l2_normalize('[-7]') AS one_dim_negative,
       l2_normalize('[1e-45]') AS denormal, l2_normalize('[3e38,-3e38]') AS large;
-- A zero vector normalizes to a zero vector (of +0s: -0 == 0 for vectors).
SELECT l2_normalize('[0,0,0]') AS zero, l2_normalize('[-0,0]') AS negative_zero;
-- Normalized vectors have unit norm and keep their direction.
SELECT round(vector_norm(l2_normalize(v))::numeric, 6) AS norm,
       round((l2_normalize(v) <=> v)::numeric, 6) AS cosine_to_original
FROM (VALUES ('[0.3,-1.7,2.9,4.1]'::vector), ('[1e-15,2e-15]'), ('[1e15,-2e15]'),
             ('[1,2,3,4,5,6,7,8,9,10]')) t(v);
SELECT vector_norm(NULL) IS NULL, l2_normalize(NULL) IS NULL, vector_dims(NULL) IS NULL;

--
-- subvector(v, start, count): 1-based start; a range past either end is cut
-- to the vector, as substring() cuts a string and as pgvector does.
--
SELECT subvector('[1,2,3,4,5]', 1, 5) AS whole, subvector('[1,2,3,4,5]', 1, 1) AS first,
       subvector('[1,2,3,4,5]', 2, 3) AS middle, subvector('[1,2,3,4,5]', 5, 1) AS last,
       subvector('[1,2,3,4,5]', 4, 2) AS tail;
SELECT vector_dims(subvector(array_fill(1, ARRAY[16000])::vector, 1, 16000)) AS all_16000,
       subvector((SELECT array_agg(i)::vector FROM generate_series(1, 16000) i), 15998, 3) AS end_of_16000;
-- Cut to the bounds (pgvector: subvector('[1,2,3,4,5]', 3, 9) = [3,4,5]).
SELECT args, (SELECT subvector('[1,2,3,4,5]'::vector, (string_to_array(args, ','))[1]::int,
                               (string_to_array(args, ','))[2]::int)) AS result
FROM unnest(ARRAY['3,9', '5,2', '0,2', '-1,3', '1,6', '-10,20', '3,2147483647']) args;
-- A count below 1, or a range with no element left: 22023.
SELECT subvector('[1,2,3,4,5]', 2, 0);
SELECT subvector('[1,2,3,4,5]', 2, -1);
SELECT subvector('[1,2,3,4,5]', 6, 1);
SELECT subvector('[1,2,3,4,5]', -1, 2);
SELECT args, pg_temp.expect_error(format('SELECT subvector(%L, %s)', '[1,2,3,4,5]', args))
FROM unnest(ARRAY['1, 0', '1, -5', '1, -2147483648', '0, 1', '-2147483648, 1', '-1, 2', '6, 1', '2147483647, 1',
                  '2147483647, 2147483647', '-2147483648, 2147483647']) args;
SELECT subvector(NULL, 1, 1) IS NULL, subvector('[1]', NULL, 1) IS NULL,
       subvector('[1]', 1, NULL) IS NULL;

--
-- a || b: concatenation (before it existed, PostgreSQL took text || and
-- returned the text '[1,2,3][4,5]').
--
SELECT '[1,2,3]'::vector || '[4,5]' AS concat, pg_typeof('[1,2,3]'::vector || '[4,5]'::vector) AS type,
       vector_concat('[1]', '[2]') AS by_name, vector_dims(array_fill(1, ARRAY[8000])::vector || array_fill(2, ARRAY[8000])::vector) AS dims_16000;
SELECT pg_temp.expect_error($$SELECT array_fill(1, ARRAY[8000])::vector || array_fill(2, ARRAY[8001])::vector$$) AS too_long;
SELECT ('[1]'::vector || NULL::vector) IS NULL AS null_in_null_out;

--
-- Elementwise + - *.
--
SELECT '[1,2,3]'::vector + '[10,20,30]' AS add, '[1,2,3]'::vector - '[10,20,30]' AS sub,
       '[1,2,3]'::vector * '[10,20,30]' AS mul;
SELECT vector_add('[0.5]', '[0.25]'), vector_sub('[0.5]', '[0.25]'), vector_mul('[0.5]', '[0.25]');
SELECT '[0.1]'::vector + '[0.2]' AS float32_sum, '[1,-1]'::vector * '[-0,0]' AS signed_zeros,
       '[1]'::vector - '[1]' AS zero, '[1e-30]'::vector * '[1e-30]' AS underflow,
       '[3.4028235e38]'::vector + '[1e30]' AS rounds_to_max;
-- + and * commute, - does not; they chain left to right.
SELECT a + b = b + a AS add_commutes, a * b = b * a AS mul_commutes, a - b = b - a AS sub_commutes,
       (a + b) - b = a AS add_then_sub, a + b * b AS precedence
FROM (VALUES ('[1,2]'::vector, '[3,4]'::vector)) t(a, b);
SELECT o.oprname, o.oprcode, o.oprcom::regoperator AS commutator
FROM pg_operator o
WHERE o.oprleft = 'rushdb.vector'::regtype AND o.oprname IN ('+', '-', '*')
ORDER BY 1;
-- Overflow: 22003.
SELECT '[3e38]'::vector + '[3e38]';
SELECT '[1,-3e38]'::vector - '[1,3e38]';
SELECT '[2e19,1]'::vector * '[2e19,1]';
SELECT '[3.4028235e38]'::vector + '[3.4028235e38]';
SELECT e, pg_temp.expect_error('SELECT ' || e)
FROM unnest(ARRAY[$$'[3e38]'::vector + '[3e38]'$$, $$'[-3e38]'::vector + '[-3e38]'$$,
                  $$'[3e38]'::vector - '[-3e38]'$$, $$'[1e20]'::vector * '[1e20]'$$,
                  $$'[-1e30]'::vector * '[1e30]'$$,
                  $$vector_add('[1,3e38]', '[1,3e38]')$$]) e;
SELECT NULL::vector + '[1]' IS NULL, '[1]'::vector - NULL IS NULL, vector_mul(NULL, NULL) IS NULL;

--
-- Kernel sets: rushdb.simd picks the distance kernels; results agree.
--
SELECT rushdb.simd_info() IN ('scalar', 'sse2', 'avx2+fma', 'avx512f', 'neon') AS known_set;
SHOW rushdb.simd;
SET rushdb.simd = 'nonsense';
SET rushdb.simd = 'Scalar';
SET rushdb.simd = '';
SELECT current_setting('rushdb.simd');
SET rushdb.simd = 'scalar';
SELECT rushdb.simd_info(), current_setting('rushdb.simd');
-- RESET goes back to auto; SET LOCAL is undone at the end of the transaction.
RESET rushdb.simd;
SELECT rushdb.simd_info() AS auto_kernels \gset
BEGIN;
SET LOCAL rushdb.simd = 'scalar';
SELECT rushdb.simd_info();
ROLLBACK;
SELECT current_setting('rushdb.simd'), rushdb.simd_info() = :'auto_kernels' AS back_to_auto;
-- Pairs of vectors whose lengths cover every loop shape of the SIMD kernels
-- (below, at and above multiples of 4, 8, 16, 32 and 64 lanes).
CREATE TEMP TABLE pairs AS
SELECT d,
       (SELECT array_agg(sin(i * 0.37 + d) * 3)::vector FROM generate_series(1, d) i) AS a,
       (SELECT array_agg(cos(i * 1.91 - d) * 2)::vector FROM generate_series(1, d) i) AS b,
       (SELECT array_agg((i * 7 + d) % 13 - 6)::vector FROM generate_series(1, d) i) AS ia,
       (SELECT array_agg((i * 5 + d) % 11 - 5)::vector FROM generate_series(1, d) i) AS ib
FROM unnest(ARRAY[1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 48, 63, 64, 65, 96, 127,
                  128, 129, 255, 256, 257, 1000, 1536, 4099, 16000]) d;
CREATE TEMP TABLE results (kernels text, d int, l2 float8, l2sq float8, cos float8, ip float8,
                           nip float8, l1 float8, il2sq float8, iip float8, il1 float8,
                           icos float8);
-- Every kernel set this CPU runs computes the pairs: the names tried are
-- the ones rushdb.simd documents, and it refuses (22023) a set the CPU
-- lacks. The output is the same whichever sets run.
DO $$
DECLARE k text;
BEGIN
    FOREACH k IN ARRAY ARRAY['scalar', 'sse2', 'avx2+fma', 'avx512f', 'neon'] LOOP
        BEGIN
            PERFORM set_config('rushdb.simd', k, true);
        EXCEPTION WHEN invalid_parameter_value THEN
            CONTINUE;    -- not on this CPU
        END;
        INSERT INTO results
        SELECT rushdb.simd_info(), d, a <-> b, l2_squared_distance(a, b), a <=> b, inner_product(a, b),
               a <#> b, a <+> b, l2_squared_distance(ia, ib), inner_product(ia, ib), ia <+> ib, ia <=> ib
        FROM pairs;
    END LOOP;
END $$;
SELECT current_setting('rushdb.simd') AS after_the_loop;
-- Scalar and at least one SIMD set ran, each over every pair, and the set
-- auto picks is one of them.
SELECT count(DISTINCT kernels) >= 2 AS several_sets,
       count(*) = (SELECT count(*) FROM pairs) * count(DISTINCT kernels) AS every_pair_each,
       bool_or(kernels = 'scalar') AS scalar_ran, bool_or(kernels = :'auto_kernels') AS auto_set_ran
FROM results;
-- Exact sums (real -> float8 -> numeric: real::numeric would round to 6
-- digits), with the sum of |term| that bounds rounding errors.
CREATE TEMP TABLE reference AS
SELECT d, sum((x - y) ^ 2)::float8 AS l2sq, sum(x * y)::float8 AS ip, sum(abs(x * y))::float8 AS ip_abs,
       sum(abs(x - y))::float8 AS l1,
       sum((ix - iy) ^ 2)::float8 AS il2sq, sum(ix * iy)::float8 AS iip, sum(abs(ix - iy))::float8 AS il1
FROM (SELECT d, x::float8::numeric AS x, y::float8::numeric AS y, ix::float8::numeric AS ix, iy::float8::numeric AS iy
      FROM pairs, unnest(a::real[], b::real[], ia::real[], ib::real[]) u(x, y, ix, iy)) t
GROUP BY d;
-- Each set against scalar, and every set against the exact sums. Sums of
-- positive terms (l2, l1) agree to 1e-5 of their value. An inner product
-- of terms of both signs can be far smaller than its terms, so its
-- rounding error is measured against sum |x*y|: 4 float epsilons of it
-- (here the errors stay below 0.25 of one; at d = 1000 the result is 0.137
-- and sum |x*y| 2431, so the check allows 0.0012). Small integers sum
-- exactly. 'failing' names any set and dimension that broke a check.
SELECT bool_and(l2_ok) AS l2_agree, bool_and(l2sq_ok) AS l2sq_agree, bool_and(cos_ok) AS cos_agree,
       bool_and(ip_ok) AS ip_agree, bool_and(nip_ok) AS nip_is_minus_ip, bool_and(l1_ok) AS l1_agree,
       bool_and(int_ok) AS integer_exact, bool_and(icos_ok) AS integer_cos_agree,
       count(*) = (SELECT count(*) FROM results WHERE kernels <> 'scalar') AS compared_every_pair,
       string_agg(kernels || ' d=' || d, ', ') FILTER (WHERE NOT (l2_ok AND l2sq_ok AND cos_ok AND ip_ok AND nip_ok
                                                                 AND l1_ok AND int_ok AND icos_ok)) AS failing
FROM (SELECT v.kernels, v.d,
             abs(s.l2 - v.l2) <= 1e-5 * s.l2 AS l2_ok,
             abs(s.l2sq - v.l2sq) <= 1e-5 * s.l2sq AS l2sq_ok,
             abs(s.cos - v.cos) <= 1e-5 AS cos_ok,
             abs(s.ip - v.ip) <= 4 * 1.1920929e-7 * x.ip_abs AS ip_ok,
             s.nip = -s.ip AND v.nip = -v.ip AS nip_ok,
             abs(s.l1 - v.l1) <= 1e-5 * s.l1 AS l1_ok,
             s.il2sq = v.il2sq AND s.iip = v.iip AND s.il1 = v.il1 AS int_ok,
             abs(s.icos - v.icos) <= 1e-6 AS icos_ok
      FROM results s JOIN results v ON s.d = v.d AND s.kernels = 'scalar' AND v.kernels <> 'scalar'
      JOIN reference x ON x.d = s.d) c;
SELECT bool_and(l2sq_ok) AS l2sq_ok, bool_and(ip_ok) AS ip_ok, bool_and(l1_ok) AS l1_ok,
       bool_and(int_ok) AS integer_exact, count(*) = (SELECT count(*) FROM results) AS every_result,
       string_agg(kernels || ' d=' || d, ', ') FILTER (WHERE NOT (l2sq_ok AND ip_ok AND l1_ok AND int_ok)) AS failing
FROM (SELECT r.kernels, r.d,
             abs(r.l2sq - x.l2sq) <= 1e-5 * x.l2sq AS l2sq_ok,
             abs(r.ip - x.ip) <= 4 * 1.1920929e-7 * x.ip_abs AS ip_ok,
             abs(r.l1 - x.l1) <= 1e-5 * x.l1 AS l1_ok,
             r.il2sq = x.il2sq AND r.iip = x.iip AND r.il1 = x.il1 AS int_ok
      FROM results r JOIN reference x USING (d)) c;
-- Spot values, rounded (same under every kernel set).
SELECT d, round(l2::numeric, 3) AS l2, round(cos::numeric, 4) AS cos, round(ip::numeric, 3) AS ip,
       round(l1::numeric, 3) AS l1, il2sq, iip, il1
FROM results WHERE kernels = 'scalar' AND d IN (1, 17, 64, 1000) ORDER BY d;
-- Valid vectors whose float32 sums overflow or underflow: the distance is
-- recomputed in double, never reported as Infinity or NaN.
SELECT '[1e20]'::vector <=> '[1e20]' AS cos_same_huge,
       '[1e20,1e20]'::vector <=> '[-1e20,-1e20]' AS cos_opposite_huge,
       '[1e-30,2e-30]'::vector <=> '[1e-30,2e-30]' AS cos_same_tiny,
       '[3e38]'::vector <-> '[-3e38]' AS l2_beyond_float,
       inner_product('[3e38,3e38]', '[3e38,3e38]') AS ip_beyond_float,
       '[3e38,3e38]'::vector <+> '[-3e38,-3e38]' AS l1_beyond_float;
-- A true zero vector still has no direction.
SELECT '[0,0]'::vector <=> '[1e-30,0]' AS cos_zero;

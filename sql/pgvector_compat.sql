--
-- pgvector's names and bit helpers on rushdb.vector: the functions a
-- pgvector schema or query calls by name, binary_quantize, and the Hamming
-- and Jaccard distances of bit(n) with their operators <~> and <%>.
-- Each expected value here was checked against pgvector 0.8.6 by hand.
--
\set SHOW_CONTEXT never
\set VERBOSITY default
SET search_path = public, rushdb;
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/sql/include/expect_error.sql

-- Same results as the rushdb names.
SELECT vector_l2_squared_distance('[1,2,3]', '[4,6,3]') AS l2_squared,
       vector_negative_inner_product('[1,2,3]', '[4,6,3]') AS negative_ip,
       vector_l2_squared_distance('[1,2,3]', '[4,6,3]') = l2_squared_distance('[1,2,3]', '[4,6,3]') AS same_l2,
       vector_negative_inner_product('[1,2,3]', '[4,6,3]') = '[1,2,3]'::vector <#> '[4,6,3]' AS same_ip;
SELECT pg_temp.expect_error($$SELECT vector_l2_squared_distance('[1,2]', '[1,2,3]')$$);

-- Spherical distance: acos(a.b) / pi, the product clamped to [-1, 1].
SELECT vector_spherical_distance('[1,0]', '[0,1]') AS right_angle,
       vector_spherical_distance('[1,0]', '[1,0]') AS same,
       vector_spherical_distance('[1,0]', '[-1,0]') AS opposite,
       vector_spherical_distance('[2,0]', '[3,0]') AS clamped_above,
       vector_spherical_distance('[2,0]', '[-3,0]') AS clamped_below;

-- vector_avg is avg's final function: {count, sums...} -> the mean.
SELECT vector_avg('{2,4,6}') AS mean, vector_avg('{0}') IS NULL AS no_rows_is_null,
       vector_avg(vector_accum(vector_accum('{0}', '[1,2]'), '[3,4]')) AS accumulated;
SELECT pg_temp.expect_error($$SELECT vector_avg('{1,1e300,0}')$$) AS overflow;

-- binary_quantize: bit i is 1 when element i > 0 (0 and -0 give 0).
SELECT binary_quantize('[1,-2,0,3,0.5,-1,2,2,1]') AS nine_bits,
       binary_quantize('[0,-0,1e-30,-1e-30]') AS zeros_and_tiny,
       length(binary_quantize(array_fill(1, ARRAY[16000])::real[]::vector)) AS length_16000,
       bit_count(binary_quantize(array_fill(1, ARRAY[16000])::real[]::vector)) AS ones_16000;

-- Hamming and Jaccard distances.
SELECT hamming_distance(B'1010', B'0110') AS hamming,
       B'1010' <~> B'0110' AS "<~>",
       jaccard_distance(B'1100', B'0110') AS jaccard,
       B'1100' <%> B'0110' AS "<%>",
       jaccard_distance(B'0000', B'0000') AS jaccard_empty,
       jaccard_distance(B'1111', B'1111') AS jaccard_same,
       hamming_distance(B'', B'') AS hamming_zero_length;
-- Lengths past a 64-bit word, where the bytes are counted a word at a time.
SELECT hamming_distance(repeat('10', 100)::bit(200), repeat('01', 100)::bit(200)) AS all_differ,
       jaccard_distance(repeat('1', 199)::bit(200), repeat('1', 200)::bit(200)) AS jaccard_199_of_200;
SELECT pg_temp.expect_error($$SELECT hamming_distance(B'1010', B'011')$$) AS hamming_lengths,
       pg_temp.expect_error($$SELECT B'1010' <%> B'011'$$) AS jaccard_lengths;
-- varbit values of equal length are accepted too.
SELECT hamming_distance('101'::varbit, '111'::varbit) AS varbit;

-- Re-ranking a binary-quantized candidate list by the full vector in one
-- query, as pgvector's documentation shows it.
CREATE TABLE bq_items (id int PRIMARY KEY, embedding vector(3));
INSERT INTO bq_items VALUES (1, '[1,1,1]'), (2, '[2,-2,2]'), (3, '[-1,-1,-1]'), (4, '[1,-1,0.5]'), (5, '[0.5,-3,3]');
SELECT id FROM (
    SELECT id, embedding FROM bq_items
    ORDER BY binary_quantize(embedding)::bit(3) <~> binary_quantize('[1,-2,3]') LIMIT 3) candidates
ORDER BY embedding <=> '[1,-2,3]' LIMIT 2;
DROP TABLE bq_items;

-- The catalog entries match pgvector's: names, argument and result types,
-- IMMUTABLE STRICT PARALLEL SAFE, operators with their commutators.
SELECT p.oid::regprocedure AS function, p.prorettype::regtype AS result,
       p.provolatile, p.proisstrict, p.proparallel
FROM pg_proc p
WHERE p.pronamespace = 'rushdb'::regnamespace
  AND p.proname IN ('vector_l2_squared_distance', 'vector_negative_inner_product', 'vector_spherical_distance',
                    'vector_avg', 'binary_quantize', 'hamming_distance', 'jaccard_distance')
ORDER BY 1::text;
SELECT o.oid::regoperator AS operator, o.oprcode, o.oprcom::regoperator AS commutator
FROM pg_operator o
WHERE o.oprnamespace = 'rushdb'::regnamespace AND o.oprleft = 'bit'::regtype
ORDER BY 1::text;

--
-- rushdb.vector: text and binary input/output, type modifier, dimension limits.
--
-- pg_regress runs every test file in the same database, so objects made here
-- are temporary or dropped at the end.
\set SHOW_CONTEXT never
\set VERBOSITY default
SET search_path = public, rushdb;

-- SQLSTATE and message of a statement that is expected to fail.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/sql/include/expect_error.sql

--
-- Text input and output.
--
SELECT '[1,2,3]'::vector;
SELECT rushdb_internal.vector_out(rushdb_internal.vector_in('[1, 2.5, -3]', 0, -1));
SELECT pg_typeof('[1]'::vector);

-- Whitespace is allowed around the brackets, numbers and commas.
SELECT ' [ 1 , 2 , 3 ] '::vector AS spaces,
       E'\t[\n1,\r\n2\t]\n'::vector AS tabs_and_newlines,
       ('[1' || chr(12) || ',' || chr(11) || '2]')::vector AS ff_vt;
-- Signs, exponents and the forms float input takes.
SELECT '[+1,-2,+0.5,-.25,1.,1e3,1E-3,-2.5e+2]'::vector;

-- Output is the shortest text that reads back to the same float32.
SELECT '[0.1,0.2,0.3]'::vector AS tenths,
       '[1e-45]'::vector AS smallest_denormal,
       '[1.17549435e-38]'::vector AS smallest_normal,
       '[3.4028235e38]'::vector AS float32_max,
       '[-3.4028235e38]'::vector AS float32_min,
       '[-0]'::vector AS negative_zero,
       '[16777217]'::vector AS rounds_to_2_pow_24,
       '[0.100000001]'::vector AS rounds_to_tenth,
       '[1234567.9,0.000123]'::vector AS mixed;
-- Shortest by length: printf-style %e or %f, whichever is shorter (so
-- 1e+06 rather than 1000000, and exact digits when fixed notation is shorter).
SELECT '[1000000,0.0001,1e15,123456789,1.0473078e9,100,12.5]'::vector;
-- Underflow is accepted as zero (keeping the sign), like float4 input.
SELECT '[1e-50,-1e-50]'::vector;
-- Round trip: text -> vector -> text -> vector is the identity.
SELECT v, v::text::vector = v AS same, v::text = v2::text AS same_text
FROM (VALUES ('[0.1,1e-45,3.4028235e38,-0]'::vector),
             ('[1.0000001,0.99999994,123456.79]'),
             ('[-1.5e-40,7,-7]')) t(v),
     LATERAL (SELECT v::text::vector AS v2) r;
-- Float32 values from denormal to large survive the round trip exactly.
SELECT count(*) AS values_checked,
       count(*) FILTER (WHERE ('[' || x::text || ']')::vector::text::vector::real[] <> ARRAY[x])
           AS mismatches
FROM (SELECT ((k * 104729 % 999983) / 99998.3 * 10::float8 ^ e)::real AS x
      FROM generate_series(-40, 37) e, generate_series(1, 50) k) s;

--
-- Malformed text: SQLSTATE 22P02.
--
SELECT '[1,2'::vector;
SELECT '[]'::vector;
SELECT '[1,,2]'::vector;
SELECT '[1a]'::vector;
SELECT '[1,2]x'::vector;
SELECT ''::vector;
SELECT '1,2'::vector;
SELECT '[1,2],'::vector;
SELECT '[1 2]'::vector;
SELECT 'NaN'::vector;
SELECT 'Infinity'::vector;
SELECT '-inf'::vector;
-- NaN and Infinity inside a vector: 22P02 as well.
SELECT '[NaN]'::vector;
SELECT '[1,Infinity]'::vector;
SELECT '[-inf]'::vector;
-- Beyond the float32 range: 22003.
SELECT '[1e39]'::vector;
SELECT '[1,-3.5e38]'::vector;
SELECT input, pg_temp.expect_error(format('SELECT %L::vector', input)) AS error
FROM (VALUES ('[1,2'), ('[]'), ('[ ]'), ('[1,,2]'), ('[1a]'), ('[1,2]x'), ('['), (']'),
             ('[,1]'), ('[1,]'), ('[1.2.3]'), ('[0x10]'), ('[-+1]'), ('[+-1]'), ('[++1]'), ('[--1]'), ('[+ 1]'),
             ('[1e]'), ('{1,2}'), ('(1,2)'), ('[[1]]'), ('[1]]'), ('[''1'']'),
             ('NaN'), ('Infinity'), ('-inf'),
             ('[NaN]'), ('[nan]'), ('[+NaN]'), ('[-nan]'), ('[Infinity]'), ('[inf]'),
             ('[+inf]'), ('[-inf]'), ('[-Infinity]'),
             ('[1e39]'), ('[-1e39]'), ('[3.4028236e38]'), ('[1e400]'),
             ('[3.4028235e38]')) t(input);

--
-- Type modifier: vector(n) is n dimensions.
--
CREATE TEMP TABLE v3 (id int, v vector(3));
SELECT format_type(atttypid, atttypmod), atttypmod
FROM pg_attribute WHERE attrelid = 'v3'::regclass AND attname = 'v';
INSERT INTO v3 VALUES (1, '[1,2,3]');
INSERT INTO v3 VALUES (2, '[1,2,3,4]');
INSERT INTO v3 VALUES (3, '[1,2]');
INSERT INTO v3 VALUES (4, '[1,2]'::vector);
UPDATE v3 SET v = '[1,2,3,4]' WHERE id = 1;
SELECT * FROM v3;
SELECT '[1,2,3]'::vector(3);
SELECT '[1,2]'::vector(3);
SELECT '[1,2,3,4]'::vector(3);
SELECT ('[1,2]'::vector)::vector(3);
SELECT CAST('[1]' AS vector(1)), '[5,6]'::rushdb.vector(2);
SELECT rushdb.vector('[1,2]'::vector, 2, true), rushdb.vector('[1,2]'::vector, -1, false);
SELECT rushdb.vector('[1,2]'::vector, 3, true);
-- The typmod reaches the input function through COPY.
COPY v3 FROM stdin;
5	[7,8,9]
\.
COPY v3 FROM stdin;
6	[7,8]
\.
SELECT * FROM v3 ORDER BY id;
-- Type modifier range.
SELECT rushdb_internal.vector_typmod_in('{1}'::cstring[]), rushdb_internal.vector_typmod_in('{16000}'::cstring[]);
SELECT '[1]'::vector(0);
SELECT '[1]'::vector(16001);
CREATE TEMP TABLE bad_typmod (v vector(0));
CREATE TEMP TABLE bad_typmod (v vector(16001));
CREATE TEMP TABLE bad_typmod (v vector(3, 4));
CREATE TEMP TABLE bad_typmod (v vector(-1));
CREATE TEMP TABLE bad_typmod (v vector('a'));
SELECT pg_temp.expect_error('SELECT NULL::vector(0)') AS zero,
       pg_temp.expect_error('SELECT NULL::vector(16001)') AS too_many,
       pg_temp.expect_error('SELECT NULL::vector(1, 2)') AS two_modifiers;

--
-- Dimension limits: 1..16000.
--
SELECT vector_dims('[7]'::vector);
SELECT vector_dims(array_fill(1.5::real, ARRAY[16000])::vector) AS from_array,
       vector_dims(('[' || array_to_string(array_fill(1.5::real, ARRAY[16000]), ',') || ']')::vector)
           AS from_text,
       vector_dims(('[' || array_to_string(array_fill(1.5::real, ARRAY[16000]), ',') || ']')::vector(16000))
           AS with_typmod;
SELECT (SELECT '[' || string_agg(i::text, ', ') || ']' FROM generate_series(1, 16000) i)::vector
       = array_agg(i)::vector AS text_equals_array,
       (array_agg(i)::vector)::real[] = array_agg(i)::real[] AS values_kept
FROM generate_series(1, 16000) i;
-- A 16000-dimension vector is stored (TOASTed) and read back intact.
CREATE TEMP TABLE big (v vector(16000));
INSERT INTO big SELECT array_agg(i * 0.5)::vector FROM generate_series(1, 16000) i;
SELECT vector_dims(v), v::real[] = (SELECT array_agg((i * 0.5)::real) FROM generate_series(1, 16000) i)
FROM big;
-- 16001 dimensions: 22023, from text, from an array, and into vector(16000).
SELECT vector_dims(('[' || array_to_string(array_fill(1::real, ARRAY[16001]), ',') || ']')::vector);
SELECT vector_dims(array_fill(1::real, ARRAY[16001])::vector);
INSERT INTO big SELECT array_fill(1::real, ARRAY[16001]);
SELECT pg_temp.expect_error(format('SELECT %L::vector',
           '[' || array_to_string(array_fill(1::real, ARRAY[n]), ',') || ']')) AS error, n
FROM (VALUES (16001), (16002), (20000), (40000)) t(n);
-- Far too long: rejected without parsing it all.
SELECT pg_temp.expect_error(format('SELECT %L::vector', '[' || repeat('1,', 1000000) || '1]'));

--
-- Binary send/receive.
--
-- Wire form: int16 dimensions, int16 reserved (0), float4s in network order.
SELECT rushdb_internal.vector_send('[1,-2.5]'), rushdb_internal.vector_send('[0.1]'), rushdb_internal.vector_send('[-0]'),
       rushdb_internal.vector_send('[1e-45,3.4028235e38]');
SELECT length(rushdb_internal.vector_send(array_fill(1::real, ARRAY[16000])::vector)) AS bytes_for_16000;
-- COPY ... (FORMAT binary) writes with vector_send and reads with vector_recv.
CREATE TEMP TABLE bin_src (id int, v vector);
INSERT INTO bin_src VALUES
    (1, '[0.1,1e-45,3.4028235e38,-0]'),
    (2, '[-3.4028235e38,1.17549435e-38,123456.79]'),
    (3, '[1]'),
    (4, NULL);
INSERT INTO bin_src SELECT 5, array_agg(i / 7.0)::vector FROM generate_series(1, 16000) i;
COPY bin_src TO '/tmp/rushdb_regress_vec.bin' (FORMAT binary);
CREATE TEMP TABLE bin_dst (id int, v vector);
COPY bin_dst FROM '/tmp/rushdb_regress_vec.bin' (FORMAT binary);
SELECT s.id, d.v IS NOT DISTINCT FROM s.v AS equal,
       d.v::text IS NOT DISTINCT FROM s.v::text AS same_text,
       rushdb_internal.vector_send(d.v) IS NOT DISTINCT FROM rushdb_internal.vector_send(s.v) AS same_bytes,
       vector_dims(d.v)
FROM bin_src s JOIN bin_dst d USING (id) ORDER BY id;
SELECT v FROM bin_dst WHERE id < 5 ORDER BY id;
-- Receiving into vector(3) applies the typmod: row 1 has 4 dimensions.
CREATE TEMP TABLE bin_v3 (id int, v vector(3));
COPY bin_v3 FROM '/tmp/rushdb_regress_vec.bin' (FORMAT binary);
COPY (SELECT id, v FROM bin_src WHERE id IN (2, 4)) TO '/tmp/rushdb_regress_vec.bin' (FORMAT binary);
COPY bin_v3 FROM '/tmp/rushdb_regress_vec.bin' (FORMAT binary);
SELECT * FROM bin_v3 ORDER BY id;
-- Malformed binary input. A bytea column's binary COPY form is its raw bytes,
-- so a bytea written with COPY TO is read back as the vector's wire form.
CREATE TEMP TABLE bin_bad (v vector);
COPY (SELECT '\x000200003f80000040000000'::bytea) TO '/tmp/rushdb_regress_vec.bin' (FORMAT binary);
COPY bin_bad FROM '/tmp/rushdb_regress_vec.bin' (FORMAT binary);
SELECT * FROM bin_bad;
-- reserved field not 0
COPY (SELECT '\x000200013f80000040000000'::bytea) TO '/tmp/rushdb_regress_vec.bin' (FORMAT binary);
COPY bin_bad FROM '/tmp/rushdb_regress_vec.bin' (FORMAT binary);
-- too few / too many bytes for the dimension count
COPY (SELECT '\x000200003f800000'::bytea) TO '/tmp/rushdb_regress_vec.bin' (FORMAT binary);
COPY bin_bad FROM '/tmp/rushdb_regress_vec.bin' (FORMAT binary);
COPY (SELECT '\x000100003f80000040000000'::bytea) TO '/tmp/rushdb_regress_vec.bin' (FORMAT binary);
COPY bin_bad FROM '/tmp/rushdb_regress_vec.bin' (FORMAT binary);
-- truncated header
COPY (SELECT '\x0001'::bytea) TO '/tmp/rushdb_regress_vec.bin' (FORMAT binary);
COPY bin_bad FROM '/tmp/rushdb_regress_vec.bin' (FORMAT binary);
-- 0 and 16001 dimensions
COPY (SELECT '\x00000000'::bytea) TO '/tmp/rushdb_regress_vec.bin' (FORMAT binary);
COPY bin_bad FROM '/tmp/rushdb_regress_vec.bin' (FORMAT binary);
COPY (SELECT '\x3e810000'::bytea) TO '/tmp/rushdb_regress_vec.bin' (FORMAT binary);
COPY bin_bad FROM '/tmp/rushdb_regress_vec.bin' (FORMAT binary);
-- NaN and +-Infinity elements
COPY (SELECT '\x000100007fc00000'::bytea) TO '/tmp/rushdb_regress_vec.bin' (FORMAT binary);
COPY bin_bad FROM '/tmp/rushdb_regress_vec.bin' (FORMAT binary);
COPY (SELECT '\x000100007f800000'::bytea) TO '/tmp/rushdb_regress_vec.bin' (FORMAT binary);
COPY bin_bad FROM '/tmp/rushdb_regress_vec.bin' (FORMAT binary);
COPY (SELECT '\x00010000ff800000'::bytea) TO '/tmp/rushdb_regress_vec.bin' (FORMAT binary);
COPY bin_bad FROM '/tmp/rushdb_regress_vec.bin' (FORMAT binary);
SELECT * FROM bin_bad;

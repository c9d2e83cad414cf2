--
-- rushdb.vector: casts from arrays and jsonb, and to real[].
--
\set SHOW_CONTEXT never
\set VERBOSITY default
SET search_path = public, rushdb;

-- SQLSTATE and message of a statement that is expected to fail.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/sql/include/expect_error.sql

-- The casts the extension defines, and how they apply.
SELECT format_type(c.castsource, NULL) AS source, format_type(c.casttarget, NULL) AS target,
       c.castfunc::regprocedure AS function,
       CASE c.castcontext WHEN 'e' THEN 'explicit' WHEN 'a' THEN 'assignment' ELSE 'implicit' END
           AS context
FROM pg_cast c JOIN pg_depend d ON d.classid = 'pg_cast'::regclass AND d.objid = c.oid
JOIN pg_extension e ON d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid
WHERE e.extname = 'rushdb'
ORDER BY 1, 2;

--
-- Arrays -> vector, explicit.
--
SELECT '{1,2.5,-3}'::real[]::vector AS from_real,
       '{1,2.5,-3}'::double precision[]::vector AS from_float8,
       '{1,2,-3}'::integer[]::vector AS from_int,
       '{1,2.5,-3}'::numeric[]::vector AS from_numeric;
SELECT ARRAY[0.1, 0.2]::vector AS numeric_literals,
       ARRAY[0.1::float8, 1e-45]::vector AS float8_denormal,
       ARRAY[2147483647, -2147483648]::vector AS int_extremes,
       ARRAY[16777217]::vector AS int_rounded,
       '{-0}'::real[]::vector AS negative_zero;
-- Narrowing to float32 rounds like float8 -> real: FLT_MAX's shortest text
-- read as float8 or numeric is a little above FLT_MAX and still accepted.
SELECT '{3.4028235e38,-3.4028235e38}'::float8[]::vector AS float8,
       '{3.4028235e38,-3.4028235e38}'::numeric[]::vector AS numeric,
       '{3.4028235e38}'::float8[]::real[] AS float8_to_real;
-- Underflow becomes zero, as in text input.
SELECT '{1e-50,-1e-50}'::float8[]::vector, '{1e-60}'::numeric[]::vector;
-- Non-default lower bounds are fine: only the elements matter.
SELECT '[0:2]={7,8,9}'::real[]::vector, '[-5:-5]={1}'::integer[]::vector;
-- The functions behind the casts can be called directly.
SELECT rushdb.array_to_vector('{1,2}'::real[], -1, true),
       rushdb.array_to_vector('{1,2}'::double precision[], 2, false),
       rushdb.array_to_vector('{1,2}'::integer[], -1, false),
       rushdb.array_to_vector('{1,2}'::numeric[], -1, false);
SELECT rushdb.array_to_vector('{1,2}'::integer[], 3, true);

--
-- Arrays -> vector by assignment.
--
CREATE TEMP TABLE items (id int, v vector(3), r real[]);
INSERT INTO items (id, v) VALUES
    (1, ARRAY[1, 2, 3]),
    (2, ARRAY[1.5, 2.5, 3.5]),
    (3, ARRAY[1.5, 2.5, 3.5]::real[]),
    (4, ARRAY[1.5, 2.5, 3.5]::float8[]),
    (5, '[4,5,6]');
INSERT INTO items (id, v) SELECT 6, ARRAY[x, x + 1, x + 2] FROM (VALUES (10)) t(x);
UPDATE items SET v = ARRAY[7, 8, 9] WHERE id = 5;
SELECT id, v FROM items ORDER BY id;
-- typmod mismatch through an assignment cast: 22023.
INSERT INTO items (id, v) VALUES (7, ARRAY[1, 2]);
INSERT INTO items (id, v) VALUES (7, ARRAY[1, 2, 3, 4]::real[]);
UPDATE items SET v = ARRAY[1.0, 2.0] WHERE id = 1;
-- ...and through an explicit cast.
SELECT ARRAY[1, 2]::vector(3);
SELECT '{1,2,3,4}'::float8[]::vector(3);
SELECT '[1,2]'::jsonb::vector(3);
SELECT ARRAY[1, 2, 3]::vector(3), '[1,2,3]'::jsonb::vector(3);
-- Arrays are not implicitly vectors: a function call needs a cast.
SELECT vector_dims(ARRAY[1, 2, 3]);
SELECT vector_dims(ARRAY[1, 2, 3]::vector);
-- Element types without a cast.
SELECT '{1,2}'::smallint[]::vector;
SELECT '{1,2}'::text[]::vector;
-- jsonb is not assignable to a vector column.
INSERT INTO items (id, v) VALUES (8, '[1,2,3]'::jsonb);

--
-- Array errors.
--
-- NULL elements: 22004.
SELECT '{1,NULL,3}'::real[]::vector;
SELECT ARRAY[1, NULL]::integer[]::vector;
SELECT ARRAY[NULL::numeric]::vector;
INSERT INTO items (id, v) VALUES (9, ARRAY[1, NULL, 3]);
-- More than one dimension, empty: 22023.
SELECT '{{1,2},{3,4}}'::real[]::vector;
SELECT '{{1}}'::integer[]::vector;
SELECT '{}'::real[]::vector;
SELECT ARRAY[]::integer[]::vector;
-- NaN and Infinity: 22023.
SELECT '{1,NaN}'::real[]::vector;
SELECT '{Infinity}'::real[]::vector;
SELECT '{-Infinity}'::float8[]::vector;
SELECT '{NaN}'::float8[]::vector;
SELECT '{NaN}'::numeric[]::vector;
SELECT '{Infinity}'::numeric[]::vector;
-- Beyond the float32 range: 22003.
SELECT '{1e39}'::float8[]::vector;
SELECT '{3.4028236e38}'::float8[]::vector;
SELECT '{-1e300}'::float8[]::vector;
SELECT '{1e39}'::numeric[]::vector;
-- Too many dimensions: 22023.
SELECT array_fill(0, ARRAY[16001])::vector;
SELECT vector_dims(array_fill(0, ARRAY[16000])::vector);
SELECT a AS "array", pg_temp.expect_error(format('SELECT %L::%s::vector', a, t)) AS error
FROM (VALUES ('{1,NULL}', 'real[]'), ('{NULL}', 'float8[]'), ('{NULL,1}', 'integer[]'),
             ('{NULL}', 'numeric[]'),
             ('{{1,2}}', 'real[]'), ('{{1},{2}}', 'float8[]'), ('{{{1}}}', 'integer[]'),
             ('{{1,2},{3,4}}', 'numeric[]'),
             ('{}', 'real[]'), ('{}', 'float8[]'), ('{}', 'integer[]'), ('{}', 'numeric[]'),
             ('{NaN}', 'real[]'), ('{Infinity}', 'real[]'), ('{-Infinity}', 'real[]'),
             ('{NaN}', 'float8[]'), ('{Infinity}', 'float8[]'), ('{-Infinity}', 'float8[]'),
             ('{NaN}', 'numeric[]'), ('{Infinity}', 'numeric[]'), ('{-Infinity}', 'numeric[]'),
             ('{1e39}', 'float8[]'), ('{-3.5e38}', 'float8[]'), ('{1e308}', 'float8[]'),
             ('{1e39}', 'numeric[]'), ('{-3.5e38}', 'numeric[]')) v(a, t);
-- Beyond float8 too: numeric -> float8 fails first (its message prints all
-- 401 digits, so only the SQLSTATE is shown).
SELECT split_part(pg_temp.expect_error($$SELECT '{1e400}'::numeric[]::vector$$), ':', 1) AS numeric,
       split_part(pg_temp.expect_error($$SELECT '[1e400]'::jsonb::vector$$), ':', 1) AS jsonb;

--
-- jsonb -> vector (explicit only).
--
SELECT '[1, 2.5, -3]'::jsonb::vector AS ints_and_decimals,
       '[0.1, 1e-45, 3.4028235e38, -0]'::jsonb::vector AS extremes,
       '[1e-50]'::jsonb::vector AS underflow,
       ' [ 7 ] '::jsonb::vector AS spaces;
SELECT rushdb.jsonb_to_vector('[1,2]', -1, true), rushdb.jsonb_to_vector('[1,2]', 2, false);
SELECT to_jsonb(ARRAY[0.5, 1.5]::real[])::vector AS from_to_jsonb,
       (jsonb_build_object('embedding', ARRAY[1, 2, 3]) -> 'embedding')::vector AS from_field;
-- A vector's text is also valid JSON.
SELECT v::text::jsonb::vector = v AS json_round_trip
FROM (VALUES ('[0.1,1e-45,3.4028235e38,-0]'::vector), ('[123456.79,-7]')) t(v);
SELECT vector_dims(to_jsonb(array_fill(1, ARRAY[16000]))::vector);
-- jsonb errors.
SELECT '{"a": 1}'::jsonb::vector;
SELECT '1'::jsonb::vector;
SELECT '"[1,2]"'::jsonb::vector;
SELECT 'null'::jsonb::vector;
SELECT '[1, "2"]'::jsonb::vector;
SELECT '[1, null]'::jsonb::vector;
SELECT '[[1, 2]]'::jsonb::vector;
SELECT '[true]'::jsonb::vector;
SELECT '[]'::jsonb::vector;
SELECT '[1e39]'::jsonb::vector;
SELECT to_jsonb(array_fill(1, ARRAY[16001]))::vector;
SELECT j, pg_temp.expect_error(format('SELECT %L::jsonb::vector', j)) AS error
FROM (VALUES ('{"a": 1}'), ('1'), ('"[1,2]"'), ('null'), ('[1, "2"]'), ('[1, null]'),
             ('[[1, 2]]'), ('[{"x": 1}]'), ('[false]'), ('[]'),
             ('[1e39]'), ('[-3.4028236e38]'),
             ('[3.4028235e38]')) t(j);
-- A SQL NULL jsonb is a NULL vector (the cast function is strict).
SELECT NULL::jsonb::vector IS NULL AS is_null;

--
-- vector -> real[] (explicit and by assignment).
--
SELECT '[1,2.5,-3]'::vector::real[] AS "real[]",
       '[0.1,1e-45,3.4028235e38,-0]'::vector::real[] AS extremes,
       rushdb.vector_to_float4('[4,5]', -1, false);
SELECT array_dims('[1,2,3]'::vector::real[]), array_length('[1,2,3]'::vector::real[], 1);
UPDATE items SET r = v WHERE id = 1;
INSERT INTO items (id, r) VALUES (10, '[0.5,1e-45]'::vector);
SELECT id, v, r FROM items WHERE id IN (1, 10) ORDER BY id;
SELECT vector_dims(v) = cardinality(v::real[]) AS same_length,
       v::real[]::vector = v AS round_trip
FROM (SELECT array_fill(0.25::real, ARRAY[16000])::vector AS v) t;
-- Other array types need a second step.
SELECT '[1,2]'::vector::real[]::float8[];
SELECT '[1,2]'::vector::float8[];
SELECT '[1,2]'::vector::integer[];

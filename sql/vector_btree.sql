--
-- rushdb.vector: comparison operators and the default btree operator class.
-- Order: elementwise on the common prefix, then fewer dimensions first.
--
\set SHOW_CONTEXT never
\set VERBOSITY default
SET search_path = public, rushdb;

-- SQLSTATE and message of a statement that is expected to fail.
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/sql/include/expect_error.sql

--
-- = <> < <= > >= and vector_cmp.
--
SELECT a, b, a = b AS eq, a <> b AS ne, a < b AS lt, a <= b AS le, a > b AS gt, a >= b AS ge,
       vector_cmp(a, b) AS cmp
FROM (VALUES ('[1,2,3]'::vector, '[1,2,3]'::vector),
             ('[1,2,3]', '[1,2,4]'),
             ('[1,2,4]', '[1,2,3]'),
             ('[2]', '[1,9,9]'),
             ('[1,2]', '[1,2,3]'),
             ('[1,2,3]', '[1,2]'),
             ('[1,2,-1]', '[1,2]'),
             ('[-1]', '[-0.5]'),
             ('[0]', '[-0]'),
             ('[-0,1]', '[0,1]'),
             ('[1e-45]', '[0]'),
             ('[-3.4028235e38]', '[3.4028235e38]')) t(a, b);
-- The functions behind the operators.
SELECT vector_lt('[1]', '[2]'), vector_le('[2]', '[2]'), vector_eq('[2]', '[2]'),
       vector_ne('[2]', '[2]'), vector_ge('[1]', '[2]'), vector_gt('[3]', '[2]'),
       vector_cmp('[1]', '[2]'), vector_cmp('[2]', '[2]'), vector_cmp('[3]', '[2]');
-- Comparisons accept any dimensions (no mismatch error), and NULL gives NULL.
SELECT '[1]'::vector < '[1,0]', '[1]'::vector = NULL IS NULL AS eq_null,
       vector_cmp(NULL, '[1]') IS NULL AS cmp_null;
-- Operator properties: commutators and negators pair up.
SELECT o.oprname, o.oprcode, o.oprcom::regoperator AS commutator,
       o.oprnegate::regoperator AS negator, o.oprcanmerge AS merges, o.oprrest, o.oprjoin
FROM pg_operator o
WHERE o.oprleft = 'rushdb.vector'::regtype AND o.oprresult = 'boolean'::regtype
ORDER BY o.oprname;
SELECT am.amname, opc.opcname, opc.opcdefault, amop.amopstrategy, amop.amopopr::regoperator
FROM pg_opclass opc JOIN pg_am am ON am.oid = opc.opcmethod
JOIN pg_amop amop ON amop.amopfamily = opc.opcfamily
WHERE opc.opcintype = 'rushdb.vector'::regtype AND am.amname = 'btree'
ORDER BY amop.amopstrategy;
SELECT amproc.amprocnum, amproc.amproc::regprocedure
FROM pg_opclass opc JOIN pg_amproc amproc ON amproc.amprocfamily = opc.opcfamily
JOIN pg_am am ON am.oid = opc.opcmethod
WHERE opc.opcintype = 'rushdb.vector'::regtype AND am.amname = 'btree';

--
-- ORDER BY, DISTINCT, GROUP BY, min/max-like queries.
--
CREATE TABLE btree_vectors (id int, v vector);
INSERT INTO btree_vectors VALUES
    (1, '[1,2,3]'), (2, '[1,2]'), (3, '[0,5]'), (4, '[1,2,3]'), (5, '[-1,0,0,0]'),
    (6, '[1,2,2.5]'), (7, NULL), (8, '[-0,5]'), (9, '[1,2]'), (10, '[3.4028235e38]'),
    (11, '[-3.4028235e38]'), (12, '[1e-45]'), (13, '[0]'), (14, '[1,2,3,0]');
SELECT id, v FROM btree_vectors ORDER BY v, id;
SELECT id, v FROM btree_vectors ORDER BY v DESC NULLS LAST, id;
SELECT DISTINCT v FROM btree_vectors ORDER BY v;
SELECT v, count(*), array_agg(id ORDER BY id) AS ids
FROM btree_vectors GROUP BY v ORDER BY v NULLS FIRST;
SELECT count(DISTINCT v) AS distinct_vectors FROM btree_vectors;
-- Sorting agrees with vector_cmp pairwise.
SELECT count(*) AS pairs,
       count(*) FILTER (WHERE sign(vector_cmp(a.v, b.v)) = sign(a.r - b.r)) AS consistent
FROM (SELECT v, dense_rank() OVER (ORDER BY v) AS r FROM btree_vectors WHERE v IS NOT NULL) a,
     (SELECT v, dense_rank() OVER (ORDER BY v) AS r FROM btree_vectors WHERE v IS NOT NULL) b;
-- Set operations and merge joins sort on the same order.
SELECT v FROM btree_vectors WHERE id <= 3 UNION SELECT v FROM btree_vectors WHERE id >= 9 ORDER BY 1;
SELECT v FROM btree_vectors INTERSECT SELECT '[1,2]'::vector;
SET enable_hashjoin = off;
SET enable_nestloop = off;
EXPLAIN (COSTS OFF)
SELECT a.id, b.id FROM btree_vectors a JOIN btree_vectors b ON a.v = b.v;
SELECT a.id, b.id FROM btree_vectors a JOIN btree_vectors b ON a.v = b.v AND a.id < b.id
ORDER BY 1, 2;
RESET enable_hashjoin;
RESET enable_nestloop;

--
-- A btree index, used for equality, ranges and ORDER BY.
--
CREATE INDEX btree_vectors_v ON btree_vectors (v);
INSERT INTO btree_vectors SELECT i + 100, ARRAY[i % 10, i % 7, i]::vector
FROM generate_series(1, 1000) i;
ANALYZE btree_vectors;
SET enable_seqscan = off;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM btree_vectors WHERE v = '[1,2,3]';
SELECT id FROM btree_vectors WHERE v = '[1,2,3]' ORDER BY id;
EXPLAIN (COSTS OFF) SELECT id, v FROM btree_vectors WHERE v > '[9,5]' AND v < '[9,6]' ORDER BY v;
SELECT id, v FROM btree_vectors WHERE v > '[9,5]' AND v < '[9,6]' ORDER BY v;
EXPLAIN (COSTS OFF) SELECT v FROM btree_vectors ORDER BY v DESC LIMIT 3;
SELECT v FROM btree_vectors ORDER BY v DESC LIMIT 3;
SELECT count(*) FROM btree_vectors WHERE v >= '[5]' AND v <= '[5,9]';
-- The same answers without the index.
RESET enable_seqscan;
RESET enable_bitmapscan;
SET enable_indexscan = off;
SET enable_indexonlyscan = off;
SET enable_bitmapscan = off;
SELECT id FROM btree_vectors WHERE v = '[1,2,3]' ORDER BY id;
SELECT id, v FROM btree_vectors WHERE v > '[9,5]' AND v < '[9,6]' ORDER BY v;
SELECT count(*) FROM btree_vectors WHERE v >= '[5]' AND v <= '[5,9]';
RESET enable_indexscan;
RESET enable_indexonlyscan;
RESET enable_bitmapscan;
-- Wide vectors in the index: TOASTed and compressed values are detoasted for
-- comparison (these compress well; btree index entries are limited to 2704
-- bytes after compression).
INSERT INTO btree_vectors SELECT 2000, array_fill(1, ARRAY[16000])::vector;
INSERT INTO btree_vectors SELECT 2001, array_fill(1, ARRAY[1000])::vector;
SET enable_seqscan = off;
SELECT id, vector_dims(v) FROM btree_vectors
WHERE v > '[1,1,1]' AND v < '[1,1,2]' ORDER BY v;
RESET enable_seqscan;
DROP TABLE btree_vectors;

--
-- UNIQUE: duplicates are rejected with 23505.
--
CREATE TEMP TABLE unique_vectors (v vector UNIQUE);
INSERT INTO unique_vectors VALUES ('[1,2,3]'), ('[1,2]'), ('[1,2,3,0]'), ('[0]');
INSERT INTO unique_vectors VALUES ('[1,2,3]');
-- -0 equals 0, so it is a duplicate too; a different length is not.
INSERT INTO unique_vectors VALUES ('[-0]');
INSERT INTO unique_vectors VALUES (' [ 1 , 2 , 3 ] ');
INSERT INTO unique_vectors VALUES (ARRAY[1, 2]);
SELECT pg_temp.expect_error($$INSERT INTO unique_vectors VALUES ('[1.0,2.0,3.0]')$$);
INSERT INTO unique_vectors VALUES ('[1,2,3]') ON CONFLICT (v) DO NOTHING;
INSERT INTO unique_vectors VALUES ('[1,2,3,4]') ON CONFLICT (v) DO NOTHING;
SELECT * FROM unique_vectors ORDER BY v;
-- Creating the index over existing duplicates fails the same way.
CREATE TEMP TABLE dup_vectors (v vector);
INSERT INTO dup_vectors VALUES ('[5,5]'), ('[5,5]');
CREATE UNIQUE INDEX ON dup_vectors (v);
SELECT pg_temp.expect_error('CREATE UNIQUE INDEX ON dup_vectors (v)');
-- A primary key on a vector(n) column.
CREATE TEMP TABLE pk_vectors (v vector(2) PRIMARY KEY, label text);
INSERT INTO pk_vectors VALUES ('[1,1]', 'a'), ('[1,2]', 'b');
INSERT INTO pk_vectors VALUES ('[1,1]', 'c');
SELECT * FROM pk_vectors WHERE v = '[1,2]';

--
-- rushdb_hnsw: index creation, options and their errors, settings.
--
\set SHOW_CONTEXT never
\set VERBOSITY default
SET search_path = public, rushdb;

\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/sql/include/expect_error.sql
\i :abs_srcdir/sql/include/plan_checks.sql

CREATE TABLE hnsw_ddl (id int PRIMARY KEY, v vector(3), w vector, t text);
INSERT INTO hnsw_ddl SELECT i, ARRAY[sin(i), cos(i), i % 7], ARRAY[i, 1], i::text FROM generate_series(1, 100) i;

-- One index per operator class, default and explicit options.
CREATE INDEX hnsw_ddl_l2 ON hnsw_ddl USING rushdb_hnsw (v vector_l2_ops);
CREATE INDEX hnsw_ddl_cos ON hnsw_ddl USING rushdb_hnsw (v vector_cosine_ops) WITH (m = 8, ef_construction = 32);
CREATE INDEX hnsw_ddl_ip ON hnsw_ddl USING rushdb_hnsw (v vector_ip_ops) WITH (m = 2, ef_construction = 4);
SELECT c.relname, c.reloptions, o.opcname
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_opclass o ON o.oid = i.indclass[0]
WHERE i.indrelid = 'hnsw_ddl'::regclass AND c.relname LIKE 'hnsw_ddl_%' ORDER BY c.relname;
SELECT count(*) AS problems FROM rushdb.hnsw_verify('hnsw_ddl_l2');
SELECT count(*) AS problems FROM rushdb.hnsw_verify('hnsw_ddl_ip');

-- Options out of range, unknown, or inconsistent.
SELECT pg_temp.expect_error('CREATE INDEX ON hnsw_ddl USING rushdb_hnsw (v vector_l2_ops) WITH (m = 1)');
SELECT pg_temp.expect_error('CREATE INDEX ON hnsw_ddl USING rushdb_hnsw (v vector_l2_ops) WITH (m = 101)');
SELECT pg_temp.expect_error('CREATE INDEX ON hnsw_ddl USING rushdb_hnsw (v vector_l2_ops) WITH (ef_construction = 3)');
SELECT pg_temp.expect_error('CREATE INDEX ON hnsw_ddl USING rushdb_hnsw (v vector_l2_ops) WITH (ef_construction = 1001)');
SELECT pg_temp.expect_error('CREATE INDEX ON hnsw_ddl USING rushdb_hnsw (v vector_l2_ops) WITH (m = 32, ef_construction = 40)');
SELECT pg_temp.expect_error('CREATE INDEX ON hnsw_ddl USING rushdb_hnsw (v vector_l2_ops) WITH (lists = 4)');
SELECT pg_temp.expect_error('CREATE INDEX ON hnsw_ddl USING rushdb_hnsw (v vector_l2_ops) WITH (m = ''many'')');
-- Wrong column type, several columns, no operator class for the type.
SELECT pg_temp.expect_error('CREATE INDEX ON hnsw_ddl USING rushdb_hnsw (t)');
SELECT pg_temp.expect_error('CREATE INDEX ON hnsw_ddl USING rushdb_hnsw (v vector_l2_ops, w vector_l2_ops)');
SELECT pg_temp.expect_error('CREATE UNIQUE INDEX ON hnsw_ddl USING rushdb_hnsw (v vector_l2_ops)');

-- A column without a dimension count: the first vector fixes it.
CREATE INDEX hnsw_ddl_w ON hnsw_ddl USING rushdb_hnsw (w vector_l2_ops);
SELECT pg_temp.expect_error('INSERT INTO hnsw_ddl VALUES (1000, ''[1,2,3]'', ''[1,2,3]'', ''x'')');
CREATE TABLE hnsw_mixed (v vector);
INSERT INTO hnsw_mixed VALUES ('[1,2]'), ('[1,2,3]');
SELECT pg_temp.expect_error('CREATE INDEX ON hnsw_mixed USING rushdb_hnsw (v vector_l2_ops)');
DROP TABLE hnsw_mixed;

-- Settings.
SHOW rushdb.hnsw_ef_search;
SET rushdb.hnsw_ef_search = 300;
SHOW rushdb.hnsw_ef_search;
SELECT pg_temp.expect_error('SET rushdb.hnsw_ef_search = 0');
SELECT pg_temp.expect_error('SET rushdb.hnsw_ef_search = 1001');
SELECT pg_temp.expect_error('SET rushdb.hnsw_max_scan_tuples = 0');
SHOW rushdb.hnsw_iterative_scan;
BEGIN;
SET LOCAL rushdb.hnsw_ef_search = 10;
SHOW rushdb.hnsw_ef_search;
COMMIT;
SHOW rushdb.hnsw_ef_search;
RESET rushdb.hnsw_ef_search;

-- REINDEX, CREATE INDEX CONCURRENTLY, verify on a non-HNSW index.
REINDEX INDEX hnsw_ddl_cos;
SELECT count(*) AS problems FROM rushdb.hnsw_verify('hnsw_ddl_cos');
CREATE INDEX CONCURRENTLY hnsw_ddl_conc ON hnsw_ddl USING rushdb_hnsw (v vector_l2_ops);
SELECT indisvalid FROM pg_index WHERE indexrelid = 'hnsw_ddl_conc'::regclass;
REINDEX INDEX CONCURRENTLY hnsw_ddl_conc;
SELECT count(*) AS problems FROM rushdb.hnsw_verify('hnsw_ddl_conc');
SELECT pg_temp.expect_error('SELECT rushdb.hnsw_verify(''hnsw_ddl_pkey'')');

-- A graph that outgrows maintenance_work_mem: NOTICE, then the remaining
-- rows go through the (slower) insert path; the result is a complete index.
CREATE TABLE hnsw_spill (id int, v vector(64));
INSERT INTO hnsw_spill SELECT i, (SELECT array_agg(sin(i * 0.7 + j)) FROM generate_series(1, 64) j)
FROM generate_series(1, 4000) i;
SET maintenance_work_mem = '1MB';
CREATE INDEX hnsw_spill_idx ON hnsw_spill USING rushdb_hnsw (v vector_l2_ops) WITH (m = 8, ef_construction = 32);
RESET maintenance_work_mem;
SELECT count(*) AS problems FROM rushdb.hnsw_verify('hnsw_spill_idx');
SET enable_seqscan = off;
SET rushdb.hnsw_ef_search = 1000;
-- (pg_temp.via runs a query only when its plan scans the index named.)
SELECT pg_temp.via('hnsw_spill_idx', 'SELECT count(*) FROM (SELECT id FROM hnsw_spill ORDER BY v <-> (SELECT v FROM hnsw_spill WHERE id = 1) LIMIT 5000) s') AS all_found;
SELECT pg_temp.via('hnsw_spill_idx', 'SELECT id FROM hnsw_spill ORDER BY v <-> (SELECT v FROM hnsw_spill WHERE id = 3900) LIMIT 1') AS id;
RESET rushdb.hnsw_ef_search;
RESET enable_seqscan;
DROP TABLE hnsw_spill;

-- Empty tables and an index created before any row.
CREATE TABLE hnsw_empty (id int, v vector(4));
CREATE INDEX hnsw_empty_idx ON hnsw_empty USING rushdb_hnsw (v vector_cosine_ops);
SET enable_seqscan = off;
SELECT pg_temp.via('hnsw_empty_idx', $$SELECT id FROM hnsw_empty ORDER BY v <=> '[1,2,3,4]' LIMIT 3$$) AS ids;
INSERT INTO hnsw_empty VALUES (1, '[1,2,3,4]'), (2, NULL), (3, '[0,0,0,0]'), (4, '[4,3,2,1]');
SELECT pg_temp.via('hnsw_empty_idx', $$SELECT id FROM hnsw_empty ORDER BY v <=> '[1,2,3,4]' LIMIT 3$$) AS ids;
RESET enable_seqscan;
SELECT count(*) AS problems FROM rushdb.hnsw_verify('hnsw_empty_idx');
DROP TABLE hnsw_empty;

-- Unlogged tables: the index has an init fork (crash behaviour is a TAP test).
CREATE UNLOGGED TABLE hnsw_unlogged (id int, v vector(3));
INSERT INTO hnsw_unlogged SELECT i, ARRAY[i, i * 2, 1] FROM generate_series(1, 50) i;
CREATE INDEX hnsw_unlogged_idx ON hnsw_unlogged USING rushdb_hnsw (v vector_l2_ops);
SELECT relpersistence FROM pg_class WHERE relname = 'hnsw_unlogged_idx';
SET enable_seqscan = off;
SELECT pg_temp.via('hnsw_unlogged_idx', $$SELECT id FROM hnsw_unlogged ORDER BY v <-> '[10.2,20.4,1]' LIMIT 3$$) AS ids;
RESET enable_seqscan;
DROP TABLE hnsw_unlogged;

-- ALTER INDEX ... SET (m = ...) changes the reloption, not the pages: scans
-- and inserts keep the layout the index was built with (the metapage's m)
-- until a REINDEX builds it again with the new m.
CREATE TABLE hnsw_alter_m (id int PRIMARY KEY, v vector(4));
INSERT INTO hnsw_alter_m SELECT i, ARRAY[sin(i), cos(i), sin(i * 0.7), cos(i * 1.3)] FROM generate_series(1, 400) i;
CREATE INDEX hnsw_alter_m_idx ON hnsw_alter_m USING rushdb_hnsw (v vector_l2_ops) WITH (m = 4, pending_list_limit = 0);
ALTER INDEX hnsw_alter_m_idx SET (m = 32);
INSERT INTO hnsw_alter_m SELECT i, ARRAY[sin(i), cos(i), sin(i * 0.7), cos(i * 1.3)] FROM generate_series(401, 600) i;
SELECT m FROM rushdb.hnsw_index_info('hnsw_alter_m_idx');
SELECT count(*) AS problems FROM rushdb.hnsw_verify('hnsw_alter_m_idx');
SET rushdb.hnsw_ef_search = 600;
SET enable_seqscan = off;
SELECT pg_temp.via('hnsw_alter_m_idx', $$SELECT id FROM hnsw_alter_m ORDER BY v <-> '[0.5,0.5,0.5,0.5]' LIMIT 5$$) AS ids;
RESET enable_seqscan;
SELECT string_agg(id::text, ',') AS exact_ids FROM (SELECT id FROM hnsw_alter_m ORDER BY v <-> '[0.5,0.5,0.5,0.5]', id LIMIT 5) x;
REINDEX INDEX hnsw_alter_m_idx;
SELECT m FROM rushdb.hnsw_index_info('hnsw_alter_m_idx');
SELECT count(*) AS problems FROM rushdb.hnsw_verify('hnsw_alter_m_idx');
RESET rushdb.hnsw_ef_search;
DROP TABLE hnsw_alter_m;

DROP TABLE hnsw_ddl;

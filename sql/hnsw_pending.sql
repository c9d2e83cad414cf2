--
-- The pending list of rushdb_hnsw: rows inserted into a live index are
-- appended to it, found by every scan at once (exactly, never twice), merged
-- into the graph by a background worker and by inserts as it grows towards
-- pending_list_limit, by VACUUM and by rushdb.hnsw_merge_pending; deletes are
-- honoured wherever a row sits.
--
\set SHOW_CONTEXT never
\set VERBOSITY default
SET search_path = public, rushdb;

-- Deterministic 8-dim points: 20 clusters, a little spread within each.
CREATE FUNCTION pg_temp.pt(i int) RETURNS vector LANGUAGE sql IMMUTABLE AS $$
    SELECT (SELECT array_agg(sin((i % 20) * 7.1 + j * 1.3) * 2 + sin(i * 13.7 + j * 5.9) * 0.3)
            FROM generate_series(1, 8) j)::vector(8)
$$;
-- Autovacuum stays off: VACUUM merges the list, and the counts below are
-- exact only when nothing merges it behind the test's back.
CREATE TABLE pend (id int PRIMARY KEY, c int, v vector(8)) WITH (autovacuum_enabled = off);
INSERT INTO pend SELECT i, i % 10, pg_temp.pt(i) FROM generate_series(1, 2000) i;
CREATE INDEX pend_hnsw ON pend USING rushdb_hnsw (v vector_l2_ops);
ANALYZE pend;

-- The top k through the index against the exact order, for query points
-- 1..n (ids compared as sets; the distances are exact either way): the
-- true neighbours the index missed. Checks allow 1 in 100 (recall@10 of
-- 0.99): graph levels are random, so a run may miss one.
CREATE FUNCTION pg_temp.mismatches(n int, k int, filter text DEFAULT 'true') RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE bad bigint := 0; q vector; a int[]; e int[];
BEGIN
    FOR i IN 1..n LOOP
        q := pg_temp.pt(100000 + i);
        SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = on;
        EXECUTE format('SELECT array_agg(id ORDER BY id) FROM (SELECT id FROM pend WHERE %s ORDER BY v <-> $1 LIMIT %s) s', filter, k)
            INTO a USING q;
        SET LOCAL enable_indexscan = off; SET LOCAL enable_seqscan = on;
        EXECUTE format('SELECT array_agg(id ORDER BY id) FROM (SELECT id FROM pend WHERE %s ORDER BY v <-> $1 LIMIT %s) s', filter, k)
            INTO e USING q;
        bad := bad + (SELECT count(*) FROM unnest(e) x WHERE x <> ALL (coalesce(a, '{}')));
    END LOOP;
    RESET enable_seqscan; RESET enable_indexscan;
    RETURN bad;
END $$;
-- Every row the index returns for a wide scan, and how many distinct.
CREATE FUNCTION pg_temp.census(q vector) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
    SET LOCAL enable_seqscan = off;
    SET LOCAL rushdb.hnsw_ef_search = 1000;
    SELECT count(*) AS n, count(DISTINCT id) AS d INTO r FROM (SELECT id FROM pend ORDER BY v <-> q LIMIT 100000) s;
    RETURN r.n || ' rows, ' || r.d || ' distinct';
END $$;

SELECT dimensions, m, ef_construction, elements, pending_pages, pending_rows, pending_list_limit_kb
FROM rushdb.hnsw_index_info('pend_hnsw');

-- 600 rows inserted into the live index land in the pending list.
INSERT INTO pend SELECT i, i % 10, pg_temp.pt(i) FROM generate_series(2001, 2600) i;
SELECT elements, pending_pages > 0 AS has_pages, pending_rows FROM rushdb.hnsw_index_info('pend_hnsw');
SELECT * FROM rushdb.hnsw_verify('pend_hnsw');
-- ... and are found at once: a new row's own vector finds it first.
SET enable_seqscan = off;
SELECT id, v <-> pg_temp.pt(2345) AS distance FROM pend ORDER BY v <-> pg_temp.pt(2345) LIMIT 1;
RESET enable_seqscan;
-- Top 10 against the exact order, unfiltered and filtered; a filtered query
-- returns LIMIT rows.
SELECT pg_temp.mismatches(20, 10) <= 2 AS unfiltered_recall_ok, pg_temp.mismatches(20, 10, 'c = 3') <= 2 AS filtered_recall_ok;
SET enable_seqscan = off;
SELECT count(*) AS filtered_rows FROM (SELECT id FROM pend WHERE c = 3 ORDER BY v <-> pg_temp.pt(7) LIMIT 50) s;
RESET enable_seqscan;
-- The whole index through one scan: every row, each once.
SELECT pg_temp.census(pg_temp.pt(1)) AS census;

-- A non-iterative scan gives the graph's ef_search candidates and the
-- pending rows (all measured exactly) in distance order.
SET enable_seqscan = off; SET rushdb.hnsw_iterative_scan = off; SET rushdb.hnsw_ef_search = 10;
SELECT count(*) AS returned, count(*) FILTER (WHERE id > 2000) AS from_pending
FROM (SELECT id FROM pend ORDER BY v <-> pg_temp.pt(11) LIMIT 1000) s;
RESET enable_seqscan; RESET rushdb.hnsw_iterative_scan; RESET rushdb.hnsw_ef_search;

-- Deletes: a deleted pending row is not returned, VACUUM drops it instead of
-- merging it and merges the rest.
DELETE FROM pend WHERE id BETWEEN 2301 AND 2400;
SET enable_seqscan = off;
SELECT count(*) AS deleted_rows_found FROM (SELECT id FROM pend ORDER BY v <-> pg_temp.pt(2350) LIMIT 200) s
WHERE id BETWEEN 2301 AND 2400;
RESET enable_seqscan;
VACUUM pend;
SELECT elements, pending_pages, pending_rows FROM rushdb.hnsw_index_info('pend_hnsw');
SELECT * FROM rushdb.hnsw_verify('pend_hnsw');
SELECT pg_temp.mismatches(20, 10) <= 2 AS after_vacuum_recall_ok, pg_temp.census(pg_temp.pt(1)) AS census;

-- A small limit (8 kB: one page): from two pages a background worker merges
-- the list, and past the limit inserts wait for it (or merge a page
-- themselves), so the list stays within the limit plus the pages being
-- filled and merged.
ALTER INDEX pend_hnsw SET (pending_list_limit = 8);
INSERT INTO pend SELECT i, i % 10, pg_temp.pt(i) FROM generate_series(3001, 4000) i;
SELECT pending_pages <= 3 AS bounded FROM rushdb.hnsw_index_info('pend_hnsw');
-- hnsw_merge_pending waits for a merge under way, then merges the rest.
SELECT rushdb.hnsw_merge_pending('pend_hnsw') >= 0 AS merged;
SELECT elements, pending_pages, pending_rows FROM rushdb.hnsw_index_info('pend_hnsw');
SELECT * FROM rushdb.hnsw_verify('pend_hnsw');
SELECT pg_temp.mismatches(20, 10) <= 2 AS small_limit_recall_ok, pg_temp.census(pg_temp.pt(1)) AS census;

-- rushdb.hnsw_merge_pending merges everything now and says how many rows
-- (100 rows stay below the worker's threshold at this limit).
ALTER INDEX pend_hnsw SET (pending_list_limit = 1024);
INSERT INTO pend SELECT i, i % 10, pg_temp.pt(i) FROM generate_series(4001, 4100) i;
SELECT rushdb.hnsw_merge_pending('pend_hnsw') AS merged;
SELECT pending_pages, pending_rows FROM rushdb.hnsw_index_info('pend_hnsw');
SELECT rushdb.hnsw_merge_pending('pend_hnsw') AS merged_again;
SELECT * FROM rushdb.hnsw_verify('pend_hnsw');

-- pending_list_limit = 0: every insert goes into the graph.
ALTER INDEX pend_hnsw SET (pending_list_limit = 0);
INSERT INTO pend SELECT i, i % 10, pg_temp.pt(i) FROM generate_series(4101, 4150) i;
SELECT pending_rows FROM rushdb.hnsw_index_info('pend_hnsw');
SELECT pg_temp.mismatches(10, 10) <= 1 AS limit_zero_recall_ok;
ALTER INDEX pend_hnsw RESET (pending_list_limit);
SELECT pending_list_limit_kb FROM rushdb.hnsw_index_info('pend_hnsw');

-- The option's bounds.
CREATE INDEX ON pend USING rushdb_hnsw (v vector_l2_ops) WITH (pending_list_limit = -1);
CREATE INDEX ON pend USING rushdb_hnsw (v vector_l2_ops) WITH (pending_list_limit = 2000000);

-- Cosine: the list holds normalised vectors; a zero vector is not indexed.
CREATE TABLE pend_cos (id int, v vector);
INSERT INTO pend_cos SELECT i, pg_temp.pt(i) FROM generate_series(1, 300) i;
CREATE INDEX pend_cos_hnsw ON pend_cos USING rushdb_hnsw (v vector_cosine_ops);
INSERT INTO pend_cos SELECT i, (pg_temp.pt(i)::real[] || '{}'::real[])::vector * '[3,3,3,3,3,3,3,3]' FROM generate_series(301, 400) i;
INSERT INTO pend_cos VALUES (0, '[0,0,0,0,0,0,0,0]');
SELECT pending_rows FROM rushdb.hnsw_index_info('pend_cos_hnsw');
SET enable_seqscan = off;
SELECT id, round((v <=> pg_temp.pt(350))::numeric, 6) AS distance FROM pend_cos ORDER BY v <=> pg_temp.pt(350) LIMIT 1;
-- A vector of another dimension count is refused on the pending path too,
-- and the failed insert leaves nothing behind.
INSERT INTO pend_cos VALUES (9, '[1,2,3]');
RESET enable_seqscan;
SELECT pending_rows FROM rushdb.hnsw_index_info('pend_cos_hnsw');
SELECT * FROM rushdb.hnsw_verify('pend_cos_hnsw');

-- An index built on an empty table: the first row goes into the graph (it
-- fixes the dimensions and the entry point), later ones into the list.
CREATE TABLE pend_empty (id int, v vector(8));
CREATE INDEX pend_empty_hnsw ON pend_empty USING rushdb_hnsw (v vector_l2_ops);
INSERT INTO pend_empty VALUES (1, pg_temp.pt(1));
INSERT INTO pend_empty VALUES (2, pg_temp.pt(2)), (3, pg_temp.pt(3));
SELECT elements, pending_rows FROM rushdb.hnsw_index_info('pend_empty_hnsw');
SET enable_seqscan = off;
SELECT id FROM pend_empty ORDER BY v <-> pg_temp.pt(3) LIMIT 3;
RESET enable_seqscan;

-- Inspecting and merging are for the table's owner.
CREATE ROLE regress_pending_user;
GRANT SELECT, INSERT ON pend TO regress_pending_user;
SET ROLE regress_pending_user;
SELECT * FROM rushdb.hnsw_index_info('pend_hnsw');
SELECT rushdb.hnsw_merge_pending('pend_hnsw');
SELECT rushdb.hnsw_index_info('pend');
RESET ROLE;
SELECT rushdb.hnsw_index_info('pend');
SELECT rushdb.hnsw_merge_pending('pend_pkey');
-- A partitioned index has no pages of its own: name a partition's index.
CREATE TABLE pend_parted (id int, v vector(8)) PARTITION BY RANGE (id);
CREATE TABLE pend_parted_1 PARTITION OF pend_parted FOR VALUES FROM (0) TO (100);
CREATE INDEX pend_parted_hnsw ON pend_parted USING rushdb_hnsw (v vector_l2_ops);
SELECT rushdb.hnsw_index_info('pend_parted_hnsw');
SELECT rushdb.hnsw_merge_pending('pend_parted_hnsw');
SELECT rushdb.hnsw_verify('pend_parted_hnsw');
SELECT pending_rows FROM rushdb.hnsw_index_info('pend_parted_1_v_idx');
DROP TABLE pend_parted;

-- Seven circles one unit apart (4,500 points, every one of the first 1,500
-- twice): graph inserts (merges or direct) often cut layer 0 into parts,
-- each still reachable through the upper layers. VACUUM walks layer 0 and
-- links every cut-off part back in, even where the upper layers lead a
-- search straight into that part.
CREATE TABLE circles (id int, v vector(3));
INSERT INTO circles SELECT i, ARRAY[cos(i), sin(i), i % 7]::real[] FROM generate_series(1, 500) i;
CREATE INDEX circles_hnsw ON circles USING rushdb_hnsw (v vector_l2_ops) WITH (pending_list_limit = 0);
INSERT INTO circles SELECT i, ARRAY[cos(i), sin(i), i % 7]::real[] FROM generate_series(501, 1500) i;
INSERT INTO circles SELECT i, ARRAY[cos(i), sin(i), i % 7]::real[] FROM generate_series(1, 3000) i;
VACUUM circles;
SELECT * FROM rushdb.hnsw_verify('circles_hnsw');

DROP TABLE pend, pend_cos, pend_empty, circles;
DROP ROLE regress_pending_user;

--
-- rushdb_hnsw: planner use, results equal to exact search on small data,
-- NULLs, zero vectors, wrong dimensions, filtered queries, VACUUM, large
-- dimensions.
--
\set SHOW_CONTEXT never
\set VERBOSITY default
SET search_path = public, rushdb;

\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/sql/include/expect_error.sql
\i :abs_srcdir/sql/include/plan_checks.sql

-- 3,000 deterministic 16-dim points in 30 clusters.
CREATE TABLE hnsw_items (id int PRIMARY KEY, category int, v vector(16));
INSERT INTO hnsw_items
SELECT i, i % 10,
       (SELECT array_agg(sin((i % 30) * 7.1 + j * 1.3) * 2 + sin(i * 13.7 + j * 5.9) * 0.3) FROM generate_series(1, 16) j)
FROM generate_series(1, 3000) i;
CREATE TABLE hnsw_queries (qid int, v vector(16));
INSERT INTO hnsw_queries
SELECT q, (SELECT array_agg(sin((q % 30) * 7.1 + j * 1.3) * 2 + cos(q * 3.1 + j) * 0.3) FROM generate_series(1, 16) j)
FROM generate_series(1, 20) q;
ANALYZE hnsw_items;

CREATE INDEX hnsw_items_l2 ON hnsw_items USING rushdb_hnsw (v vector_l2_ops);

-- A search measures about ef_search * m elements. At 3,000 rows and the
-- default ef_search (200) that is the whole table, so measuring and sorting
-- every row is cheaper (and exact): the planner does that. With a smaller
-- ef_search the graph walk is cheaper and the planner uses the index.
EXPLAIN (COSTS OFF) SELECT id FROM hnsw_items ORDER BY v <-> '[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]' LIMIT 5;
SET rushdb.hnsw_ef_search = 40;
EXPLAIN (COSTS OFF) SELECT id FROM hnsw_items ORDER BY v <-> '[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]' LIMIT 5;
RESET rushdb.hnsw_ef_search;
-- A filter that keeps one row is better served by its own index.
EXPLAIN (COSTS OFF) SELECT id FROM hnsw_items WHERE id = 7 ORDER BY v <-> '[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]' LIMIT 5;
-- A predicate that is not ORDER BY distance never uses it.
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM hnsw_items ORDER BY v <-> '[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]' LIMIT 5;
EXPLAIN (COSTS OFF) SELECT id FROM hnsw_items WHERE v <-> '[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]' < 1;
EXPLAIN (COSTS OFF) SELECT id FROM hnsw_items ORDER BY v <=> '[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]' LIMIT 5;
RESET enable_seqscan;
ANALYZE hnsw_items;
-- A tiny table is cheaper to scan exactly.
CREATE TABLE hnsw_tiny (id int, v vector(2));
INSERT INTO hnsw_tiny VALUES (1, '[1,1]'), (2, '[2,2]');
CREATE INDEX ON hnsw_tiny USING rushdb_hnsw (v vector_l2_ops);
ANALYZE hnsw_tiny;
EXPLAIN (COSTS OFF) SELECT id FROM hnsw_tiny ORDER BY v <-> '[1,1]' LIMIT 1;
DROP TABLE hnsw_tiny;

-- With a generous ef_search the index returns exactly the exact top 10.
-- Each side runs under EXPLAIN ANALYZE and says which rushdb_hnsw indexes
-- it scanned: the approximate side must name the operator's index, the
-- exact side none.
CREATE FUNCTION pg_temp.mismatches(op text, OUT ann_scanned text, OUT exact_scanned text, OUT mismatches bigint)
LANGUAGE plpgsql AS $$
BEGIN
    SET LOCAL enable_seqscan = off;
    ann_scanned := pg_temp.run_scans(format($q$
        CREATE TEMP TABLE ann AS SELECT q.qid, s.id FROM hnsw_queries q,
            LATERAL (SELECT id FROM hnsw_items ORDER BY v %1$s q.v LIMIT 10) s$q$, op));
    SET LOCAL enable_indexscan = off;
    SET LOCAL enable_seqscan = on;
    exact_scanned := pg_temp.run_scans(format($q$
        CREATE TEMP TABLE exact AS SELECT q.qid, s.id FROM hnsw_queries q,
            LATERAL (SELECT id FROM hnsw_items ORDER BY v %1$s q.v, id LIMIT 10) s$q$, op));
    SELECT count(*) INTO mismatches FROM (SELECT * FROM exact EXCEPT SELECT * FROM ann) d;
    DROP TABLE ann, exact;
END $$;
SET rushdb.hnsw_ef_search = 200;
SELECT ann_scanned, exact_scanned, mismatches AS l2_mismatches FROM pg_temp.mismatches('<->');
CREATE INDEX hnsw_items_cos ON hnsw_items USING rushdb_hnsw (v vector_cosine_ops);
SELECT ann_scanned, exact_scanned, mismatches AS cosine_mismatches FROM pg_temp.mismatches('<=>');
CREATE INDEX hnsw_items_ip ON hnsw_items USING rushdb_hnsw (v vector_ip_ops);
-- Inner product is not a metric, so HNSW is only nearly exact for it.
SELECT ann_scanned, exact_scanned, mismatches <= 5 AS ip_nearly_exact FROM pg_temp.mismatches('<#>');
CREATE INDEX hnsw_items_l1 ON hnsw_items USING rushdb_hnsw (v vector_l1_ops);
-- Taxicab distance is a metric: the graph finds the same neighbours as the
-- exact order at this ef.
SELECT ann_scanned, exact_scanned, mismatches AS l1_mismatches FROM pg_temp.mismatches('<+>');
SELECT count(*) AS problems FROM rushdb.hnsw_verify('hnsw_items_l1');
DROP INDEX hnsw_items_cos, hnsw_items_ip, hnsw_items_l1;

-- The index returns exact distances, in order. (pg_temp.via runs a query
-- only when its plan scans the index named, and gives its first column.)
SET enable_seqscan = off;
SELECT pg_temp.via('hnsw_items_l2', $$SELECT bool_and(d >= prev) AND count(*) = 50 FROM (
    SELECT v <-> (SELECT v FROM hnsw_queries WHERE qid = 1) AS d,
           lag(v <-> (SELECT v FROM hnsw_queries WHERE qid = 1), 1, 0) OVER () AS prev
    FROM (SELECT v FROM hnsw_items ORDER BY v <-> (SELECT v FROM hnsw_queries WHERE qid = 1) LIMIT 50) s) t$$)
    AS ordered_50;

-- Inserts after the build are found.
INSERT INTO hnsw_items SELECT 3000 + qid, 99, v FROM hnsw_queries;
SELECT pg_temp.via('hnsw_items_l2', 'SELECT id FROM hnsw_items ORDER BY v <-> (SELECT v FROM hnsw_queries WHERE qid = 7) LIMIT 1') AS id;
SELECT count(*) AS problems FROM rushdb.hnsw_verify('hnsw_items_l2');
SELECT ann_scanned, exact_scanned, mismatches AS l2_mismatches_after_inserts FROM pg_temp.mismatches('<->');

-- An UPDATE moves a row in the index (new heap tuple, new element).
UPDATE hnsw_items SET v = '[9,9,9,9,9,9,9,9,9,9,9,9,9,9,9,9]' WHERE id = 1;
SELECT pg_temp.via('hnsw_items_l2', $$SELECT id FROM hnsw_items ORDER BY v <-> '[9,9,9,9,9,9,9,9,9,9,9,9,9,9,9,8.9]' LIMIT 1$$) AS id;
UPDATE hnsw_items SET v = '[-9,9,-9,9,-9,9,-9,9,-9,9,-9,9,-9,9,-9,9]' WHERE id = 1;
SELECT pg_temp.via('hnsw_items_l2', $$SELECT bool_and(id <> 1) FROM (SELECT id FROM hnsw_items
    ORDER BY v <-> '[9,9,9,9,9,9,9,9,9,9,9,9,9,9,9,8.9]' LIMIT 10) s$$) AS old_position_gone;
SELECT pg_temp.via('hnsw_items_l2', $$SELECT id FROM hnsw_items ORDER BY v <-> '[-9,9,-9,9,-9,9,-9,9,-9,9,-9,9,-9,9,-9,9.1]' LIMIT 1$$) AS id;

-- Filtered queries return LIMIT rows whenever that many rows match, even
-- when the filter rejects most candidates (iterative scan).
SET rushdb.hnsw_ef_search = 10;
SELECT pg_temp.via('hnsw_items_l2', $$SELECT count(*) FROM (SELECT id FROM hnsw_items WHERE category = 3
    ORDER BY v <-> (SELECT v FROM hnsw_queries WHERE qid = 2) LIMIT 40) s$$) AS count;
SELECT pg_temp.via('hnsw_items_l2', $$SELECT count(*) FROM (SELECT id FROM hnsw_items WHERE id % 500 = 0
    ORDER BY v <-> (SELECT v FROM hnsw_queries WHERE qid = 2) LIMIT 10) s$$) AS count;
-- Off: the graph hands out its ef_search (10) candidates once and stops, so
-- a filter keeps exactly the candidates it passes. Query 2's cluster is all
-- category 5, apart from the copy of query 2 inserted above (category 99),
-- which sits in the pending list: its rows come besides the graph's 10, so
-- all 10 graph candidates are category 5: 10 of the 40 rows asked for
-- (iterative: 40).
SELECT pg_temp.via('hnsw_items_l2', $$SELECT count(*) FILTER (WHERE category = 5) FROM (SELECT category FROM hnsw_items
    ORDER BY v <-> (SELECT v FROM hnsw_queries WHERE qid = 2) LIMIT 10) s$$) AS candidates_in_category_5;
SET rushdb.hnsw_iterative_scan = off;
SELECT pg_temp.via('hnsw_items_l2', $$SELECT count(*) FROM (SELECT id FROM hnsw_items WHERE category = 5
    ORDER BY v <-> (SELECT v FROM hnsw_queries WHERE qid = 2) LIMIT 40) s$$) AS bounded;
RESET rushdb.hnsw_iterative_scan;
SELECT pg_temp.via('hnsw_items_l2', $$SELECT count(*) FROM (SELECT id FROM hnsw_items WHERE category = 5
    ORDER BY v <-> (SELECT v FROM hnsw_queries WHERE qid = 2) LIMIT 40) s$$) AS iterative;
SET rushdb.hnsw_ef_search = 200;

-- NULL vectors are not indexed and never returned; NULL query gives no rows.
INSERT INTO hnsw_items VALUES (5000, 1, NULL);
SELECT pg_temp.via('hnsw_items_l2', 'SELECT count(*) FROM (SELECT id FROM hnsw_items ORDER BY v <-> (SELECT v FROM hnsw_queries WHERE qid = 3) LIMIT 10000) s') AS count;
SELECT pg_temp.via('hnsw_items_l2', 'SELECT count(*) FROM (SELECT id FROM hnsw_items ORDER BY v <-> (SELECT NULL::vector(16)) LIMIT 5) s') AS count;

-- Wrong dimensions.
SELECT pg_temp.expect_error('SELECT id FROM hnsw_items ORDER BY v <-> ''[1,2,3]'' LIMIT 1');
SELECT pg_temp.expect_error('INSERT INTO hnsw_items VALUES (6000, 1, ''[1,2,3]'')');

-- VACUUM after deleting a third: nothing deleted comes back, everything
-- left is found, the graph is intact.
DELETE FROM hnsw_items WHERE id % 3 = 0;
VACUUM hnsw_items;
SELECT count(*) AS problems FROM rushdb.hnsw_verify('hnsw_items_l2');
SELECT pg_temp.via('hnsw_items_l2', $$SELECT count(*) FROM (SELECT id FROM hnsw_items
    ORDER BY v <-> (SELECT v FROM hnsw_queries WHERE qid = 4) LIMIT 10000) s WHERE id % 3 = 0$$) AS deleted_returned;
SELECT pg_temp.via('hnsw_items_l2', $$SELECT count(*) FROM (SELECT id FROM hnsw_items
    ORDER BY v <-> (SELECT v FROM hnsw_queries WHERE qid = 4) LIMIT 10000) s$$) AS all_found;
SELECT ann_scanned, exact_scanned, mismatches AS l2_mismatches_after_vacuum FROM pg_temp.mismatches('<->');
RESET enable_seqscan;
DROP TABLE hnsw_items, hnsw_queries;

-- Cosine: zero vectors are not indexed (no direction); a zero query finds nothing.
CREATE TABLE hnsw_zero (id int, v vector(2));
INSERT INTO hnsw_zero VALUES (1, '[0,0]'), (2, '[1,0]'), (3, '[0,1]');
CREATE INDEX hnsw_zero_idx ON hnsw_zero USING rushdb_hnsw (v vector_cosine_ops);
SET enable_seqscan = off;
SELECT pg_temp.via('hnsw_zero_idx', $$SELECT id FROM hnsw_zero ORDER BY v <=> '[1,0.1]' LIMIT 5$$) AS ids;
SELECT pg_temp.via('hnsw_zero_idx', $$SELECT id FROM hnsw_zero ORDER BY v <=> '[0,0]' LIMIT 5$$) AS ids;
RESET enable_seqscan;
DROP TABLE hnsw_zero;

-- Vectors larger than a page: 3,072 and 16,000 dimensions.
CREATE TABLE hnsw_wide (id int, v vector(3072));
INSERT INTO hnsw_wide SELECT i, (SELECT array_agg(sin(i * 0.37 + j * 0.011)) FROM generate_series(1, 3072) j)
FROM generate_series(1, 60) i;
CREATE INDEX hnsw_wide_idx ON hnsw_wide USING rushdb_hnsw (v vector_cosine_ops);
INSERT INTO hnsw_wide SELECT i, (SELECT array_agg(sin(i * 0.37 + j * 0.011)) FROM generate_series(1, 3072) j)
FROM generate_series(61, 80) i;
SET enable_seqscan = off;
SELECT pg_temp.via('hnsw_wide_idx', 'SELECT id FROM hnsw_wide ORDER BY v <=> (SELECT v FROM hnsw_wide WHERE id = 70) LIMIT 1') AS id;
SELECT pg_temp.via('hnsw_wide_idx', 'SELECT id FROM hnsw_wide ORDER BY v <=> (SELECT v FROM hnsw_wide WHERE id = 5) LIMIT 1') AS id;
RESET enable_seqscan;
SELECT count(*) AS problems FROM rushdb.hnsw_verify('hnsw_wide_idx');
DROP TABLE hnsw_wide;

CREATE TABLE hnsw_huge (id int, v vector(16000));
INSERT INTO hnsw_huge SELECT i, (SELECT array_agg(cos(i * 0.21 + j * 0.003)) FROM generate_series(1, 16000) j)
FROM generate_series(1, 25) i;
CREATE INDEX hnsw_huge_idx ON hnsw_huge USING rushdb_hnsw (v vector_l2_ops);
INSERT INTO hnsw_huge SELECT i, (SELECT array_agg(cos(i * 0.21 + j * 0.003)) FROM generate_series(1, 16000) j)
FROM generate_series(26, 30) i;
SET enable_seqscan = off;
SELECT pg_temp.via('hnsw_huge_idx', 'SELECT id FROM hnsw_huge ORDER BY v <-> (SELECT v FROM hnsw_huge WHERE id = 28) LIMIT 1') AS id;
SELECT pg_temp.via('hnsw_huge_idx', 'SELECT id FROM hnsw_huge ORDER BY v <-> (SELECT v FROM hnsw_huge WHERE id = 3) LIMIT 1') AS id;
RESET enable_seqscan;
DELETE FROM hnsw_huge WHERE id % 2 = 0;
VACUUM hnsw_huge;
SELECT count(*) AS problems FROM rushdb.hnsw_verify('hnsw_huge_idx');
SET enable_seqscan = off;
SELECT pg_temp.via('hnsw_huge_idx', 'SELECT count(*) FROM (SELECT id FROM hnsw_huge ORDER BY v <-> (SELECT v FROM hnsw_huge WHERE id = 3) LIMIT 100) s') AS count;
RESET enable_seqscan;
DROP TABLE hnsw_huge;

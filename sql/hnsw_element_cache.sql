--
-- rushdb_hnsw scans keep the vectors of the elements they measured in a
-- per-backend cache (src/pg/hnsw_element_cache.hpp) and measure cached
-- elements without reading their pages. An element's contents never change
-- while it exists, but VACUUM frees the slots of removed elements and later
-- inserts fill them with other elements under the same TIDs: VACUUM bumps
-- the metapage's cache epoch first, and a scan uses the cache only at its
-- epoch. Here one session scans, deletes a third of the rows, vacuums,
-- inserts rows with other vectors into the freed slots (the index does not
-- grow) and scans again: each time the index returns what exact search
-- returns.
--
\set SHOW_CONTEXT never
SET search_path = public, rushdb;

CREATE TABLE hec_items (id int PRIMARY KEY, v vector(8));
INSERT INTO hec_items
SELECT i, (SELECT array_agg(sin(i * 1.7 + j * 2.3)) FROM generate_series(1, 8) j)
FROM generate_series(1, 3000) i;
CREATE TABLE hec_queries (qid int, v vector(8));
INSERT INTO hec_queries
SELECT q, (SELECT array_agg(cos(q * 0.9 + j)) FROM generate_series(1, 8) j) FROM generate_series(1, 8) q;
-- No pending list: inserts go into the graph at once, into freed slots.
CREATE INDEX hec_l2 ON hec_items USING rushdb_hnsw (v vector_l2_ops) WITH (pending_list_limit = 0);
ANALYZE hec_items;
SET rushdb.hnsw_ef_search = 400;

-- How many of the 8 queries' top 10 differ between the index and an exact
-- sort (ties broken by id; the points have no ties).
CREATE FUNCTION pg_temp.mismatches() RETURNS int LANGUAGE plpgsql AS $$
DECLARE q int; ann text; exact text; bad int := 0;
BEGIN
    FOR q IN 1..8 LOOP
        PERFORM set_config('enable_seqscan', 'off', true);
        SELECT string_agg(id::text, ',') INTO ann FROM (SELECT id FROM hec_items
            ORDER BY v <-> (SELECT v FROM hec_queries WHERE qid = q) LIMIT 10) x;
        PERFORM set_config('enable_seqscan', 'on', true);
        PERFORM set_config('enable_indexscan', 'off', true);
        SELECT string_agg(id::text, ',') INTO exact FROM (SELECT id FROM hec_items
            ORDER BY v <-> (SELECT v FROM hec_queries WHERE qid = q), id LIMIT 10) x;
        PERFORM set_config('enable_indexscan', 'on', true);
        IF ann IS DISTINCT FROM exact THEN bad := bad + 1; END IF;
    END LOOP;
    RETURN bad;
END $$;
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM hec_items ORDER BY v <-> (SELECT v FROM hec_queries WHERE qid = 1) LIMIT 10;
RESET enable_seqscan;

-- No cache before the first scan.
SELECT count(*) AS caches FROM rushdb.hnsw_element_cache();
SELECT pg_temp.mismatches() AS first_scans;
SELECT index_relfilenode = pg_relation_filenode('hec_l2') AS this_index, entries > 0 AS filled,
       entries <= 3000 AS bounded, memory_bytes > 0 AS has_memory, NOT at_budget AS room
FROM rushdb.hnsw_element_cache();
SELECT hits AS hits_before FROM rushdb.hnsw_element_cache() \gset
SELECT pg_temp.mismatches() AS warm_scans;
SELECT hits > :hits_before AS warm_scans_hit FROM rushdb.hnsw_element_cache();

-- Every element into the cache: an iterative scan for all rows measures
-- them all.
SET enable_seqscan = off;
SELECT count(*) FROM (SELECT id FROM hec_items ORDER BY v <-> (SELECT v FROM hec_queries WHERE qid = 1) LIMIT 3000) x;
RESET enable_seqscan;
SELECT entries AS cached_all FROM rushdb.hnsw_element_cache();

-- Remove nine rows in ten (the page the next insert goes to loses most of
-- its elements), then insert, for each query, a copy of its nearest
-- remaining row moved a little closer to it: each new row is its query's
-- nearest neighbour, and its element takes a freed slot, so a cache read
-- without the epoch would give it the removed element's vector and heap
-- TID, and the row would be missing from its query's top 10.
SELECT pg_relation_size('hec_l2') AS size_before \gset
DELETE FROM hec_items WHERE id % 10 <> 0;
VACUUM hec_items;
INSERT INTO hec_items
SELECT 20000 + q.qid, (SELECT array_agg(a * 0.999 + b * 0.001)
                       FROM unnest(n.v::real[], q.v::real[]) AS u(a, b))::vector
FROM hec_queries q,
     LATERAL (SELECT v FROM hec_items i ORDER BY i.v <-> q.v LIMIT 1) n;
SELECT pg_relation_size('hec_l2') = :size_before AS slots_reused;
SELECT pg_temp.mismatches() AS after_slot_reuse;
SELECT pg_temp.mismatches() AS after_slot_reuse_warm;
SELECT rushdb.hnsw_verify('hec_l2');
-- VACUUM moved the epoch: a new cache, holding live elements only.
SELECT entries <= (SELECT count(*) FROM hec_items) AS live_only FROM rushdb.hnsw_element_cache();

-- A VACUUM that removes nothing keeps the cache's epoch (the hits go on).
SELECT hits AS hits_before FROM rushdb.hnsw_element_cache() \gset
VACUUM hec_items;
SELECT pg_temp.mismatches() AS after_empty_vacuum;
SELECT hits > :hits_before AS still_hit FROM rushdb.hnsw_element_cache();

-- REINDEX: a new relfilenode, a new cache.
REINDEX INDEX hec_l2;
SELECT pg_temp.mismatches() AS after_reindex;
SELECT count(*) AS caches, bool_or(index_relfilenode = pg_relation_filenode('hec_l2')) AS this_index
FROM rushdb.hnsw_element_cache();

-- Two indexes scanned in turn (two cursors): each scan keeps the cache it
-- started with while the other replaces the backend's.
CREATE TABLE hec_other (id int PRIMARY KEY, v vector(4));
INSERT INTO hec_other SELECT i, ARRAY[sin(i), cos(i), sin(i * 0.3), 1]::vector FROM generate_series(1, 500) i;
CREATE INDEX hec_other_l2 ON hec_other USING rushdb_hnsw (v vector_l2_ops);
SET enable_seqscan = off;
BEGIN;
DECLARE c1 CURSOR FOR SELECT id FROM hec_items ORDER BY v <-> (SELECT v FROM hec_queries WHERE qid = 2);
DECLARE c2 CURSOR FOR SELECT id FROM hec_other ORDER BY v <-> '[0,1,0,1]';
CREATE TEMP TABLE hec_fetched (c int, pos int, id int);
DO $$
DECLARE r record; a refcursor := 'c1'; b refcursor := 'c2';
BEGIN
    FOR i IN 1..40 LOOP
        FETCH a INTO r; INSERT INTO hec_fetched VALUES (1, i, r.id);
        FETCH b INTO r; INSERT INTO hec_fetched VALUES (2, i, r.id);
    END LOOP;
END $$;
COMMIT;
RESET enable_seqscan;
SET enable_indexscan = off;
SELECT (SELECT array_agg(id ORDER BY pos) FROM hec_fetched WHERE c = 1) =
       (SELECT array_agg(id) FROM (SELECT id FROM hec_items
        ORDER BY v <-> (SELECT v FROM hec_queries WHERE qid = 2), id LIMIT 40) x) AS first_cursor_exact,
       (SELECT array_agg(id ORDER BY pos) FROM hec_fetched WHERE c = 2) =
       (SELECT array_agg(id) FROM (SELECT id FROM hec_other ORDER BY v <-> '[0,1,0,1]', id LIMIT 40) x)
       AS second_cursor_exact;
RESET enable_indexscan;
-- Both indexes keep a cache.
SELECT count(*) AS caches FROM rushdb.hnsw_element_cache();
DROP TABLE hec_other, hec_fetched;

-- TRUNCATE of a table created in the same transaction rebuilds its index
-- under the same relfilenode: the build's random epoch keeps the cache
-- made before from being used.
BEGIN;
CREATE TABLE hec_tx (id int PRIMARY KEY, v vector(4));
INSERT INTO hec_tx SELECT i, ARRAY[sin(i), cos(i), sin(i * 0.3), 1]::vector FROM generate_series(1, 300) i;
CREATE INDEX hec_tx_l2 ON hec_tx USING rushdb_hnsw (v vector_l2_ops) WITH (pending_list_limit = 0);
SELECT pg_relation_filenode('hec_tx_l2') AS tx_node \gset
SET LOCAL enable_seqscan = off;
SELECT count(*) FROM (SELECT id FROM hec_tx ORDER BY v <-> '[1,0,0,1]' LIMIT 300) x;
TRUNCATE hec_tx;
INSERT INTO hec_tx SELECT i, ARRAY[cos(i * 0.7), sin(i * 1.3), cos(i), 2]::vector FROM generate_series(1, 300) i;
SELECT pg_relation_filenode('hec_tx_l2') = :tx_node AS same_relfilenode;
CREATE TEMP TABLE hec_tx_ann AS SELECT id FROM hec_tx ORDER BY v <-> '[1,0,0,1]' LIMIT 10;
SET LOCAL enable_seqscan = on;
SET LOCAL enable_indexscan = off;
SELECT (SELECT array_agg(id ORDER BY id) FROM hec_tx_ann) =
       (SELECT array_agg(id ORDER BY id) FROM (SELECT id FROM hec_tx ORDER BY v <-> '[1,0,0,1]', id LIMIT 10) x)
       AS rebuilt_index_exact;
ROLLBACK;

-- Off: no cache, same results.
SET rushdb.hnsw_element_cache = 0;
SELECT pg_temp.mismatches() AS without_cache;
SELECT count(*) AS caches FROM rushdb.hnsw_element_cache();
-- A budget too small for the index: the cache stops within it; results stay.
SET rushdb.hnsw_element_cache = '16kB';
SELECT pg_temp.mismatches() AS small_cache;
SELECT at_budget, memory_bytes <= 16 * 1024 AS within_setting, entries < (SELECT count(*) FROM hec_items) AS partial
FROM rushdb.hnsw_element_cache();
RESET rushdb.hnsw_element_cache;
SET rushdb.hnsw_element_cache = -1;
SHOW rushdb.hnsw_element_cache;

DROP TABLE hec_items, hec_queries;

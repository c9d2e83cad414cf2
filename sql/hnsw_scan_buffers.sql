--
-- rushdb_hnsw scans pin index pages through the shared buffers they
-- remember per backend (RecentBuffers, src/pg/hnsw_graph_access.hpp): a
-- hint that ReadRecentBuffer re-checks. One session scans an index, then
-- the same index after REINDEX, after DROP + CREATE, after TRUNCATE and a
-- reload with other vectors (each a new relfilenode, so the remembered
-- buffers are stale), and a temporary index (local buffers, never
-- remembered), interleaved; each time the index must return what exact
-- search returns. Block counts still reach the statistics.
--
\set SHOW_CONTEXT never
\set VERBOSITY default
SET search_path = public, rushdb;

\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/sql/include/plan_checks.sql

CREATE TABLE hsb_items (id int PRIMARY KEY, v vector(8));
CREATE FUNCTION pg_temp.load(shift float8) RETURNS void LANGUAGE sql AS $$
    INSERT INTO hsb_items
    SELECT i, (SELECT array_agg(sin(i * 1.7 + j * 2.3 + shift)) FROM generate_series(1, 8) j)
    FROM generate_series(1, 3000) i;
$$;
SELECT pg_temp.load(0);
CREATE TABLE hsb_queries (qid int, v vector(8));
INSERT INTO hsb_queries
SELECT q, (SELECT array_agg(cos(q * 0.9 + j)) FROM generate_series(1, 8) j) FROM generate_series(1, 5) q;
CREATE INDEX hsb_l2 ON hsb_items USING rushdb_hnsw (v vector_l2_ops);
ANALYZE hsb_items;
SET rushdb.hnsw_ef_search = 400;

-- How many of the 5 queries' top 10 differ between the index (proved by
-- via) and an exact sort.
CREATE FUNCTION pg_temp.mismatches(tbl text, idx text) RETURNS int LANGUAGE plpgsql AS $$
DECLARE q int; ann text; exact text; bad int := 0;
BEGIN
    FOR q IN 1..5 LOOP
        PERFORM set_config('enable_seqscan', 'off', true);
        ann := pg_temp.via(idx, format(
            'SELECT id FROM %s ORDER BY v <-> (SELECT v FROM hsb_queries WHERE qid = %s) LIMIT 10', tbl, q));
        PERFORM set_config('enable_seqscan', 'on', true);
        PERFORM set_config('enable_indexscan', 'off', true);
        EXECUTE format('SELECT string_agg(id::text, '','') FROM (SELECT id FROM %s
                        ORDER BY v <-> (SELECT v FROM hsb_queries WHERE qid = %s), id LIMIT 10) x', tbl, q)
            INTO exact;
        PERFORM set_config('enable_indexscan', 'on', true);
        IF ann IS DISTINCT FROM exact THEN bad := bad + 1; END IF;
    END LOOP;
    RETURN bad;
END $$;

SELECT pg_temp.mismatches('hsb_items', 'hsb_l2') AS first_scans;
SELECT pg_temp.mismatches('hsb_items', 'hsb_l2') AS warm_scans;
REINDEX INDEX hsb_l2;
SELECT pg_temp.mismatches('hsb_items', 'hsb_l2') AS after_reindex;
DROP INDEX hsb_l2;
CREATE INDEX hsb_l2 ON hsb_items USING rushdb_hnsw (v vector_l2_ops);
SELECT pg_temp.mismatches('hsb_items', 'hsb_l2') AS after_recreate;
TRUNCATE hsb_items;
SELECT pg_temp.load(0.5);
ANALYZE hsb_items;
SELECT pg_temp.mismatches('hsb_items', 'hsb_l2') AS after_truncate_reload;

CREATE TEMP TABLE hsb_temp AS SELECT * FROM hsb_items;
CREATE INDEX hsb_temp_l2 ON hsb_temp USING rushdb_hnsw (v vector_l2_ops);
ANALYZE hsb_temp;
SELECT pg_temp.mismatches('hsb_temp', 'hsb_temp_l2') AS temp_index;
SELECT pg_temp.mismatches('hsb_items', 'hsb_l2') AS permanent_again;
SELECT pg_temp.mismatches('hsb_temp', 'hsb_temp_l2') AS temp_again;

-- Pins through remembered buffers count as block hits, as ReadBuffer's do.
BEGIN;
SET LOCAL enable_seqscan = off;
SELECT pg_temp.via('hsb_l2', 'SELECT count(*) FROM (SELECT id FROM hsb_items ORDER BY v <-> (SELECT v FROM hsb_queries WHERE qid = 1) LIMIT 10) x') AS rows;
SELECT pg_stat_get_xact_blocks_hit('hsb_l2'::regclass) > 10 AS hits_counted,
       pg_stat_get_xact_blocks_fetched('hsb_l2'::regclass) = pg_stat_get_xact_blocks_hit('hsb_l2'::regclass) AS all_hits;
COMMIT;

DROP TABLE hsb_temp;
DROP TABLE hsb_items, hsb_queries;

--
-- rushdb_hnsw over rushdb.halfvec: the four operator classes, planner use,
-- results identical to a vector index over the same (widened) values, the
-- pending list and graph inserts, VACUUM, a float32 query vector, errors.
--
\set SHOW_CONTEXT never
\set VERBOSITY default
SET search_path = public, rushdb;

\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/sql/include/expect_error.sql

-- 3,000 deterministic 16-dim points in 30 clusters, as halves; the same
-- values as vector in a second table.
CREATE TABLE hh_items (id int PRIMARY KEY, v halfvec(16));
INSERT INTO hh_items
SELECT i, (SELECT array_agg(sin((i % 30) * 7.1 + j * 1.3) * 2 + sin(i * 13.7 + j * 5.9) * 0.3) FROM generate_series(1, 16) j)
FROM generate_series(1, 3000) i;
CREATE TABLE hh_twin (id int PRIMARY KEY, v vector(16));
INSERT INTO hh_twin SELECT id, v::vector FROM hh_items;
CREATE TABLE hh_queries (qid int, v halfvec(16));
INSERT INTO hh_queries
SELECT q, (SELECT array_agg(sin((q % 30) * 7.1 + j * 1.3) * 2 + cos(q * 3.1 + j) * 0.3) FROM generate_series(1, 16) j)
FROM generate_series(1, 20) q;
ANALYZE hh_items;
ANALYZE hh_twin;

-- The top 10 of each query through an index: ids in order, as text.
CREATE FUNCTION pg_temp.top10(tbl regclass, op text, q halfvec) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    r text;
    typ text := CASE WHEN tbl = 'hh_twin'::regclass THEN 'vector' ELSE 'halfvec' END;
BEGIN
    EXECUTE format('SELECT string_agg(id::text, '','' ORDER BY d, id) FROM '
                   '(SELECT id, v %s $1::%s AS d FROM %s ORDER BY v %s $1::%s LIMIT 10) s', op, typ, tbl, op, typ)
       INTO r USING q::text;
    RETURN r;
END $$;

-- The exact answers, before any index exists (a sequential scan and sort).
CREATE TEMP TABLE hh_exact AS
SELECT c.op, q.qid, pg_temp.top10('hh_items', c.op, q.v) AS ids
FROM (VALUES ('<->'), ('<=>'), ('<#>'), ('<+>')) c(op), hh_queries q;

-- Builds a halfvec index with the class and a vector index on the twin,
-- then checks: the plan uses the index; both return the same rows in the
-- same order for every query (the same values in the same order build the
-- same graph); how many of the exact top-10 ids they find (of 200); and
-- hnsw_verify. Drops both indexes.
CREATE FUNCTION pg_temp.check_class(name text, op text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    plan text;
    line text;
    same int;
    found int;
    problems int;
BEGIN
    EXECUTE format('CREATE INDEX hh_items_idx ON hh_items USING rushdb_hnsw (v halfvec_%s_ops)', name);
    EXECUTE format('CREATE INDEX hh_twin_idx ON hh_twin USING rushdb_hnsw (v vector_%s_ops)', name);
    PERFORM set_config('enable_seqscan', 'off', true);
    PERFORM set_config('rushdb.hnsw_ef_search', '40', true);
    plan := 'no index scan';
    FOR line IN EXECUTE format('EXPLAIN (COSTS OFF) SELECT id FROM hh_items ORDER BY v %s %L::halfvec LIMIT 10',
                               op, '[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]') LOOP
        IF line LIKE '%Index Scan using hh_items_idx%' THEN plan := 'index scan'; END IF;
    END LOOP;
    SELECT count(*) FILTER (WHERE pg_temp.top10('hh_items', check_class.op, v) = pg_temp.top10('hh_twin', check_class.op, v)) INTO same
    FROM hh_queries;
    SELECT sum((SELECT count(*) FROM unnest(string_to_array(pg_temp.top10('hh_items', check_class.op, q.v), ',')) a
                WHERE a = ANY (string_to_array(e.ids, ','))))
      INTO found FROM hh_queries q JOIN hh_exact e ON e.qid = q.qid AND e.op = check_class.op;
    SELECT count(*) INTO problems FROM rushdb.hnsw_verify('hh_items_idx');
    DROP INDEX hh_items_idx, hh_twin_idx;
    RETURN format('%s | identical to the vector index: %s of 20 | exact ids found: %s of 200 | verify problems: %s',
                  plan, same, found, problems);
END $$;
SELECT pg_temp.check_class('l2', '<->') AS l2;
SELECT pg_temp.check_class('cosine', '<=>') AS cosine;
SELECT pg_temp.check_class('ip', '<#>') AS ip;
SELECT pg_temp.check_class('l1', '<+>') AS l1;

-- Inserts after the build, through the pending list and straight into the
-- graph, with a float32 query vector (cast to halfvec implicitly): the
-- index still finds every row once, and VACUUM keeps it whole.
CREATE INDEX hh_items_l2 ON hh_items USING rushdb_hnsw (v halfvec_l2_ops) WITH (pending_list_limit = 64);
INSERT INTO hh_items SELECT i, (SELECT array_agg(cos(i * 0.7 + j) * 3) FROM generate_series(1, 16) j)
FROM generate_series(3001, 3500) i;
SELECT pending_rows > 0 AS pending_used FROM rushdb.hnsw_index_info('hh_items_l2');
ALTER INDEX hh_items_l2 SET (pending_list_limit = 0);
INSERT INTO hh_items SELECT i, (SELECT array_agg(cos(i * 0.9 + j) * 3) FROM generate_series(1, 16) j)
FROM generate_series(3501, 3700) i;
SET enable_seqscan = off;
SET rushdb.hnsw_ef_search = 40;
EXPLAIN (COSTS OFF) SELECT id FROM hh_items ORDER BY v <-> '[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]'::vector LIMIT 5;
-- Each row's own value finds it first (self-match), for all 3,700 rows.
SELECT count(*) FILTER (WHERE (SELECT i.id FROM hh_items i ORDER BY i.v <-> o.v, i.id LIMIT 1) = o.id) AS self_matches,
       count(*) AS total
FROM hh_items o;
DELETE FROM hh_items WHERE id % 3 = 0;
VACUUM hh_items;
SELECT * FROM rushdb.hnsw_verify('hh_items_l2');
SELECT count(*) AS deleted_returned FROM (SELECT id FROM hh_items ORDER BY v <-> '[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]' LIMIT 100) s
WHERE id % 3 = 0;
RESET enable_seqscan;
RESET rushdb.hnsw_ef_search;

-- Errors: a halfvec class on a vector column and the reverse, a zero
-- vector under cosine, wrong dimensions.
SELECT pg_temp.expect_error($$CREATE INDEX ON hh_twin USING rushdb_hnsw (v halfvec_l2_ops)$$) AS class_on_vector,
       pg_temp.expect_error($$CREATE INDEX ON hh_items USING rushdb_hnsw (v vector_l2_ops)$$) AS vector_class_on_halfvec;
CREATE TABLE hh_any (id int, v halfvec);
CREATE INDEX hh_any_cos ON hh_any USING rushdb_hnsw (v halfvec_cosine_ops);
INSERT INTO hh_any VALUES (1, '[1,2,3]');
SELECT pg_temp.expect_error($$INSERT INTO hh_any VALUES (2, '[1,2]')$$) AS wrong_dims,
       pg_temp.expect_error($$INSERT INTO hh_any VALUES (3, '[0,0,0]')$$) AS zero_vector_accepted;
-- (a zero vector has no direction: stored in the table, left out of a cosine
-- graph, as for vector)
-- 4,000 dimensions (pgvector's halfvec index limit) and beyond.
CREATE TABLE hh_wide (id int, v halfvec(6000));
INSERT INTO hh_wide SELECT i, (SELECT array_agg(sin(i * j * 0.001)) FROM generate_series(1, 6000) j) FROM generate_series(1, 30) i;
CREATE INDEX hh_wide_l2 ON hh_wide USING rushdb_hnsw (v halfvec_l2_ops);
SET enable_seqscan = off;
SELECT id FROM hh_wide ORDER BY v <-> (SELECT v FROM hh_wide WHERE id = 7) LIMIT 1;
RESET enable_seqscan;

DROP TABLE hh_items, hh_twin, hh_queries, hh_any, hh_wide;

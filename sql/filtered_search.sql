--
-- Filtered vector search: the plan follows the filter's selectivity, a
-- filter matching nothing or fewer rows than LIMIT returns exactly the rows
-- that match, and the same holds for rushdb.search with a where filter.
--
\set SHOW_CONTEXT never
\set VERBOSITY default
SET search_path = public, rushdb;

\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/sql/include/plan_checks.sql

-- 20,000 deterministic 8-dim points in 30 clusters; c2 keeps 50% of them, c10 10%, c100
-- 1%, c1000 0.1%; rare matches 3 rows.
CREATE TABLE filt_items (id int PRIMARY KEY, c2 int, c10 int, c100 int, c1000 int, rare bool, v vector(8));
INSERT INTO filt_items
SELECT i, i % 2, i % 10, i % 100, i % 1000, i IN (17, 9001, 15555),
       (SELECT array_agg(sin((i % 30) * 7.1 + j * 1.3) * 2 + sin(i * 13.7 + j * 5.9) * 0.3) FROM generate_series(1, 8) j)
FROM generate_series(1, 20000) i;
CREATE INDEX ON filt_items (c2);
CREATE INDEX ON filt_items (c10);
CREATE INDEX ON filt_items (c100);
CREATE INDEX ON filt_items (c1000);
CREATE INDEX ON filt_items (rare);
CREATE INDEX filt_items_hnsw ON filt_items USING rushdb_hnsw (v vector_l2_ops);
ANALYZE filt_items;

-- The planner's choice at each selectivity (default settings): the graph
-- without a filter and for broad filters, an exact ranking of the matches
-- (through their btree) for selective ones.
CREATE FUNCTION pg_temp.plan_for(filter text, lim int DEFAULT 10) RETURNS text LANGUAGE sql AS $$
    SELECT CASE WHEN pg_temp.scans_of(format(
        'SELECT id FROM filt_items WHERE %s ORDER BY v <-> ''[1,0,1,0,1,0,1,0]'' LIMIT %s', filter, lim)) = ''
        THEN 'exact' ELSE 'hnsw' END
$$;
SELECT f AS filter, pg_temp.plan_for(f) AS plan
FROM unnest(ARRAY['true', 'c2 = 1', 'c10 = 3', 'c100 = 7', 'c1000 = 7', 'rare', 'c100 = -1']) f;
-- A larger LIMIT needs more rows through the filter, so the graph walk gets
-- longer and the exact plan wins at a higher selectivity.
SELECT pg_temp.plan_for('c2 = 1', 10) AS limit_10, pg_temp.plan_for('c2 = 1', 500) AS limit_500;

-- Exact truth for the checks below.
CREATE FUNCTION pg_temp.exact(filter text, lim int) RETURNS text LANGUAGE plpgsql SET enable_indexscan = off AS $$
DECLARE result text;
BEGIN
    EXECUTE format('SELECT string_agg(id::text, '','' ORDER BY d, id) FROM (SELECT id, v <-> ''[1,0,1,0,1,0,1,0]'' d
                    FROM filt_items WHERE %s ORDER BY d, id LIMIT %s) s', filter, lim) INTO result;
    RETURN coalesce(result, '(no rows)');
END $$;
-- Do two comma-separated id lists hold the same ids?
CREATE FUNCTION pg_temp.same(a text, b text) RETURNS bool LANGUAGE sql AS $$
    SELECT (SELECT array_agg(x ORDER BY x) FROM unnest(string_to_array(a, ',')) x)
         = (SELECT array_agg(x ORDER BY x) FROM unnest(string_to_array(b, ',')) x)
$$;
-- The fraction of the ids of b that a holds (recall of a against b).
CREATE FUNCTION pg_temp.recall(a text, b text) RETURNS numeric LANGUAGE sql AS $$
    SELECT round((SELECT count(*) FROM unnest(string_to_array(a, ',')) x WHERE x = ANY (string_to_array(b, ',')))::numeric
                 / greatest(1, cardinality(string_to_array(b, ','))), 2)
$$;
-- The same query with the HNSW index forced (no sort allowed).
CREATE FUNCTION pg_temp.graph(filter text, lim int) RETURNS text LANGUAGE plpgsql
SET enable_seqscan = off SET enable_sort = off AS $$
BEGIN
    RETURN pg_temp.via('filt_items_hnsw', format(
        'SELECT id FROM filt_items WHERE %s ORDER BY v <-> ''[1,0,1,0,1,0,1,0]'' LIMIT %s', filter, lim));
END $$;

-- Fewer matches than LIMIT: all of them, through the graph too.
SELECT pg_temp.exact('rare', 10) AS exact_rare, pg_temp.same(pg_temp.graph('rare', 10), pg_temp.exact('rare', 10)) AS graph_finds_all;
-- No match: no rows, and the walk stops at rushdb.hnsw_max_scan_tuples
-- elements instead of reading the whole index.
SET rushdb.hnsw_max_scan_tuples = 300;
SELECT pg_temp.graph('c100 = -1', 10) AS no_match;
CREATE FUNCTION pg_temp.removed(filter text) RETURNS int LANGUAGE plpgsql
SET enable_seqscan = off SET enable_sort = off AS $$
DECLARE line text; n int := 0;
BEGIN
    FOR line IN EXECUTE format('EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT id FROM filt_items
                                WHERE %s ORDER BY v <-> ''[1,0,1,0,1,0,1,0]'' LIMIT 10', filter) LOOP
        IF line ~ 'Rows Removed by Filter' THEN n := substring(line FROM '(\d+)')::int; END IF;
    END LOOP;
    RETURN n;
END $$;
-- Elements returned and rejected: the budget plus at most one widening
-- round of the search (ef_search doubles each round), far below 20,000.
SELECT pg_temp.removed('c100 = -1') BETWEEN 300 AND 1000 AS walk_bounded;
RESET rushdb.hnsw_max_scan_tuples;
-- Broad filters through the graph: nearly the exact top 10, and 10 rows.
SELECT pg_temp.recall(pg_temp.graph('c2 = 1', 10), pg_temp.exact('c2 = 1', 10)) >= 0.9 AS c2_recall,
       pg_temp.recall(pg_temp.graph('c10 = 3', 10), pg_temp.exact('c10 = 3', 10)) >= 0.9 AS c10_recall,
       cardinality(string_to_array(pg_temp.graph('c100 = 7', 10), ',')) AS c100_rows;

-- rushdb.search with a where filter: the same rows as an exact ranking of
-- the matching records, whatever plan runs.
SELECT rushdb.create_index('FiltDoc', 'emb', 'external', 'euclidean', 8) IS NOT NULL AS filt_index;
SELECT jsonb_array_length(rushdb.create_records('FiltDoc', (
    SELECT jsonb_agg(jsonb_build_object('n', id, 'c10', c10, 'c100', c100, 'rare', rare,
                                        '$vectors', jsonb_build_array(jsonb_build_object('propertyName', 'emb',
                                            'vector', rushdb.vector_to_float4(v, 8, false)))) ORDER BY id)
    FROM filt_items WHERE id <= 5000))) AS created;
ANALYZE rushdb.records;
CREATE FUNCTION pg_temp.api(filter jsonb, lim int, m text DEFAULT 'auto') RETURNS text LANGUAGE sql AS $$
    SELECT coalesce(string_agg(s ->> 'n', ',' ORDER BY ord), '(no rows)')
    FROM rushdb.search('FiltDoc', 'emb', '[1,0,1,0,1,0,1,0]'::vector, lim, 0, filter, mode => m) WITH ORDINALITY r(s, ord)
$$;
CREATE FUNCTION pg_temp.exact_api(filter text, lim int) RETURNS text LANGUAGE sql AS $$
    SELECT pg_temp.exact(filter || ' AND id <= 5000', lim)
$$;
SELECT pg_temp.api('{"rare": true}', 10) AS api_rare, pg_temp.exact_api('rare', 10) AS exact_rare;
SELECT pg_temp.api('{"c100": -1}', 10) AS api_no_match;
SELECT pg_temp.same(pg_temp.api('{"c100": 7}', 10), pg_temp.exact_api('c100 = 7', 10)) AS api_c100_exact,
       pg_temp.same(pg_temp.api('{"c10": 3}', 10), pg_temp.exact_api('c10 = 3', 10)) AS api_c10_exact;
-- A graph walk cut short by the scan budget comes back with too few rows
-- (mode ann shows it); auto mode then ranks the matches exactly and still
-- returns all 10.
SET rushdb.hnsw_max_scan_tuples = 20;
SELECT array_length(string_to_array(pg_temp.api('{"c100": 7}', 10, 'ann'), ','), 1) < 10 AS ann_comes_back_short,
       pg_temp.same(pg_temp.api('{"c100": 7}', 10), pg_temp.exact_api('c100 = 7', 10)) AS auto_still_exact;
RESET rushdb.hnsw_max_scan_tuples;
SELECT rushdb.delete_index((SELECT id FROM rushdb.embedding_indexes WHERE label = 'FiltDoc')) IS NOT NULL AS dropped;
DELETE FROM rushdb.records WHERE label = 'FiltDoc';
DROP TABLE filt_items;

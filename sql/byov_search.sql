--
-- RushDB search with a pre-computed queryVector: ranking, __score, limit,
-- skip, where filters, index choice, modes, errors and row-level security.
--
\set SHOW_CONTEXT never
\set VERBOSITY default
SET search_path = public, rushdb;

\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/sql/include/expect_error.sql
\i :abs_srcdir/sql/include/plan_checks.sql
\i :abs_srcdir/sql/include/vector_tables.sql
-- name and score of each result, in order.
CREATE FUNCTION pg_temp.hits(results jsonb) RETURNS text LANGUAGE sql AS $$
    SELECT string_agg((r ->> 'name') || '=' || round((r ->> '__score')::numeric, 4), ', ' ORDER BY o)
    FROM jsonb_array_elements(results) WITH ORDINALITY AS t(r, o)
$$;

SELECT rushdb.create_index('Book', 'summary', 'external', 'cosine', 3) IS NOT NULL AS cosine_index;
SELECT pg_temp.expect_error($$SELECT rushdb.search('Book', 'summary', '[1,0,0]')$$);
SELECT jsonb_array_length(rushdb.create_records('Book', '[
  {"name": "a", "year": 1990, "genre": "scifi", "tags": ["space", "robots"], "published": "1990-03-01",
   "$vectors": [{"propertyName": "summary", "vector": [1, 0, 0]}]},
  {"name": "b", "year": 2001, "genre": "scifi", "tags": ["space"], "published": "2001-07-15T10:00:00Z",
   "$vectors": [{"propertyName": "summary", "vector": [0.9, 0.1, 0]}]},
  {"name": "c", "year": 2015, "genre": "fantasy", "tags": ["dragons"], "published": "2015-01-01",
   "$vectors": [{"propertyName": "summary", "vector": [0.5, 0.5, 0]}]},
  {"name": "d", "year": 2020, "genre": "history", "published": "2020-12-31",
   "$vectors": [{"propertyName": "summary", "vector": [0, 1, 0]}]},
  {"name": "e", "year": 2023, "genre": "poetry", "tags": [],
   "$vectors": [{"propertyName": "summary", "vector": [0, 0, 1]}]},
  {"name": "f (no vector)", "year": 2024}]')) AS created;

-- Ranked best first; cosine score = (1 + cos) / 2.
SELECT pg_temp.hits(rushdb.search('{"label": "Book", "propertyName": "summary", "queryVector": [1, 0, 0]}'));
SELECT pg_temp.hits(rushdb.search('{"labels": ["Book"], "propertyName": "summary", "queryVector": [1, 0, 0], "limit": 2, "skip": 1}'));
-- Several labels: the first picks the index (its records are the results).
SELECT pg_temp.hits(rushdb.search('{"labels": ["Book", "Movie"], "propertyName": "summary", "queryVector": [1, 0, 0], "limit": 3}'));
-- minScore keeps the results scoring at least that much, in order, after skip/limit.
SELECT pg_temp.hits(rushdb.search('{"label": "Book", "propertyName": "summary", "queryVector": [1, 0, 0], "minScore": 0.9}'));
SELECT pg_temp.hits(rushdb.search('{"label": "Book", "propertyName": "summary", "queryVector": [1, 0, 0], "minScore": 0.9, "limit": 1, "skip": 1}'));
SELECT rushdb.search('{"label": "Book", "propertyName": "summary", "queryVector": [1, 0, 0], "minScore": 1.5}') AS nothing_scores_that_high;
SELECT pg_temp.expect_error($$SELECT rushdb.search('{"labels": [], "propertyName": "summary", "queryVector": [1, 0, 0]}')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.search('{"labels": ["Book", 7], "propertyName": "summary", "queryVector": [1, 0, 0]}')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.search('{"labels": ["Book", ""], "propertyName": "summary", "queryVector": [1, 0, 0]}')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.search('{"labels": "Book", "propertyName": "summary", "queryVector": [1, 0, 0]}')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.search('{"label": "Book", "propertyName": "summary", "queryVector": [1, 0, 0], "minScore": "high"}')$$);
SELECT r ? '__id' AND r ? '__proptypes' AND r ->> '__label' = 'Book' AS record_shape
FROM rushdb.search('Book', 'summary', '[1,0,0]', 1) r;
-- Every mode gives the same answer on this data, each by the path it names:
-- exact scans no rushdb_hnsw index, ann scans the index's own (this
-- transaction's scan counters; rushdb.search plans its query inside).
-- Statistics first, as autovacuum would leave them: with none for the new
-- records, mode 'ann' (which only turns sequential scans off) is answered
-- exactly, by the label index and a sort.
ANALYZE rushdb.records;
SELECT result AS exact_hits, scanned = '{}' AS exact_scans_no_hnsw_index
FROM pg_temp.with_hnsw_scans($$SELECT pg_temp.hits(jsonb_agg(r)) FROM rushdb.search('Book', 'summary', '[1,0,0]', mode => 'exact') r$$);
SELECT result AS ann_hits, scanned = ARRAY[pg_temp.vector_hnsw_index(id)] AS ann_scans_its_hnsw_index
FROM pg_temp.with_hnsw_scans($$SELECT pg_temp.hits(jsonb_agg(r)) FROM rushdb.search('Book', 'summary', '[1,0,0]', mode => 'ann', ef => 100) r$$),
     rushdb.embedding_indexes WHERE label = 'Book' AND property_name = 'summary';

-- where filters.
CREATE FUNCTION pg_temp.names(w jsonb) RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(r ->> 'name', ',' ORDER BY o) FROM jsonb_array_elements(
        rushdb.search(jsonb_build_object('label', 'Book', 'propertyName', 'summary', 'queryVector', '[1,0,0]'::jsonb, 'where', w)))
        WITH ORDINALITY AS t(r, o)
$$;
SELECT w, pg_temp.names(w::jsonb) FROM (VALUES
    ('{}'), ('{"genre": "scifi"}'), ('{"genre": {"$ne": "scifi"}}'), ('{"year": {"$gte": 2001, "$lt": 2020}}'),
    ('{"tags": "space"}'), ('{"genre": {"$in": ["fantasy", "poetry"]}}'), ('{"genre": {"$nin": ["fantasy", "poetry"]}}'),
    ('{"name": {"$startsWith": "c"}}'), ('{"genre": {"$contains": "ist"}}'), ('{"genre": {"$endsWith": "fi"}}'),
    ('{"tags": {"$exists": false}}'), ('{"published": {"$gt": "2000-01-01"}}'),
    ('{"$or": [{"genre": "poetry"}, {"year": 1990}]}'), ('{"$not": {"genre": "scifi"}}'),
    ('{"$and": [{"genre": "scifi"}, {"year": {"$gt": 1995}}]}'), ('{"genre": "none"}')) v(w);
SELECT pg_temp.expect_error($$SELECT rushdb.search('Book', 'summary', '[1,0,0]', "where" => '{"year": {"$regex": "x"}}')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.search('Book', 'summary', '[1,0,0]', "where" => '{"year": {"$gt": {"a": 1}}}')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.search('Book', 'summary', '[1,0,0]', "where" => '{"genre": {"$in": "scifi"}}')$$);
-- A caller's string never reaches the SQL text.
SELECT pg_temp.names('{"x''); DROP TABLE rushdb.records; --": "y"}'::jsonb) IS NULL AS injection_is_just_a_key;
SELECT count(*) AS records_intact FROM rushdb.records;

-- Argument errors.
SELECT pg_temp.expect_error($$SELECT rushdb.search('Book', 'summary', '[1,0,0]', 0)$$);
SELECT pg_temp.expect_error($$SELECT rushdb.search('Book', 'summary', '[1,0,0]', 1001)$$);
SELECT pg_temp.expect_error($$SELECT rushdb.search('Book', 'summary', '[1,0,0]', 10, -1)$$);
SELECT pg_temp.expect_error($$SELECT rushdb.search('Book', 'summary', '[1,0,0]', mode => 'fast')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.search('Book', 'summary', '[1,0,0]', ef => 0)$$);
SELECT pg_temp.expect_error($$SELECT rushdb.search('Book', 'summary', NULL)$$);
SELECT pg_temp.expect_error($$SELECT rushdb.search('Book', 'summary', '[1,0]')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.search('Book', 'nope', '[1,0,0]')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.search('{"label": "Book", "propertyName": "summary", "query": "robots"}')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.search('{"label": "Book", "propertyName": "summary"}')$$);

-- Several indexes on one property: inferred when only one fits, else an
-- error listing them.
SELECT rushdb.create_index('Book', 'summary', 'external', 'euclidean', 3) IS NOT NULL AS euclidean_index;
SELECT pg_temp.expect_error($$SELECT rushdb.search('Book', 'summary', '[1,0,0]')$$);
SELECT rushdb.upsert_vectors((SELECT id FROM rushdb.embedding_indexes WHERE similarity_function = 'euclidean'),
    ARRAY(SELECT id FROM rushdb.records WHERE properties ->> 'name' IN ('a', 'd') ORDER BY properties ->> 'name'),
    ARRAY['[1,0,0]', '[0,1,0]']::rushdb.vector[]);
-- Euclidean score = 1 / (1 + d^2).
SELECT pg_temp.hits(rushdb.search('{"label": "Book", "propertyName": "summary", "queryVector": [1, 0, 0], "similarityFunction": "euclidean"}'));
SELECT rushdb.create_index('Book', 'summary', 'external', 'cosine', 2) IS NOT NULL AS two_dim_index;
SELECT pg_temp.expect_error($$SELECT rushdb.search('Book', 'summary', '[1,0]')$$);

-- A managed index still pending answers with what it already holds
-- (nothing yet: the worker cannot see the uncommitted backfill queue).
BEGIN;
SELECT rushdb.create_index('Book', 'summary', 'managed', 'cosine', 4) ->> 'status' AS managed_status;
SELECT count(*) AS pending_results FROM rushdb.search('Book', 'summary', '[1,0,0,0]');
COMMIT;
-- No Book has a summary text, so the worker has nothing to embed: ready.
SELECT rushdb.wait_for_index(id, 60) ->> 'status' AS managed_status FROM rushdb.embedding_indexes
WHERE label = 'Book' AND source_type = 'managed';

-- The SDK object forms of record creation.
SELECT rushdb.create_record('{"label": "Book", "data": {"name": "g", "year": 2025}}') ->> 'name' AS created_from_object;
SELECT jsonb_array_length(rushdb.create_records('{"label": "Book", "data": [{"name": "h"}, {"name": "i"}]}')) AS created_many;
SELECT pg_temp.expect_error($$SELECT rushdb.create_record('"x"'::jsonb)$$);

-- Row-level security on records is honoured: a role sees only its rows.
CREATE ROLE regress_byov_reader;
GRANT USAGE ON SCHEMA rushdb TO regress_byov_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA rushdb TO regress_byov_reader;
ALTER TABLE rushdb.records ENABLE ROW LEVEL SECURITY;
CREATE POLICY byov_scifi ON rushdb.records FOR SELECT TO regress_byov_reader USING (properties ->> 'genre' = 'scifi');
SET ROLE regress_byov_reader;
SELECT pg_temp.hits(rushdb.search('{"label": "Book", "propertyName": "summary", "queryVector": [0, 1, 0], "similarityFunction": "cosine"}'));
RESET ROLE;
SELECT pg_temp.hits(rushdb.search('{"label": "Book", "propertyName": "summary", "queryVector": [0, 1, 0], "similarityFunction": "cosine", "limit": 2}'));
DROP POLICY byov_scifi ON rushdb.records;
ALTER TABLE rushdb.records DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON ALL TABLES IN SCHEMA rushdb FROM regress_byov_reader;
REVOKE USAGE ON SCHEMA rushdb FROM regress_byov_reader;
DROP ROLE regress_byov_reader;

-- A hostile search_path cannot redirect the API's own calls.
CREATE SCHEMA evil;
CREATE FUNCTION evil.jsonb_typeof(jsonb) RETURNS text LANGUAGE sql AS $$ SELECT 'hacked' $$;
CREATE FUNCTION evil.jsonb_array_length(jsonb) RETURNS integer LANGUAGE sql AS $$ SELECT 99 $$;
SET search_path = evil, pg_catalog, public, rushdb;
SELECT pg_temp.hits(rushdb.search('{"label": "Book", "propertyName": "summary", "queryVector": [1, 0, 0], "similarityFunction": "cosine", "limit": 1}'));
SET search_path = public, rushdb;
DROP SCHEMA evil CASCADE;

SELECT count(*) >= 0 AS cleaned FROM (SELECT rushdb.delete_index(id) FROM rushdb.embedding_indexes) s;
DELETE FROM rushdb.records;

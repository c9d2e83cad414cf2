--
-- Resource limits and hardening of rushdb.search: filter size limits with
-- their SQLSTATEs, one-line error CONTEXT, the plan cache (shape keys,
-- LIMIT buckets, LRU), search_path pinning, the zero-vector rule,
-- hnsw_verify ownership and credentials in rushdb.embedding_endpoint.
--
\set SHOW_CONTEXT never
\set VERBOSITY default
SET search_path = public, rushdb;

\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/sql/include/expect_error.sql
-- SQLSTATE and CONTEXT of an error, the CONTEXT's UUIDs shown as <id>.
CREATE FUNCTION pg_temp.error_context(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    state text;
    ctx text;
BEGIN
    EXECUTE sql;
    RETURN 'no error';
EXCEPTION WHEN OTHERS OR query_canceled THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, ctx = PG_EXCEPTION_CONTEXT;
    RETURN state || E'\n' || regexp_replace(ctx, '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<id>', 'g');
END $$;
-- A where filter of n clauses {"name": "v<i>"} under $and (2 n + 1 nodes).
CREATE FUNCTION pg_temp.clauses(n integer) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object('$and', jsonb_agg(jsonb_build_object('name', 'v' || i))) FROM generate_series(1, n) i
$$;

SELECT rushdb.create_index('Doc', 'body', 'external', 'cosine', 3) IS NOT NULL AS cosine_index;
SELECT rushdb.create_index('Pt', 'at', 'external', 'euclidean', 2) IS NOT NULL AS euclidean_index;
SELECT jsonb_array_length(rushdb.create_records('Doc', (
    SELECT jsonb_agg(jsonb_build_object('name', 'd' || i, 'year', 1990 + i % 30,
        '$vectors', jsonb_build_array(jsonb_build_object('propertyName', 'body',
            'vector', jsonb_build_array(1 + i % 7, i % 11, i % 13)))))
    FROM generate_series(1, 3000) i))) AS docs;
SELECT jsonb_array_length(rushdb.create_records('Pt', '[{"name": "origin", "$vectors": [{"propertyName": "at", "vector": [0, 0]}]},
    {"name": "one", "$vectors": [{"propertyName": "at", "vector": [1, 0]}]}]')) AS points;
ANALYZE rushdb.records;
SELECT count(*) > 0 AS analyzed FROM (SELECT rushdb.index_stats(id) FROM rushdb.embedding_indexes) s;

-- ---------------------------------------------------------------------------
-- Filter limits: nodes (rushdb.max_filter_nodes, default 1000), nesting
-- (32 filter levels, 128 JSON levels), generated SQL (1 MB), JSON text (1 MB).
SHOW rushdb.max_filter_nodes;
SELECT count(*) AS ok_at_999_nodes FROM rushdb.search('Doc', 'body', '[1,0,0]', "where" => pg_temp.clauses(499));
SELECT pg_temp.expect_error($$SELECT rushdb.search('Doc', 'body', '[1,0,0]', "where" => pg_temp.clauses(500))$$);
-- The reproducer of the report: 100,000 clauses stop at the limit at once.
SELECT pg_temp.expect_error($$SELECT count(*) FROM rushdb.search('Doc', 'body', '[1,0,0]', "where" =>
    jsonb_build_object('$and', (SELECT jsonb_agg(jsonb_build_object('name', 'a')) FROM generate_series(1, 100000))))$$);
-- $in values are nodes too.
SELECT pg_temp.expect_error($$SELECT rushdb.search('Doc', 'body', '[1,0,0]', "where" =>
    jsonb_build_object('year', jsonb_build_object('$in', (SELECT jsonb_agg(i) FROM generate_series(1, 999) i))))$$);
SET rushdb.max_filter_nodes = 3;
SELECT count(*) AS three_nodes FROM rushdb.search('Doc', 'body', '[1,0,0]', "where" => '{"year": {"$gt": 2000, "$lt": 2010}}');
SELECT pg_temp.expect_error($$SELECT rushdb.search('Doc', 'body', '[1,0,0]', "where" => '{"year": 2000, "name": "d1", "x": 1}')$$);
RESET rushdb.max_filter_nodes;
SELECT pg_temp.expect_error($$SET rushdb.max_filter_nodes = 10001$$);
-- Depth: 33 levels of $not; 65 levels of $and are 130 levels of JSON.
SELECT pg_temp.expect_error(format($$SELECT rushdb.search('Doc', 'body', '[1,0,0]', "where" => %L)$$,
    repeat('{"$not": ', 32) || '{"a": 1}' || repeat('}', 32)));
SELECT pg_temp.expect_error(format($$SELECT rushdb.search('Doc', 'body', '[1,0,0]', "where" => %L)$$,
    repeat('{"$and": [', 65) || '{"a": 1}' || repeat(']}', 65)));
-- Generated SQL beyond 1 MB (reachable only with a raised node limit).
SET rushdb.max_filter_nodes = 10000;
SELECT pg_temp.expect_error($$SELECT rushdb.search('Doc', 'body', '[1,0,0]', "where" => pg_temp.clauses(4999))$$);
RESET rushdb.max_filter_nodes;
-- JSON text beyond 1 MB.
SELECT pg_temp.expect_error($$SELECT rushdb.search('Doc', 'body', '[1,0,0]', "where" =>
    jsonb_build_object('name', jsonb_build_object('$contains', repeat('x', 1100000))))$$);
-- The same limits through the SDK form.
SELECT pg_temp.expect_error($$SELECT rushdb.search(jsonb_build_object('label', 'Doc', 'propertyName', 'body',
    'queryVector', '[1,0,0]'::jsonb, 'where', pg_temp.clauses(600)))$$);

-- Only superusers (or roles granted SET on it) change the node limit.
CREATE ROLE regress_limits_user;
GRANT USAGE ON SCHEMA rushdb TO regress_limits_user;
GRANT SELECT ON ALL TABLES IN SCHEMA rushdb TO regress_limits_user;
SET ROLE regress_limits_user;
SELECT pg_temp.expect_error($$SET rushdb.max_filter_nodes = 5000$$);
SELECT pg_temp.expect_error($$SET rushdb.search_plan_cache_size = 1000$$);
RESET ROLE;
GRANT SET ON PARAMETER rushdb.max_filter_nodes TO regress_limits_user;
SET ROLE regress_limits_user;
SELECT pg_temp.expect_error($$SET rushdb.max_filter_nodes = 5000$$);
RESET ROLE;
RESET rushdb.max_filter_nodes;
REVOKE SET ON PARAMETER rushdb.max_filter_nodes FROM regress_limits_user;

-- ---------------------------------------------------------------------------
-- Errors raised inside the ranked query carry a short CONTEXT: one line for
-- the query (not its SQL text), then the caller's lines. Here a row-level
-- security policy raises for the role.
CREATE FUNCTION public.regress_boom() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'policy says no'; END $$;
ALTER TABLE rushdb.records ENABLE ROW LEVEL SECURITY;
CREATE POLICY regress_boom ON rushdb.records FOR SELECT TO regress_limits_user USING (public.regress_boom());
SET ROLE regress_limits_user;
SELECT pg_temp.error_context($$SELECT rushdb.search('Doc', 'body', '[1,0,0]', "where" => pg_temp.clauses(400))$$);
RESET ROLE;
DROP POLICY regress_boom ON rushdb.records;
ALTER TABLE rushdb.records DISABLE ROW LEVEL SECURITY;
DROP FUNCTION public.regress_boom();
-- A statement timeout (here during planning): a short CONTEXT too.
SET statement_timeout = '10ms';
SELECT e ~ '^57014' AS cancelled, length(e) < 400 AS short_context, e !~ 'record_json' AS no_sql_text
FROM (SELECT pg_temp.error_context($$SELECT rushdb.search('Doc', 'body', '[1,0,0]', "where" => pg_temp.clauses(499))$$) e) s;
RESET statement_timeout;

-- ---------------------------------------------------------------------------
-- The plan cache: keyed by filter shape and a LIMIT bucket (limit + skip
-- rounded up to a power of two); a fresh backend starts empty.
\c -
\set SHOW_CONTEXT never
SET search_path = public, rushdb;
\i :abs_srcdir/sql/include/expect_error.sql
CREATE FUNCTION pg_temp.clauses(n integer) RETURNS jsonb LANGUAGE sql AS $$
    SELECT jsonb_build_object('$and', jsonb_agg(jsonb_build_object('name', 'v' || i))) FROM generate_series(1, n) i
$$;
SELECT rushdb.search_plan_cache() - 'memoryBytes' AS empty_cache;
-- Same shape, other names and values, limits 5 and 7 (bucket 8), skips 0
-- and 1: one plan. The exact LIMIT / OFFSET still apply.
SELECT count(*) AS five FROM rushdb.search('Doc', 'body', '[1,0,0]', 5, "where" => '{"year": {"$gt": 2000}}');
SELECT count(*) AS seven FROM rushdb.search('Doc', 'body', '[1,0,0]', 7, 1, "where" => '{"name": {"$gt": 1}}');
SELECT count(*) AS three FROM rushdb.search('Doc', 'body', '[1,0,0]', 3, 2, "where" => '{"year": {"$gt": 1995}}');
SELECT (SELECT array_agg(r ->> 'name') FROM rushdb.search('Doc', 'body', '[1,0.1,0.2]', 3, 2, "where" => '{"year": {"$gt": 2000}}') r)
     = (SELECT (array_agg(r ->> 'name'))[3:5] FROM rushdb.search('Doc', 'body', '[1,0.1,0.2]', 5, "where" => '{"year": {"$gt": 2000}}') r)
    AS skip_applies_exactly;
SELECT mode, limit_bucket, filter_bytes > 0 AS filtered, uses FROM rushdb.search_plan_cache_entries();
-- Another bucket, another shape, another mode: three more plans.
SELECT count(*) AS nine FROM rushdb.search('Doc', 'body', '[1,0,0]', 9, "where" => '{"year": {"$gt": 2000}}');
SELECT count(*) AS no_filter FROM rushdb.search('Doc', 'body', '[1,0,0]', 5);
SELECT count(*) AS exact FROM rushdb.search('Doc', 'body', '[1,0,0]', 5, mode => 'exact');
SELECT mode, limit_bucket, filter_bytes > 0 AS filtered, uses FROM rushdb.search_plan_cache_entries();
SELECT c ->> 'entries' AS entries, c ->> 'hits' AS hits, c ->> 'misses' AS misses, c ->> 'capacity' AS capacity,
       (c ->> 'memoryBytes')::bigint > 0 AS has_memory, c ->> 'memoryBudget' AS budget
FROM rushdb.search_plan_cache() c;
-- The generic plan (forced here; PostgreSQL picks it after five custom
-- plans) keeps the HNSW index scan with the LIMIT bucket, also with a filter.
SET plan_cache_mode = force_generic_plan;
SELECT count(*) AS generic FROM rushdb.search('Doc', 'body', '[0,1,0]', 10, 3, "where" => '{"year": {"$gt": 1990}}');
SELECT count(*) AS generic FROM rushdb.search('Doc', 'body', '[0,1,0]', 10);
SELECT mode, limit_bucket, filter_bytes > 0 AS filtered, generic_plan, generic_plan_uses_hnsw
FROM rushdb.search_plan_cache_entries() WHERE limit_bucket = 16;
RESET plan_cache_mode;
-- LRU: at most rushdb.search_plan_cache_size plans, evicted ones freed.
SET rushdb.search_plan_cache_size = 2;
SELECT count(*) FROM generate_series(1, 6) g,
    LATERAL rushdb.search('Doc', 'body', '[1,0,0]', 5, "where" => (SELECT jsonb_object_agg('p' || i, i) FROM generate_series(1, g) i)) r;
SELECT c ->> 'entries' AS entries, (c ->> 'evictions')::int >= 6 AS evicted FROM rushdb.search_plan_cache() c;
SELECT count(*) AS most_recent_first FROM rushdb.search_plan_cache_entries() WHERE filter_bytes > 0;
SET rushdb.search_plan_cache_size = 0;
SELECT count(*) AS uncached_search FROM rushdb.search('Doc', 'body', '[1,0,0]', 5);
SELECT rushdb.search_plan_cache() ->> 'entries' AS entries_after_size_0;
RESET rushdb.search_plan_cache_size;
-- The memory budget evicts too.
SET rushdb.search_plan_cache_memory = '64kB';
SELECT count(*) FROM rushdb.search('Doc', 'body', '[1,0,0]', 5, "where" => pg_temp.clauses(50));
SELECT (c ->> 'memoryBytes')::bigint <= 65536 AS within_budget FROM rushdb.search_plan_cache() c;
RESET rushdb.search_plan_cache_memory;

-- ---------------------------------------------------------------------------
-- search_path: a role's operators and functions on the search_path are
-- never resolved by the search's SQL (the score's "s.d / 2" was).
CREATE FUNCTION public.regress_div(float8, integer) RETURNS float8 LANGUAGE plpgsql AS $$
BEGIN RAISE NOTICE 'public./ ran'; RETURN $1 OPERATOR(pg_catalog./) $2::float8; END $$;
CREATE OPERATOR public./ (LEFTARG = float8, RIGHTARG = integer, FUNCTION = public.regress_div);
-- exact mode ranks by "distance + 0", spelled OPERATOR(pg_catalog.+).
CREATE FUNCTION public.regress_add(float8, float8) RETURNS float8 LANGUAGE plpgsql AS $$
BEGIN RAISE NOTICE 'public.+ ran'; RETURN $1 OPERATOR(pg_catalog.+) $2; END $$;
CREATE OPERATOR public.+ (LEFTARG = float8, RIGHTARG = float8, FUNCTION = public.regress_add);
CREATE FUNCTION public.jsonb_build_object(text, jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN RAISE NOTICE 'public.jsonb_build_object ran'; RETURN pg_catalog.jsonb_build_object($1, $2); END $$;
SET search_path = public, pg_catalog, rushdb;
SELECT 1.0::float8 / 2 AS visible_to_plain_sql;
SELECT count(*) AS no_notice FROM rushdb.search('Doc', 'body', '[1,0,0]', 3,
    "where" => '{"name": "d1", "year": {"$gt": 1}, "x": {"$startsWith": "a"}, "d": {"$lt": "2024-01-01"}}');
SELECT count(*) AS no_notice FROM rushdb.search('Pt', 'at', '[1,1]', 3);
SELECT count(*) AS no_notice_exact FROM rushdb.search('Doc', 'body', '[1,0,0]', 3, mode => 'exact');
SELECT count(*) AS no_notice_exact FROM rushdb.search('Doc', 'body', '[1,0,0]', 3, "where" => '{"name": "d1"}', mode => 'exact');
SHOW search_path;
SET search_path = public, rushdb;
DROP OPERATOR public./ (float8, integer);
DROP FUNCTION public.regress_div(float8, integer);
DROP OPERATOR public.+ (float8, float8);
DROP FUNCTION public.regress_add(float8, float8);
DROP FUNCTION public.jsonb_build_object(text, jsonb);

-- ---------------------------------------------------------------------------
-- Cosine needs a direction: a zero query vector (also one that underflowed
-- to zero) is an error, never a "NaN" score. Euclidean takes it.
SELECT pg_temp.expect_error($$SELECT rushdb.search('Doc', 'body', '[0,0,0]')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.search('Doc', 'body', '[1e-50,0,0]', mode => 'exact')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.search('{"label": "Doc", "propertyName": "body", "queryVector": [0, -0.0, 0]}')$$);
SELECT count(*) AS tiny_is_fine FROM rushdb.search('Doc', 'body', '[1e-30,0,0]', 3, mode => 'exact');
SELECT string_agg((r ->> 'name') || '=' || (r ->> '__score'), ', ') AS euclidean_zero
FROM rushdb.search('Pt', 'at', '[0,0]') r;

-- ---------------------------------------------------------------------------
-- hnsw_verify is for the table's owner.
CREATE TABLE public.regress_items (id int, v rushdb.vector(2));
INSERT INTO public.regress_items VALUES (1, '[1,2]'), (2, '[3,4]');
CREATE INDEX regress_items_hnsw ON public.regress_items USING rushdb_hnsw (v rushdb.vector_l2_ops);
SET ROLE regress_limits_user;
SELECT pg_temp.expect_error($$SELECT rushdb.hnsw_verify('public.regress_items_hnsw')$$);
SELECT pg_temp.expect_error($$SELECT rushdb_internal.hnsw_verify_problems('public.regress_items_hnsw')$$);
RESET ROLE;
ALTER TABLE public.regress_items OWNER TO regress_limits_user;
SET ROLE regress_limits_user;
SELECT count(*) AS owner_may FROM rushdb.hnsw_verify('public.regress_items_hnsw');
RESET ROLE;
SELECT count(*) AS superuser_may FROM rushdb.hnsw_verify('public.regress_items_hnsw');
SELECT pg_temp.expect_error($$SELECT rushdb.hnsw_verify('public.regress_items')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.hnsw_verify(0)$$);
DROP TABLE public.regress_items;

-- ---------------------------------------------------------------------------
-- No credentials in the embedding endpoint URL: they belong in the hidden
-- rushdb.embedding_api_key.
SELECT pg_temp.expect_error($$SET rushdb.embedding_endpoint = 'http://user:secret@127.0.0.1:11434/v1'$$);
SELECT pg_temp.expect_error($$SET rushdb.embedding_endpoint = 'https://token@example.com/v1'$$);
SELECT pg_temp.expect_error($$SET rushdb.embedding_endpoint = 'http://127.0.0.1:11434/v1'$$);
SHOW rushdb.embedding_endpoint;
RESET rushdb.embedding_endpoint;

REVOKE ALL ON ALL TABLES IN SCHEMA rushdb FROM regress_limits_user;
REVOKE USAGE ON SCHEMA rushdb FROM regress_limits_user;
DROP ROLE regress_limits_user;
SELECT count(*) >= 0 AS cleaned FROM (SELECT rushdb.delete_index(id) FROM rushdb.embedding_indexes) s;
DELETE FROM rushdb.records;

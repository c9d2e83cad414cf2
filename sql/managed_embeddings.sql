--
-- Managed embedding indexes: backfill by the background worker, keeping
-- vectors current on writes, text-query search, readiness, errors.
-- (The HTTP provider, crash recovery and the launcher are tested in
-- test/t/006_managed_embeddings.pl.)
--
\set SHOW_CONTEXT never
\set VERBOSITY default
SET search_path = public, rushdb;

\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/sql/include/expect_error.sql
\i :abs_srcdir/sql/include/vector_tables.sql
\i :abs_srcdir/sql/include/plan_checks.sql
-- Titles of a search result, in rank order.
CREATE FUNCTION pg_temp.titles(j jsonb) RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(coalesce(x ->> 'title', x ->> 'name'), ' | ' ORDER BY o) FROM jsonb_array_elements(j) WITH ORDINALITY AS t(x, o)
$$;
CREATE FUNCTION pg_temp.ix(lbl text, prop text, src text DEFAULT 'managed') RETURNS uuid LANGUAGE sql AS $$
    SELECT id FROM rushdb.embedding_indexes WHERE label = lbl AND property_name = prop AND source_type = src
$$;
-- Every record of the label with the property has exactly one vector.
CREATE FUNCTION pg_temp.vector_count(lbl text, prop text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM %s', pg_temp.vector_relation(pg_temp.ix(lbl, prop))) INTO n;
    RETURN n;
END $$;

-- Existing records, then a managed index over them.
SELECT jsonb_array_length(rushdb.create_records('Article', '[
  {"title": "Deploying a Fiori app to the cloud", "lang": "en"},
  {"title": "Flexible column layout in SAPUI5", "lang": "en"},
  {"title": "OData V4 model binding", "lang": "en"},
  {"title": "Smart tables and column widths", "lang": "de"},
  {"title": ["list report", "object page"], "lang": "en"},
  {"title": "", "lang": "en"},
  {"title": "!!!", "lang": "en"},
  {"lang": "en"}]')) AS created;

-- create_index: status pending, the provider checked with one embedding.
SELECT rushdb.create_index('Article', 'title') ->> 'status' AS created_status;
SELECT (rushdb.wait_for_index(pg_temp.ix('Article', 'title'), 60) - 'id' - 'createdAt' - 'updatedAt') AS ready;
-- Texts with no words ("", "!!!") and the record without a title get no
-- vector; the string array is one vector, of its items joined with spaces.
SELECT pg_temp.vector_count('Article', 'title') AS vectors;
SELECT rushdb.index_stats(pg_temp.ix('Article', 'title')) AS stats;

-- Text-query search embeds the query with the index's model.
SELECT pg_temp.titles(rushdb.search('{"label": "Article", "propertyName": "title", "query": "column layout", "limit": 2}'));
SELECT pg_temp.titles(rushdb.search('{"label": "Article", "propertyName": "title", "query": "object page", "limit": 1}'));
SELECT pg_temp.titles(rushdb.search('{"label": "Article", "propertyName": "title", "query": "cloud deployment", "limit": 1,
                                      "where": {"lang": "en"}}'));
-- The positional form, and the same ranking as the query's vector.
SELECT pg_temp.titles(jsonb_agg(r)) FROM rushdb.search_text('Article', 'title', 'odata binding', 2) r;
SELECT pg_temp.titles(jsonb_agg(r)) FROM rushdb.search('Article', 'title', rushdb.embed_text('odata binding', 384), 2) r;
SELECT (SELECT jsonb_agg(r) FROM rushdb.search_text('Article', 'title', 'smart tables', 3) r)
     = (SELECT jsonb_agg(r) FROM rushdb.search('Article', 'title', rushdb.embed_text('smart tables', 384), 3) r) AS same_ranking;

-- Records added later are queued: the index is pending until embedded
-- (seen inside the writing transaction: after commit the worker may be
-- done before the next statement).
BEGIN;
SELECT rushdb.create_record('Article', '{"title": "Theming with the UI theme designer"}') ->> 'title' AS added;
SELECT rushdb.get_index(pg_temp.ix('Article', 'title')) ->> 'status' AS after_write;
SELECT rushdb.index_stats(pg_temp.ix('Article', 'title')) ->> 'pendingRecords' AS pending_records;
COMMIT;
SELECT rushdb.wait_for_index(pg_temp.ix('Article', 'title'), 60) ->> 'status' AS after_wait;
SELECT pg_temp.titles(rushdb.search('{"label": "Article", "propertyName": "title", "query": "theme designer", "limit": 1}'));
-- Bulk imports too.
SELECT jsonb_array_length(rushdb.create_records('Article', '[{"title": "Launchpad tiles"}, {"title": "Launchpad spaces and pages"}]')) AS bulk;
SELECT rushdb.wait_for_index(pg_temp.ix('Article', 'title'), 60) ->> 'status' AS after_bulk;
SELECT pg_temp.titles(rushdb.search('{"label": "Article", "propertyName": "title", "query": "launchpad", "limit": 2}'));

-- An update re-embeds; an update of another property does not queue.
SELECT rushdb.update_record((SELECT id FROM rushdb.records WHERE properties ->> 'title' = 'Launchpad tiles'),
                            '{"title": "Analytical cards"}') ->> 'title' AS updated;
SELECT rushdb.wait_for_index(pg_temp.ix('Article', 'title'), 60) ->> 'status' AS after_update;
SELECT pg_temp.titles(rushdb.search('{"label": "Article", "propertyName": "title", "query": "launchpad", "limit": 1}'));
SELECT pg_temp.titles(rushdb.search('{"label": "Article", "propertyName": "title", "query": "analytical cards", "limit": 1}'));
SELECT rushdb.update_record((SELECT id FROM rushdb.records WHERE properties ->> 'title' = 'Analytical cards'),
                            '{"lang": "fr"}') ->> 'lang' AS other_property;
SELECT count(*) AS queued_by_other_property FROM rushdb_internal.embedding_queue;
-- Removing the property removes the vector; deleting the record too.
SELECT rushdb.update_record((SELECT id FROM rushdb.records WHERE properties ->> 'title' = 'Analytical cards'),
                            '{"title": null}') ? 'title' AS still_has_title;
SELECT rushdb.wait_for_index(pg_temp.ix('Article', 'title'), 60) ->> 'status' AS after_unset;
SELECT pg_temp.vector_count('Article', 'title') AS vectors;
SELECT rushdb.delete_records(ARRAY(SELECT id FROM rushdb.records WHERE properties ->> 'title' = 'Launchpad spaces and pages')) ->> 'deleted' AS deleted;
SELECT pg_temp.vector_count('Article', 'title') AS vectors;

-- A rolled-back write queues nothing.
BEGIN;
SELECT rushdb.create_record('Article', '{"title": "Never committed"}') IS NOT NULL AS written;
ROLLBACK;
SELECT count(*) AS queued_after_rollback FROM rushdb_internal.embedding_queue;

-- External and managed indexes on one property both answer.
SELECT rushdb.create_index('Article', 'title', 'external', 'cosine', 3) ->> 'status' AS external_status;
SELECT rushdb.upsert_vectors(pg_temp.ix('Article', 'title', 'external'),
    ARRAY(SELECT id FROM rushdb.records WHERE properties ->> 'title' LIKE 'Flexible%'
          UNION ALL SELECT id FROM rushdb.records WHERE properties ->> 'title' LIKE 'OData%'),
    ARRAY['[1,0,0]', '[0,1,0]']::rushdb.vector[]);
SELECT pg_temp.titles(rushdb.search('{"label": "Article", "propertyName": "title", "queryVector": [0, 1, 0.1], "limit": 1}'));
SELECT pg_temp.titles(rushdb.search('{"label": "Article", "propertyName": "title", "query": "flexible column", "limit": 1}'));
-- Choosing by source, and the errors of mixing them.
SELECT pg_temp.titles(rushdb.search('{"label": "Article", "propertyName": "title", "query": "odata", "sourceType": "managed", "limit": 1}'));
SELECT pg_temp.expect_error($$SELECT rushdb.search('{"label": "Article", "propertyName": "title", "query": "odata", "queryVector": [1, 0, 0]}')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.search('{"label": "Article", "propertyName": "title", "query": "odata", "sourceType": "external"}')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.search('{"label": "Article", "propertyName": "title", "query": 42}')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.search('{"label": "Article", "propertyName": "title", "query": ""}')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.search('{"label": "Article", "propertyName": "title", "query": "?!"}')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.search('{"label": "Article", "propertyName": "nope", "query": "odata"}')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.search_text('Article', 'title', NULL)$$);
SELECT pg_temp.expect_error($$SELECT rushdb.search_text('Article', 'title', 'odata', 0)$$);
-- A text query on a property with only an external index.
SELECT rushdb.create_index('Article', 'summary', 'external', 'cosine', 3) ->> 'status' AS summary_external;
SELECT pg_temp.expect_error($$SELECT rushdb.search('{"label": "Article", "propertyName": "summary", "query": "odata"}')$$);
-- Managed-only functions on an external index.
SELECT pg_temp.expect_error(format($$SELECT rushdb.retry_index(%L)$$, pg_temp.ix('Article', 'summary', 'external')));
SELECT pg_temp.expect_error(format($$SELECT rushdb.upsert_vectors(%L, '[]')$$, pg_temp.ix('Article', 'title')));

-- The provider check at creation: unknown built-in model, HTTP model
-- without an endpoint, endpoint that refuses connections.
SELECT pg_temp.expect_error($$SELECT rushdb.create_index('Article', 'body', 'managed', 'cosine', 64, 'builtin-neural-v9')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.create_index('Article', 'body', 'managed', 'cosine', 64, 'text-embedding-3-small')$$);
SET rushdb.embedding_endpoint = 'http://127.0.0.1:1/v1';
SET rushdb.embedding_max_retries = 0;
SELECT regexp_replace(pg_temp.expect_error($$SELECT rushdb.create_index('Article', 'body', 'managed', 'cosine', 64, 'text-embedding-3-small')$$),
                      ':.*', '') AS refused_sqlstate;
SET rushdb.embedding_endpoint = 'ftp://example.com';
SELECT pg_temp.expect_error($$SELECT rushdb.create_index('Article', 'body', 'managed', 'cosine', 64, 'text-embedding-3-small')$$);
RESET rushdb.embedding_endpoint;
RESET rushdb.embedding_max_retries;
SELECT count(*) AS body_indexes FROM rushdb.embedding_indexes WHERE property_name = 'body';
-- Only a superuser sets the endpoint and key; nobody reads the key back,
-- superusers included (it shows as "(hidden)").
SET rushdb.embedding_api_key = 'sk-regress-secret';
SHOW rushdb.embedding_api_key;
SELECT count(*) AS key_in_pg_settings FROM pg_settings WHERE setting LIKE '%sk-regress%';
RESET rushdb.embedding_api_key;
CREATE ROLE regress_managed_user;
SET ROLE regress_managed_user;
SELECT pg_temp.expect_error($$SET rushdb.embedding_endpoint = 'http://evil.example/v1'$$);
SELECT pg_temp.expect_error($$SET rushdb.embedding_api_key = 'x'$$);
SELECT pg_temp.expect_error($$SHOW rushdb.embedding_api_key$$);
SELECT count(*) AS key_rows_visible FROM pg_settings WHERE name = 'rushdb.embedding_api_key';
RESET ROLE;
DROP ROLE regress_managed_user;

-- A string property only: a number-typed property cannot be indexed.
SELECT rushdb.create_record('Article', '{"views": 10}') ? 'views' AS numeric_record;
SELECT pg_temp.expect_error($$SELECT rushdb.create_index('Article', 'views')$$);

-- The provider check and retry_index on bad arguments.
SELECT pg_temp.expect_error($$SELECT rushdb.check_embedding_provider(NULL, 8)$$);
SELECT pg_temp.expect_error($$SELECT rushdb.check_embedding_provider('builtin-lexical-v1', 0)$$);
SELECT pg_temp.expect_error($$SELECT rushdb.check_embedding_provider('builtin-lexical-v1', 16001)$$);
SELECT pg_temp.expect_error($$SELECT rushdb.check_embedding_provider('builtin-lexical-v1', 16000)$$) AS provider_ok;
SELECT pg_temp.expect_error($$SELECT rushdb.retry_index('00000000-0000-7000-8000-000000000000')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.search_text('Article', 'title', 'odata', 5, 0, '{}', NULL, NULL, 0)$$);
SELECT pg_temp.expect_error($$SELECT rushdb.search_text('Article', 'title', 'odata', 5, 0, '{}', NULL, NULL, 16001)$$);

-- wait_for_index arguments and isolation.
SELECT pg_temp.expect_error(format($$SELECT rushdb.wait_for_index(%L, -1)$$, pg_temp.ix('Article', 'title')));
SELECT pg_temp.expect_error(format($$SELECT rushdb.wait_for_index(%L, NULL)$$, pg_temp.ix('Article', 'title')));
SELECT pg_temp.expect_error($$SELECT rushdb.wait_for_index('00000000-0000-7000-8000-000000000000')$$);
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT pg_temp.expect_error(format($$SELECT rushdb.wait_for_index(%L)$$, pg_temp.ix('Article', 'title')));
ROLLBACK;
-- An external index needs no waiting.
SELECT rushdb.wait_for_index(pg_temp.ix('Article', 'summary', 'external'), 1) ->> 'status' AS external_wait;

-- Indexes with other dimensions and euclidean similarity on one property.
SELECT rushdb.create_index('Article', 'title', 'managed', 'euclidean', 64) ->> 'dimensions' AS euclid_dims;
SELECT rushdb.wait_for_index(id, 60) ->> 'status' AS euclid_status FROM rushdb.embedding_indexes
WHERE label = 'Article' AND similarity_function = 'euclidean';
SELECT pg_temp.expect_error($$SELECT rushdb.search('{"label": "Article", "propertyName": "title", "query": "odata"}')$$);
SELECT pg_temp.titles(rushdb.search('{"label": "Article", "propertyName": "title", "query": "odata model", "dimensions": 64, "limit": 1}'));
SELECT pg_temp.titles(rushdb.search('{"label": "Article", "propertyName": "title", "query": "odata model", "similarityFunction": "cosine", "limit": 1}'));

-- A large backfill embeds with the HNSW index dropped and rebuilds it once
-- drained: ready means the graph is back and holds every vector.
SELECT jsonb_array_length(rushdb.create_records('Bulk', (SELECT jsonb_agg(jsonb_build_object(
    'body', 'bulk record number ' || i || CASE WHEN i % 7 = 0 THEN ' seventh' ELSE '' END)) FROM generate_series(1, 2500) i))) AS bulk_records;
BEGIN;
SELECT rushdb.create_index('Bulk', 'body') ->> 'status' AS bulk_status;
CREATE TEMP TABLE graph_before AS SELECT pg_temp.vector_hnsw_index(pg_temp.ix('Bulk', 'body'))::oid AS oid;
COMMIT;
SELECT rushdb.wait_for_index(pg_temp.ix('Bulk', 'body'), 120) ->> 'status' AS bulk_ready;
-- A new index: the worker dropped the graph for the backfill and rebuilt it.
SELECT pg_temp.vector_hnsw_index(pg_temp.ix('Bulk', 'body'))::oid <> (SELECT oid FROM graph_before) AS graph_rebuilt;
SELECT pg_temp.vector_count('Bulk', 'body') AS bulk_vectors;
SELECT count(*) AS bulk_hnsw FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_am a ON a.oid = c.relam AND a.amname = 'rushdb_hnsw'
WHERE i.indrelid = pg_temp.vector_relation(pg_temp.ix('Bulk', 'body'));
SELECT count(*) AS verify_problems FROM rushdb.hnsw_verify(pg_temp.vector_hnsw_index(pg_temp.ix('Bulk', 'body')));
-- The rebuilt graph answers (its scan counter moves) with the right rows.
SELECT result AS seventh_hits, scanned = ARRAY[pg_temp.vector_hnsw_index(pg_temp.ix('Bulk', 'body'))] AS through_rebuilt_graph
FROM pg_temp.with_hnsw_scans($$SELECT count(*) FILTER (WHERE x ->> 'body' LIKE '%seventh') FROM jsonb_array_elements(
    rushdb.search('{"label": "Bulk", "propertyName": "body", "query": "seventh", "limit": 20, "mode": "ann"}')) x$$);
SELECT rushdb.delete_index(pg_temp.ix('Bulk', 'body')) ->> 'deleted' AS bulk_deleted;
SELECT rushdb.delete_records(ARRAY(SELECT id FROM rushdb.records WHERE label = 'Bulk')) ->> 'deleted' AS bulk_cleaned;

-- delete_index removes the queue rows with the index.
SELECT rushdb.delete_index(id) ->> 'deleted' AS deleted FROM rushdb.embedding_indexes WHERE label = 'Article';
SELECT count(*) AS queue_rows FROM rushdb_internal.embedding_queue;
SELECT rushdb.delete_records(ARRAY(SELECT id FROM rushdb.records WHERE label = 'Article')) ->> 'deleted' AS cleaned;

--
-- RushDB catalog: embedding indexes, records with inline vectors,
-- upsert_vectors, lifecycle and errors.
--
\set SHOW_CONTEXT never
\set VERBOSITY default
SET search_path = public, rushdb;

\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/sql/include/expect_error.sql
\i :abs_srcdir/sql/include/vector_tables.sql
-- Index JSON without the generated id and timestamps.
CREATE FUNCTION pg_temp.shape(j jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT j - 'id' - 'createdAt' - 'updatedAt'
$$;
CREATE FUNCTION pg_temp.rec_shape(j jsonb) RETURNS jsonb LANGUAGE sql AS $$
    SELECT j - '__id'
$$;

-- Indexes: external needs dimensions; managed takes the defaults.
SELECT pg_temp.shape(rushdb.create_index('Doc', 'body', 'external', 'cosine', 3));
SELECT pg_temp.shape(rushdb.create_index('Doc', 'body', 'external', 'euclidean', 3));
SELECT pg_temp.shape(rushdb.create_index('{"label": "Doc", "propertyName": "title", "external": true, "dimensions": 2}'));
SELECT pg_temp.shape(rushdb.create_index('Doc', 'body'));
SELECT jsonb_array_length(rushdb.list_indexes()) AS indexes;

-- Duplicates and bad arguments.
SELECT pg_temp.expect_error($$SELECT rushdb.create_index('Doc', 'body', 'external', 'cosine', 3)$$);
SELECT pg_temp.expect_error($$SELECT rushdb.create_index('Doc', 'body', 'external', 'cosine')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.create_index('Doc', 'body', 'remote', 'cosine', 3)$$);
SELECT pg_temp.expect_error($$SELECT rushdb.create_index('Doc', 'body', 'external', 'dot', 3)$$);
SELECT pg_temp.expect_error($$SELECT rushdb.create_index('Doc', 'body', 'external', 'cosine', 0)$$);
SELECT pg_temp.expect_error($$SELECT rushdb.create_index('Doc', 'body', 'external', 'cosine', 16001)$$);
SELECT pg_temp.expect_error($$SELECT rushdb.create_index('', 'body', 'external', 'cosine', 3)$$);
SELECT pg_temp.expect_error($$SELECT rushdb.create_index('Doc', '__id', 'external', 'cosine', 3)$$);
SELECT pg_temp.expect_error($$SELECT rushdb.create_index('{"label": "Doc", "propertyName": "x", "external": "yes", "dimensions": 3}')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.create_index('[1]'::jsonb)$$);
SELECT pg_temp.expect_error($$SELECT rushdb.get_index('00000000-0000-7000-8000-000000000000')$$);

-- A rolled-back create_index leaves nothing behind.
BEGIN;
SELECT pg_temp.shape(rushdb.create_index('Tmp', 'body', 'external', 'cosine', 3));
ROLLBACK;
SELECT count(*) AS tmp_indexes FROM rushdb.embedding_indexes WHERE label = 'Tmp';
SELECT count(*) AS tmp_tables FROM pg_tables WHERE schemaname = pg_temp.vector_schema() AND tablename LIKE 'vectors_%'
    AND tablename NOT IN (SELECT vector_table FROM rushdb.embedding_indexes);

-- Records with inline vectors: the external index is found by
-- (label, propertyName, length[, similarityFunction]).
SELECT pg_temp.rec_shape(rushdb.create_record('Doc', '{"body": "alpha", "n": 1, "published": "2024-05-01", "tags": ["a", "b"],
    "__vectors": [{"propertyName": "body", "vector": [1, 0, 0], "similarityFunction": "cosine"},
                  {"propertyName": "title", "vector": [1, 0]}]}'));
-- Two indexes of length 3 on body: without similarityFunction it is ambiguous.
SELECT pg_temp.expect_error($$SELECT rushdb.create_record('Doc', '{"body": "beta", "__vectors": [{"propertyName": "body", "vector": [0, 1, 0]}]}')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.create_record('Doc', '{"body": "beta", "__vectors": [{"propertyName": "nope", "vector": [0, 1, 0]}]}')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.create_record('Doc', '{"body": "beta", "__vectors": [{"propertyName": "title", "vector": [0, 1, 0, 4]}]}')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.create_record('Doc', '{"body": "beta", "__vectors": [{"propertyName": "title", "vector": ["NaN", 1]}]}')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.create_record('Doc', '{"body": "beta", "__vectors": {"propertyName": "title"}}')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.create_record('Doc', '{"__id": "x"}')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.create_record('Doc', '{"$where": 1}')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.create_record('Doc', '{"nested": {"a": 1}}')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.create_record('Doc', '[1, 2]')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.create_record(NULL, '{}')$$);
-- Failed calls changed nothing.
SELECT count(*) AS records FROM rushdb.records;
-- The separate "vectors" argument spelling.
SELECT pg_temp.rec_shape(rushdb.create_record('Doc', '{"body": "gamma"}',
    '[{"propertyName": "body", "vector": [0, 0, 1], "similarityFunction": "euclidean"}]'));
-- Bulk create with the import spelling $vectors; all or nothing.
SELECT jsonb_array_length(rushdb.create_records('Doc', '[
    {"body": "delta", "$vectors": [{"propertyName": "body", "vector": [0.5, 0.5, 0], "similarityFunction": "cosine"}]},
    {"body": "epsilon", "$vectors": [{"propertyName": "body", "vector": [0, 0.5, 0.5], "similarityFunction": "cosine"}]},
    {"body": "zeta"}]')) AS created;
SELECT pg_temp.expect_error($$SELECT rushdb.create_records('Doc', '[{"body": "eta"}, {"body": 5, "__label": "x"}]')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.create_records('Doc', '{"body": "eta"}')$$);
SELECT count(*) AS records FROM rushdb.records;

-- Lifecycle: external indexes are ready after their first vector; the
-- managed one once the worker has embedded the records (docs/managed.md).
SELECT rushdb.wait_for_index(id, 60) ->> 'status' AS managed_status FROM rushdb.embedding_indexes
WHERE source_type = 'managed';
SELECT property_name, source_type, similarity_function, status FROM rushdb.embedding_indexes
ORDER BY property_name, source_type, similarity_function;

-- Creating an index over a property held as a number is refused.
SELECT pg_temp.expect_error($$SELECT rushdb.create_index('Doc', 'n', 'external', 'cosine', 3)$$);

-- upsert_vectors: idempotent, last duplicate wins, all or nothing.
CREATE TEMP TABLE ids AS SELECT id, properties ->> 'body' AS body FROM rushdb.records;
CREATE TEMP TABLE cos_ix AS SELECT id FROM rushdb.embedding_indexes
    WHERE property_name = 'body' AND source_type = 'external' AND similarity_function = 'cosine';
-- zeta is given two different vectors in one call: the stored one is the
-- last ([1,1,1]), in the jsonb form and (alpha) in the array form.
SELECT rushdb.upsert_vectors((SELECT id FROM cos_ix), jsonb_build_array(
    jsonb_build_object('recordId', (SELECT id FROM ids WHERE body = 'zeta'), 'vector', '[1, 1, 0]'::jsonb),
    jsonb_build_object('recordId', (SELECT id FROM ids WHERE body = 'zeta'), 'vector', '[1, 1, 1]'::jsonb),
    jsonb_build_object('recordId', (SELECT id FROM ids WHERE body = 'gamma'), 'vector', '[0, 1, 1]'::jsonb)));
SELECT body, pg_temp.stored_vector((SELECT id FROM cos_ix), id) AS stored FROM ids WHERE body IN ('zeta', 'gamma') ORDER BY body;
SELECT rushdb.upsert_vectors(jsonb_build_object('indexId', (SELECT id FROM cos_ix), 'items', jsonb_build_array(
    jsonb_build_object('recordId', (SELECT id FROM ids WHERE body = 'zeta'), 'vector', '[1, 1, 1]'::jsonb))));
SELECT pg_temp.stored_vector((SELECT id FROM cos_ix), (SELECT id FROM ids WHERE body = 'zeta')) AS zeta_after_repeat;
SELECT rushdb.upsert_vectors((SELECT id FROM cos_ix), ARRAY[(SELECT id FROM ids WHERE body = 'alpha'), (SELECT id FROM ids WHERE body = 'alpha')],
                             ARRAY['[0, 0, 1]'::rushdb.vector, '[1, 0.1, 0]'::rushdb.vector]);
SELECT pg_temp.stored_vector((SELECT id FROM cos_ix), (SELECT id FROM ids WHERE body = 'alpha')) AS alpha_stored;
SELECT rushdb.index_stats((SELECT id FROM cos_ix));
SELECT pg_temp.expect_error(format($$SELECT rushdb.upsert_vectors(%L, '[{"recordId": "00000000-0000-7000-8000-000000000000", "vector": [1, 2, 3]}]')$$, (SELECT id FROM cos_ix)));
SELECT pg_temp.expect_error(format($$SELECT rushdb.upsert_vectors(%L, '[{"recordId": "nope", "vector": [1, 2, 3]}]')$$, (SELECT id FROM cos_ix)));
SELECT pg_temp.expect_error(format($$SELECT rushdb.upsert_vectors(%L, %L)$$, (SELECT id FROM cos_ix),
    jsonb_build_array(jsonb_build_object('recordId', (SELECT id FROM ids WHERE body = 'zeta'), 'vector', '[1, 2]'::jsonb))));
-- A zero vector has no direction under cosine: refused, and zeta keeps its vector.
SELECT pg_temp.expect_error(format($$SELECT rushdb.upsert_vectors(%L, %L)$$, (SELECT id FROM cos_ix),
    jsonb_build_array(jsonb_build_object('recordId', (SELECT id FROM ids WHERE body = 'zeta'), 'vector', '[0, 0, 0]'::jsonb))));
SELECT pg_temp.stored_vector((SELECT id FROM cos_ix), (SELECT id FROM ids WHERE body = 'zeta')) AS zeta_unchanged;
SELECT pg_temp.expect_error(format($$SELECT rushdb.upsert_vectors(%L, '{"recordId": "x"}')$$, (SELECT id FROM cos_ix)));
SELECT pg_temp.expect_error(format($$SELECT rushdb.upsert_vectors(%L, ARRAY[%L]::uuid[], ARRAY[]::rushdb.vector[])$$,
    (SELECT id FROM cos_ix), (SELECT id FROM ids WHERE body = 'zeta')));
SELECT pg_temp.expect_error(format($$SELECT rushdb.upsert_vectors(%L, '[]')$$,
    (SELECT id FROM rushdb.embedding_indexes WHERE source_type = 'managed')));
SELECT rushdb.create_record('Other', '{"body": "x"}') IS NOT NULL AS other_label_record;
SELECT pg_temp.expect_error(format($$SELECT rushdb.upsert_vectors(%L, %L)$$, (SELECT id FROM cos_ix),
    jsonb_build_array(jsonb_build_object('recordId', (SELECT id FROM rushdb.records WHERE label = 'Other'), 'vector', '[1, 2, 3]'::jsonb))));

-- update and delete: a null unsets, vectors go with the record.
SELECT pg_temp.rec_shape(rushdb.update_record((SELECT id FROM ids WHERE body = 'alpha'), '{"n": null, "extra": true}'));
SELECT pg_temp.expect_error($$SELECT rushdb.update_record('00000000-0000-7000-8000-000000000000', '{}')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.get_record('00000000-0000-7000-8000-000000000000')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.delete_record(NULL)$$);
SELECT pg_temp.expect_error($$SELECT rushdb.delete_records(NULL)$$);
SELECT pg_temp.expect_error($$SELECT rushdb.delete_index('00000000-0000-7000-8000-000000000000')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.index_stats(NULL)$$);
SELECT rushdb.delete_record((SELECT id FROM ids WHERE body = 'zeta'));
SELECT rushdb.index_stats((SELECT id FROM cos_ix));
SELECT rushdb.delete_records(ARRAY(SELECT id FROM ids WHERE body IN ('delta', 'epsilon')));
SELECT rushdb.index_stats((SELECT id FROM cos_ix));

-- delete_index drops its storage.
SELECT rushdb.delete_index((SELECT id FROM rushdb.embedding_indexes WHERE property_name = 'title')) ->> 'deleted' AS deleted;
SELECT count(*) AS orphan_tables FROM pg_tables WHERE schemaname = pg_temp.vector_schema() AND tablename LIKE 'vectors_%'
    AND tablename NOT IN (SELECT vector_table FROM rushdb.embedding_indexes);

-- A bulk import (1,200 vectors into an empty index) takes the bulk path:
-- rows written, HNSW index rebuilt; the index is there and consistent.
SELECT rushdb.create_index('Bulk', 'body', 'external', 'euclidean', 4) ->> 'status' AS bulk_status;
SELECT jsonb_array_length(rushdb.create_records('Bulk', (
    SELECT jsonb_agg(jsonb_build_object('body', 'b' || i, 'i', i,
        '$vectors', jsonb_build_array(jsonb_build_object('propertyName', 'body',
            'vector', jsonb_build_array(sin(i), cos(i), sin(i * 0.5), i % 7)))))
    FROM generate_series(1, 1200) i))) AS bulk_created;
SELECT rushdb.index_stats(id) FROM rushdb.embedding_indexes WHERE label = 'Bulk';
SELECT count(*) AS hnsw_indexes FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
JOIN pg_am a ON a.oid = c.relam AND a.amname = 'rushdb_hnsw'
WHERE i.indrelid = (SELECT pg_temp.vector_relation(id) FROM rushdb.embedding_indexes WHERE label = 'Bulk');
SELECT count(*) AS problems FROM rushdb.hnsw_verify(
    (SELECT pg_temp.vector_hnsw_index(id) FROM rushdb.embedding_indexes WHERE label = 'Bulk'));
SELECT (r ->> 'i')::int AS nearest FROM rushdb.search('Bulk', 'body',
    (SELECT ARRAY[sin(700), cos(700), sin(350), 700 % 7]::rushdb.vector), 1) r;
-- The array form re-run with the same vectors is idempotent (small batch: row by row).
SELECT rushdb.upsert_vectors((SELECT id FROM rushdb.embedding_indexes WHERE label = 'Bulk'),
    ARRAY(SELECT id FROM rushdb.records WHERE label = 'Bulk' AND (properties ->> 'i')::int <= 10 ORDER BY (properties ->> 'i')::int),
    ARRAY(SELECT ARRAY[sin(i), cos(i), sin(i * 0.5), i % 7]::rushdb.vector FROM generate_series(1, 10) i));
SELECT rushdb.index_stats(id) FROM rushdb.embedding_indexes WHERE label = 'Bulk';

-- Clean up for later tests.
SELECT count(*) >= 0 AS cleaned FROM (SELECT rushdb.delete_index(id) FROM rushdb.embedding_indexes) s;
DELETE FROM rushdb.records;

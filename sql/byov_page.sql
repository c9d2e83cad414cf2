--
-- Every example of RushDB's "Bring Your Own Vectors" page
-- (../shared/seed/rushdb-byov.txt), in order, in the SDK's JSON shapes,
-- with what the page says about each result checked. docs/byov.md shows
-- each JavaScript call next to its SQL form.
--
\set SHOW_CONTEXT never
\set VERBOSITY default
\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/sql/include/expect_error.sql
-- The vector an index stores for a record (what upsert_vectors wrote).
CREATE FUNCTION pg_temp.stored(index_id uuid, record_id uuid) RETURNS rushdb.vector LANGUAGE plpgsql AS $$
DECLARE v rushdb.vector;
BEGIN
    EXECUTE format('SELECT embedding FROM rushdb_internal.%I WHERE record_id = $1',
                   (SELECT vector_table FROM rushdb.embedding_indexes WHERE id = index_id)) INTO v USING record_id;
    RETURN v;
END $$;
CREATE FUNCTION pg_temp.stored_count(index_id uuid) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM rushdb_internal.%I',
                   (SELECT vector_table FROM rushdb.embedding_indexes WHERE id = index_id)) INTO n;
    RETURN n;
END $$;

-- "dimensions required on create: Yes - must match your model" and
-- "Initial index status: awaiting_vectors".
SELECT rushdb.create_index('{"label": "Article", "propertyName": "body", "sourceType": "external",
                             "similarityFunction": "cosine", "dimensions": 3}') AS created \gset
SELECT :'created'::jsonb ->> 'status' AS initial_status, :'created'::jsonb ->> 'sourceType' AS source_type;
SELECT :'created'::jsonb ->> 'id' AS index_id \gset
SELECT pg_temp.expect_error($$SELECT rushdb.create_index('{"label": "Article", "propertyName": "body", "external": true}')$$)
    AS no_dimensions;

-- Lifecycle: "An external index stays in awaiting_vectors until at least one
-- vector has been written": a search before then says so.
SELECT pg_temp.expect_error($$SELECT rushdb.search('{"label": "Article", "propertyName": "body", "queryVector": [1, 0, 0], "limit": 10}')$$)
    AS search_before_vectors;

-- Option A - inline at write time: db.records.create('Article', {title, body, __vectors}).
SELECT rushdb.create_record('Article', '{
    "title": "Understanding Graph RAG",
    "body": "Graphs provide context that plain vector search lacks...",
    "__vectors": [{"propertyName": "body", "vector": [0.9, 0.1, 0.2]}]}') AS graph_rag \gset
SELECT :'graph_rag'::jsonb ->> 'title' AS title, :'graph_rag'::jsonb ? '__vectors' AS vectors_echoed,
       :'graph_rag'::jsonb -> '__proptypes' AS proptypes;
SELECT rushdb.get_index(:'index_id') ->> 'status' AS status_after_first_vector;

-- Records written without vectors, then Option B - upsert after the fact:
-- db.ai.indexes.upsertVectors(indexId, {items: [{recordId, vector}, ...]}).
SELECT (rushdb.create_record('Article', '{"title": "Vector search basics", "body": "Nearest neighbours"}') ->> '__id') AS rec_001 \gset
SELECT (rushdb.create_record('Article', '{"title": "Cooking pasta", "body": "Boil water, add salt"}') ->> '__id') AS rec_002 \gset
SELECT rushdb.upsert_vectors(:'index_id', format('{"items": [
    {"recordId": "%s", "vector": [0.7, 0.3, 0.1]},
    {"recordId": "%s", "vector": [0.0, 0.1, 1.0]}]}', :'rec_001', :'rec_002')::jsonb) AS first_upsert;
SELECT pg_temp.stored(:'index_id', :'rec_001')::text AS rec_001_first, pg_temp.stored(:'index_id', :'rec_002')::text AS rec_002_first,
       pg_temp.stored_count(:'index_id') AS vectors_first;
-- "The upsert call is idempotent - re-running it with the same recordId
-- replaces the stored vector": the same call again changes nothing ...
SELECT rushdb.upsert_vectors(:'index_id', format('{"items": [
    {"recordId": "%s", "vector": [0.7, 0.3, 0.1]},
    {"recordId": "%s", "vector": [0.0, 0.1, 1.0]}]}', :'rec_001', :'rec_002')::jsonb) AS second_upsert;
SELECT pg_temp.stored(:'index_id', :'rec_001')::text AS rec_001_again, pg_temp.stored(:'index_id', :'rec_002')::text AS rec_002_again,
       pg_temp.stored_count(:'index_id') AS vectors_again;
-- ... and a new vector for the same record replaces the old one (the SDK form {indexId, items}).
SELECT rushdb.upsert_vectors(format('{"indexId": "%s", "items": [{"recordId": "%s", "vector": [0.1, 0.1, 0.9]}]}',
                                    :'index_id', :'rec_002')::jsonb) AS replaced;
SELECT pg_temp.stored(:'index_id', :'rec_002')::text AS rec_002_replaced, pg_temp.stored_count(:'index_id') AS vectors_after_replace;
-- The bare array of items is accepted too; bad items get the same errors.
SELECT rushdb.upsert_vectors(:'index_id', format('[{"recordId": "%s", "vector": [0.0, 0.1, 1.0]}]', :'rec_002')::jsonb) AS bare_array;
SELECT pg_temp.expect_error(format($$SELECT rushdb.upsert_vectors(%L, '{"items": [{"recordId": "nope", "vector": [1, 2, 3]}]}')$$, :'index_id'))
    AS bad_record_id;
SELECT pg_temp.expect_error(format($$SELECT rushdb.upsert_vectors(%L, '{"items": [{"recordId": "%s", "vector": [1, 2]}]}')$$, :'index_id', :'rec_001'))
    AS wrong_length;
SELECT pg_temp.expect_error(format($$SELECT rushdb.upsert_vectors(%L, '{"item": []}')$$, :'index_id')) AS misspelt_items;

-- Searching with a pre-computed vector: db.ai.search({label, propertyName, queryVector, limit: 10}).
SELECT rushdb.search('{"label": "Article", "propertyName": "body", "queryVector": [0.8, 0.2, 0.1], "limit": 10}') AS results \gset
-- "records ranked by cosine similarity, with an optional __score field":
-- every record, best first, __score = (1 + cos) / 2 of the stored vector.
SELECT r ->> 'title' AS title, r ? '__score' AS has_score, round((r ->> '__score')::numeric, 6) AS score,
       round(((1 + (1 - ('[0.8, 0.2, 0.1]'::rushdb.vector OPERATOR(rushdb.<=>)
                          pg_temp.stored(:'index_id', (r ->> '__id')::uuid)))) / 2)::numeric, 6) AS expected_score
FROM jsonb_array_elements(:'results'::jsonb) WITH ORDINALITY AS t(r, o)
ORDER BY o;
SELECT bool_and((a.r ->> '__score')::float8 >= (b.r ->> '__score')::float8) AS ranked_best_first
FROM jsonb_array_elements(:'results'::jsonb) WITH ORDINALITY AS a(r, o)
JOIN jsonb_array_elements(:'results'::jsonb) WITH ORDINALITY AS b(r, o) ON b.o = a.o + 1;

-- "(or euclidean) similarity": a euclidean index on another property ranks
-- by distance, __score = 1 / (1 + d^2).
SELECT rushdb.create_index('{"label": "Article", "propertyName": "title", "external": true,
                             "similarityFunction": "euclidean", "dimensions": 2}') ->> 'similarityFunction' AS title_index;
SELECT rushdb.upsert_vectors((SELECT id FROM rushdb.embedding_indexes WHERE property_name = 'title'),
                             format('{"items": [{"recordId": "%s", "vector": [0, 0]}, {"recordId": "%s", "vector": [3, 4]}]}',
                                    :'rec_001', :'rec_002')::jsonb) ->> 'updated' AS title_vectors;
SELECT r ->> 'title' AS title, r ->> '__score' AS score
FROM jsonb_array_elements(rushdb.search('{"label": "Article", "propertyName": "title", "queryVector": [0, 0]}')) AS t(r);

-- "Both index types can coexist on the same (label, propertyName) pair":
-- a managed index on body next to the external one. A text query uses the
-- managed index; a 3-number queryVector still uses the external one.
SELECT rushdb.create_index('{"label": "Article", "propertyName": "body"}') ->> 'status' AS managed_initial_status;
SELECT rushdb.wait_for_index(id, 60) ->> 'status' AS managed_status
FROM rushdb.embedding_indexes WHERE label = 'Article' AND property_name = 'body' AND source_type = 'managed';
SELECT r ->> 'title' AS title
FROM jsonb_array_elements(rushdb.search('{"label": "Article", "propertyName": "body", "query": "salt and water", "limit": 1}')) AS t(r);
SELECT jsonb_array_length(rushdb.search('{"label": "Article", "propertyName": "body", "queryVector": [0.8, 0.2, 0.1], "limit": 10}'))
    AS external_still_answers;
SELECT source_type, similarity_function, dimensions, status FROM rushdb.embedding_indexes
WHERE label = 'Article' ORDER BY property_name, source_type;

-- Leave nothing behind for the tests that follow in this database.
SELECT count(rushdb.delete_index(id)) AS deleted_indexes FROM rushdb.embedding_indexes WHERE label = 'Article';
SELECT rushdb.delete_records(array_agg(id)) AS deleted_records FROM rushdb.records WHERE label = 'Article';

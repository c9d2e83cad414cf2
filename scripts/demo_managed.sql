-- Managed embeddings on the same data: the server embeds each chunk's
-- content itself (builtin-lexical-v1: offline, lexical), next to the
-- external MiniLM index of demo_byov.sql on the same (label, property).
SET search_path = public, rushdb;

-- 1. A managed index over the 778 imported chunks: the background worker backfills it.
SELECT rushdb.create_index('{"label": "Chunk", "propertyName": "content"}') ->> 'status' AS managed_status;
SELECT rushdb.wait_for_index(id, 120) ->> 'status' AS after_wait
FROM rushdb.embedding_indexes WHERE label = 'Chunk' AND source_type = 'managed';
SELECT rushdb.index_stats(id) AS stats FROM rushdb.embedding_indexes WHERE label = 'Chunk' AND source_type = 'managed';

-- 2. Search with natural-language text instead of a vector.
SELECT r ->> 'title' AS title, r ->> 'category' AS category, round((r ->> '__score')::numeric, 4) AS score
FROM jsonb_array_elements(rushdb.search(
    '{"label": "Chunk", "propertyName": "content", "query": "deploy an application to Cloud Foundry", "limit": 5}')) r;

-- 3. With a where filter, like any search.
SELECT r ->> 'title' AS title, r ->> 'category' AS category, round((r ->> '__score')::numeric, 4) AS score
FROM jsonb_array_elements(rushdb.search(
    '{"label": "Chunk", "propertyName": "content", "query": "flexible column layout", "limit": 3,
      "where": {"category": "Sapui5"}}')) r;

-- 4. A new record is embedded by the worker: pending inside the writing transaction, then ready.
BEGIN;
SELECT rushdb.create_record('Chunk', '{"title": "Demo note", "category": "Demo",
    "content": "Quantum entanglement explained for launchpad administrators"}') ->> 'title' AS added;
SELECT rushdb.get_index(id) ->> 'status' AS while_writing FROM rushdb.embedding_indexes
WHERE label = 'Chunk' AND source_type = 'managed';
COMMIT;
SELECT rushdb.wait_for_index(id, 60) ->> 'status' AS after_commit FROM rushdb.embedding_indexes
WHERE label = 'Chunk' AND source_type = 'managed';
SELECT r ->> 'title' AS title, round((r ->> '__score')::numeric, 4) AS score
FROM jsonb_array_elements(rushdb.search(
    '{"label": "Chunk", "propertyName": "content", "query": "quantum entanglement", "limit": 1}')) r;

-- 5. Both indexes answer on one property: queryVector goes to the external one, query to the managed one.
SELECT e.source_type, e.model_key, e.dimensions, rushdb_internal.index_status(e) AS status
FROM rushdb.embedding_indexes e WHERE e.label = 'Chunk' ORDER BY e.source_type;

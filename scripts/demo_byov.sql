-- The RushDB BYOV flow on real data: 778 SAP Fiori documentation chunks with
-- all-MiniLM-L6-v2 vectors (384 dims), loaded by scripts/demo.sh into
-- demo_raw(doc jsonb).
SET search_path = public, rushdb;

-- 1. An external index: we bring our own vectors.
SELECT rushdb.create_index('{"label": "Chunk", "propertyName": "content", "external": true,
                             "similarityFunction": "cosine", "dimensions": 384}') ->> 'status' AS new_index_status;

-- 2. Import the chunks as records, each with its vector inline ($vectors), in batches of 200.
SELECT sum(jsonb_array_length(rushdb.create_records('Chunk', batch))) AS imported FROM (
    SELECT jsonb_agg(jsonb_build_object(
               'title', doc ->> 'title', 'category', doc ->> 'category', 'path', doc ->> 'path',
               'content', doc ->> 'text',
               '$vectors', jsonb_build_array(jsonb_build_object('propertyName', 'content', 'vector', doc -> 'vector'))))
           AS batch
    FROM (SELECT doc, (row_number() OVER () - 1) / 200 AS b FROM demo_raw) s GROUP BY b) batches;
SELECT rushdb.list_indexes() -> 0 ->> 'status' AS index_status,
       rushdb.index_stats((SELECT id FROM rushdb.embedding_indexes WHERE label = 'Chunk')) AS stats;

-- 3. Upsert one vector again: idempotent (same record, same vector).
SELECT rushdb.upsert_vectors(jsonb_build_object(
    'indexId', (SELECT id FROM rushdb.embedding_indexes WHERE label = 'Chunk'),
    'items', jsonb_build_array(jsonb_build_object(
        'recordId', (SELECT id FROM rushdb.records WHERE properties ->> 'title' = 'Flexible Column Layout Actions' LIMIT 1),
        'vector', (SELECT doc -> 'vector' FROM demo_raw WHERE doc ->> 'title' = 'Flexible Column Layout Actions' LIMIT 1))))) AS upsert;
SELECT rushdb.index_stats((SELECT id FROM rushdb.embedding_indexes WHERE label = 'Chunk')) AS stats_after_upsert;

-- 4. Search with a stored chunk's vector as queryVector.
SELECT r ->> 'title' AS title, r ->> 'category' AS category, round((r ->> '__score')::numeric, 4) AS score
FROM jsonb_array_elements(rushdb.search(jsonb_build_object(
    'label', 'Chunk', 'propertyName', 'content', 'limit', 5,
    'queryVector', (SELECT doc -> 'vector' FROM demo_raw WHERE doc ->> 'title' = 'Flexible Column Layout Actions' LIMIT 1)))) r;

-- 5. The same search with a where filter on record properties.
SELECT r ->> 'title' AS title, r ->> 'category' AS category, round((r ->> '__score')::numeric, 4) AS score
FROM jsonb_array_elements(rushdb.search(jsonb_build_object(
    'label', 'Chunk', 'propertyName', 'content', 'limit', 5,
    'where', '{"category": "Sapui5", "title": {"$contains": "Table"}}'::jsonb,
    'queryVector', (SELECT doc -> 'vector' FROM demo_raw WHERE doc ->> 'title' = 'Flexible Column Layout Actions' LIMIT 1)))) r;

-- 6. Hybrid search: a keyword leg over a text index on the chunks' content,
--    fused with the vector leg by reciprocal rank (docs/byov.md).
SELECT rushdb.create_text_index('Chunk', 'content', 'english') ->> 'index' IS NOT NULL AS text_index;
SELECT r ->> 'title' AS title, round((r ->> '__score')::numeric, 4) AS fused,
       r ->> '__vectorRank' AS vector_rank, r ->> '__textRank' AS text_rank
FROM jsonb_array_elements(rushdb.search(jsonb_build_object(
    'label', 'Chunk', 'propertyName', 'content', 'limit', 5, 'text', 'table column',
    'queryVector', (SELECT doc -> 'vector' FROM demo_raw WHERE doc ->> 'title' = 'Flexible Column Layout Actions' LIMIT 1)))) r;

-- 7. Plain queries over the records (docs/find.md): chunks per category.
SELECT rushdb.find('{"labels": ["Chunk"], "select": {"chunks": {"$count": "*"}},
                     "groupBy": ["$record.category"], "orderBy": {"chunks": "desc"}, "limit": 5}') -> 'data' AS chunks_per_category;

-- rushdb_hnsw on real embeddings: 778 SAP Fiori documentation chunks with
-- all-MiniLM-L6-v2 vectors (384 dims). scripts/demo.sh loads them into
-- demo_chunks(title, category, embedding) and runs this file.
SET search_path = public, rushdb;
CREATE INDEX demo_chunks_hnsw ON demo_chunks USING rushdb_hnsw (embedding vector_cosine_ops);
SELECT count(*) AS chunks, (SELECT vector_dims(embedding) FROM demo_chunks LIMIT 1) AS dims,
       pg_size_pretty(pg_relation_size('demo_chunks_hnsw')) AS index_size FROM demo_chunks;

-- Nearest chunks to the chunk titled like "Flexible Column Layout" (its own vector as the query).
EXPLAIN (COSTS OFF) SELECT title FROM demo_chunks ORDER BY embedding <=> (SELECT embedding FROM demo_chunks LIMIT 1) LIMIT 5;
SELECT title, category, round((1 - (embedding <=> q.e))::numeric, 3) AS cosine_similarity
FROM demo_chunks, (SELECT embedding AS e FROM demo_chunks WHERE title ILIKE '%flexible column layout%' ORDER BY id LIMIT 1) q
ORDER BY embedding <=> q.e LIMIT 5;

-- The same search restricted to one category: still 5 rows (iterative scan).
SELECT title, category FROM demo_chunks,
       (SELECT embedding AS e FROM demo_chunks WHERE title ILIKE '%flexible column layout%' ORDER BY id LIMIT 1) q
WHERE category = (SELECT category FROM demo_chunks GROUP BY category HAVING count(*) >= 5 ORDER BY count(*), category LIMIT 1)
ORDER BY embedding <=> q.e LIMIT 5;

SELECT count(*) AS verify_problems FROM rushdb.hnsw_verify('demo_chunks_hnsw');

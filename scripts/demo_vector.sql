-- A short tour of rushdb.vector; scripts/demo.sh runs it.
SET search_path = public, rushdb;
SELECT rushdb.simd_info() AS distance_kernels;

DROP TABLE IF EXISTS demo_items;
CREATE TABLE demo_items (id int PRIMARY KEY, name text, embedding rushdb.vector(3));
INSERT INTO demo_items VALUES
    (1, 'apple',  '[0.9, 0.1, 0.0]'),
    (2, 'banana', '[0.8, 0.3, 0.1]'),
    (3, 'car',    '[0.0, 0.2, 0.95]'),
    (4, 'truck',  ARRAY[0.1, 0.1, 0.9]),
    (5, 'pear',   '[0.85,0.2,0.05]'::jsonb::rushdb.vector);

SELECT name, embedding,
       round((embedding <-> '[1,0,0]')::numeric, 4) AS l2,
       round((embedding <=> '[1,0,0]')::numeric, 4) AS cosine,
       round((embedding <#> '[1,0,0]')::numeric, 4) AS neg_inner
FROM demo_items ORDER BY embedding <=> '[1,0,0]' LIMIT 3;

SELECT avg(embedding) AS centroid, vector_dims(avg(embedding)) AS dims FROM demo_items;
SELECT l2_normalize('[3,4]') AS unit, vector_norm('[3,4]') AS norm;

--
-- rushdb.embed_text: the built-in lexical embedder from SQL.
--
\set SHOW_CONTEXT never
\set VERBOSITY default
SET search_path = public, rushdb;

SELECT vector_dims(rushdb.embed_text('Flexible Column Layout')) AS dims,
       round(vector_norm(rushdb.embed_text('Flexible Column Layout'))::numeric, 6) AS norm;
-- Deterministic, and identifiers split: camelCase equals the spaced words.
SELECT rushdb.embed_text('FlexibleColumnLayout', 64) = rushdb.embed_text('flexible column layout', 64) AS camel_case_split,
       rushdb.embed_text('some text', 32) = rushdb.embed_text('some text', 32) AS deterministic;
-- Related texts are closer than unrelated ones.
SELECT rushdb.embed_text('configure the flexible column layout', 256) <=> rushdb.embed_text('flexible column layout settings', 256)
     < rushdb.embed_text('configure the flexible column layout', 256) <=> rushdb.embed_text('database backup schedule', 256) AS related_closer;
-- Empty text: the zero vector.
SELECT vector_norm(rushdb.embed_text('', 8)) AS empty_norm, vector_dims(rushdb.embed_text('x', 16000)) AS max_dims;
-- Errors.
SELECT rushdb.embed_text('x', 0);
SELECT rushdb.embed_text('x', 16001);
SELECT rushdb.embed_text('x', 8, 'gpt-5');

--
-- Hybrid search (docs/byov.md, *Hybrid search*): a keyword leg over a text
-- index fused with the vector leg by reciprocal rank. Expected orders are
-- worked out by hand from each leg's ranks (rrfK 60 unless said).
--
\set SHOW_CONTEXT never
\set VERBOSITY default
SET search_path = public, rushdb;

\getenv abs_srcdir PG_ABS_SRCDIR
\i :abs_srcdir/sql/include/expect_error.sql

SELECT rushdb.create_index('{"label": "Doc", "propertyName": "body", "external": true, "dimensions": 3}') IS NOT NULL AS index_created;
SELECT jsonb_array_length(rushdb.create_records('Doc', '[
 {"body": "postgres vector search", "n": 1, "$vectors": [{"propertyName": "body", "vector": [1, 0, 0]}]},
 {"body": "graph database records", "n": 2, "$vectors": [{"propertyName": "body", "vector": [0.9, 0.1, 0]}]},
 {"body": "vector index for postgres postgres", "n": 3, "$vectors": [{"propertyName": "body", "vector": [0, 1, 0]}]},
 {"body": ["keyword", "search", "engine"], "n": 4, "$vectors": [{"propertyName": "body", "vector": [0.05, 0, 1]}]},
 {"body": "searching engines", "n": 5, "$vectors": [{"propertyName": "body", "vector": [0.5, 0.5, 0]}]}]')) AS created;

-- No text index yet: an error that says how to make one.
SELECT pg_temp.expect_error($$SELECT rushdb.search('{"label": "Doc", "propertyName": "body", "text": "search"}')$$);
SELECT rushdb.create_text_index('Doc', 'body') - 'index' AS text_index;
SELECT rushdb.create_text_index('Doc', 'body') ->> 'created' AS created_again;
SELECT t - 'index' - 'sizeBytes' FROM jsonb_array_elements(rushdb.text_indexes()) t;

CREATE FUNCTION pg_temp.ranks(q jsonb) RETURNS TABLE (n int, score numeric, vector_rank int, text_rank int) LANGUAGE sql AS $$
    SELECT (x ->> 'n')::int, round((x ->> '__score')::numeric, 6), (x ->> '__vectorRank')::int, (x ->> '__textRank')::int
    FROM jsonb_array_elements(rushdb.search(q)) WITH ORDINALITY AS t(x, o) ORDER BY o
$$;

-- Keyword only. "search" (simple config: no stemming) is in 1 and 4 (the
-- array's strings joined); ts_rank_cd ranks 4 (3 words) above 1 (3 words,
-- same count: then __id, newest first). Scores are 1/61 and 1/62.
SELECT * FROM pg_temp.ranks('{"label": "Doc", "propertyName": "body", "text": "search"}');
-- Each record once with its own text score; postgres twice in 3 ranks it first.
SELECT x ->> 'n' AS n, x -> '__textScore' AS text_score, x ? '__vectorScore' AS has_vector_score
FROM jsonb_array_elements(rushdb.search('{"label": "Doc", "propertyName": "body", "text": "postgres"}')) x;
-- Web-search syntax: a phrase, OR, and a negated word.
SELECT * FROM pg_temp.ranks('{"label": "Doc", "propertyName": "body", "text": "\"vector search\" or records"}');
SELECT * FROM pg_temp.ranks('{"label": "Doc", "propertyName": "body", "text": "postgres -index"}');

-- Hybrid. Vector leg for [1, 0, 0]: 1, 2, 5, 4, 3 (cosine 1, 0.99, 0.71,
-- 0.05, 0). Keyword leg "search": 4, 1. Fused: 1 = 1/61 + 1/62,
-- 4 = 1/64 + 1/61, 2 = 1/62, 5 = 1/63, 3 = 1/65.
SELECT * FROM pg_temp.ranks('{"label": "Doc", "propertyName": "body", "text": "search", "queryVector": [1, 0, 0]}');
-- rrfK 1 weighs ranks more: 1 = 1/2 + 1/3, 4 = 1/5 + 1/2, 2 = 1/3, 5 = 1/4, 3 = 1/6.
SELECT * FROM pg_temp.ranks('{"label": "Doc", "propertyName": "body", "text": "search", "queryVector": [1, 0, 0], "rrfK": 1}');
-- skip and limit page the fused order; minScore cuts it.
SELECT * FROM pg_temp.ranks('{"label": "Doc", "propertyName": "body", "text": "search", "queryVector": [1, 0, 0], "skip": 1, "limit": 2}');
SELECT * FROM pg_temp.ranks('{"label": "Doc", "propertyName": "body", "text": "search", "queryVector": [1, 0, 0], "minScore": 0.02}');
-- Both legs take the where filter: vector 2, 5, 4, 3; keyword 4.
SELECT * FROM pg_temp.ranks('{"label": "Doc", "propertyName": "body", "text": "search", "queryVector": [1, 0, 0], "where": {"n": {"$gte": 2}}}');
-- A record written in this transaction is found by both legs at once.
BEGIN;
SELECT rushdb.create_record('Doc', '{"body": "search search search", "n": 6}', '[{"propertyName": "body", "vector": [1, 0, 0.01]}]') IS NOT NULL AS written;
SELECT * FROM pg_temp.ranks('{"label": "Doc", "propertyName": "body", "text": "search", "queryVector": [1, 0, 0], "limit": 2}');
ROLLBACK;

-- Errors.
SELECT pg_temp.expect_error(format('SELECT rushdb.search(%L)', q)) FROM (VALUES
    ('{"label": "Doc", "propertyName": "body", "text": ""}'),
    ('{"label": "Doc", "propertyName": "body", "text": 5}'),
    ('{"label": "Doc", "propertyName": "body", "text": "x", "rrfK": 0}'),
    ('{"label": "Doc", "propertyName": "body", "text": "x", "rrfK": "60"}'),
    ('{"label": "Doc", "propertyName": "body", "queryVector": [1, 0, 0], "rrfK": 60}'),
    ('{"label": "Doc", "propertyName": "body", "text": "x", "limit": 0}'),
    ('{"label": "Doc", "propertyName": "title", "text": "x"}'),
    ('{"label": "Doc", "propertyName": "body", "text": "x", "where": {"n": {"$gt": "x"}}}')) AS t(q);
SELECT pg_temp.expect_error(format('SELECT rushdb.search(%L)', q)) FROM (VALUES
    ('{"label": "Doc", "propertyName": "body", "text": "x", "mode": "bogus"}'),
    ('{"label": "Doc", "propertyName": "body", "text": "x", "ef": 5}'),
    ('{"label": "Doc", "propertyName": "body", "text": "x", "limit": 1000, "skip": 2147483000}')) AS t(q);
SELECT pg_temp.expect_error($$SELECT rushdb_internal.keyword_leg('Doc', 'body', 'x', 10, '{}', 1)$$);
SELECT pg_temp.expect_error($$SELECT rushdb.create_text_index('Doc', 'body', 'klingon')$$);
-- Index names cannot collide: ("a\x1fb", "c") and ("a", "b\x1fc") are two indexes.
SELECT rushdb.create_text_index(E'a\x1fb', 'c') ->> 'created' AS first, rushdb.create_text_index('a', E'b\x1fc', 'english') ->> 'created' AS second;
SELECT t ->> 'config' AS config FROM jsonb_array_elements(rushdb.text_indexes()) t WHERE t ->> 'label' LIKE 'a%' ORDER BY 1;
SELECT rushdb.drop_text_index(E'a\x1fb', 'c') ->> 'dropped' AS d1, rushdb.drop_text_index('a', E'b\x1fc') ->> 'dropped' AS d2;
SELECT pg_temp.expect_error($$SELECT rushdb.create_text_index('Doc', '__id')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.create_text_index(NULL, 'body')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.drop_text_index(NULL, 'body')$$);
SELECT pg_temp.expect_error($$SELECT rushdb.drop_text_index('Doc', '')$$);

-- Row-level security: the keyword leg reads with the caller's rights.
CREATE ROLE hybrid_reader;
GRANT USAGE ON SCHEMA rushdb, rushdb_internal TO hybrid_reader;
GRANT SELECT ON rushdb.records TO hybrid_reader;
ALTER TABLE rushdb.records ENABLE ROW LEVEL SECURITY;
CREATE POLICY low_n ON rushdb.records FOR SELECT TO hybrid_reader USING ((properties ->> 'n')::int <= 2);
SET ROLE hybrid_reader;
SELECT * FROM pg_temp.ranks('{"label": "Doc", "propertyName": "body", "text": "search"}');
SELECT pg_temp.expect_error($$SELECT rushdb.create_text_index('Doc', 'n')$$);
RESET ROLE;
DROP POLICY low_n ON rushdb.records;
ALTER TABLE rushdb.records DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON rushdb.records FROM hybrid_reader;
REVOKE ALL ON SCHEMA rushdb, rushdb_internal FROM hybrid_reader;
DROP ROLE hybrid_reader;

-- The keyword leg's match is served by the text index once the label has
-- more than a handful of records.
INSERT INTO rushdb.records (id, label, properties, proptypes)
SELECT rushdb.uuid_v7(), 'Doc', jsonb_build_object('body', 'filler text ' || i, 'n', 100 + i), '{"body": "string", "n": "number"}'
FROM generate_series(1, 3000) i;
ANALYZE rushdb.records;
SELECT line #>> '{}' AS plan FROM rushdb_internal.keyword_leg('Doc', 'body', 'search', 10, '{}',
    rushdb_internal.text_index_config('Doc', 'body'), true) line;
-- Words are ANDed, and the simple configuration does not stem: no record
-- has both "search" and "engines" as written (4 has "engine", 5 "searching").
SELECT * FROM pg_temp.ranks('{"label": "Doc", "propertyName": "body", "text": "search engines"}');

SELECT rushdb.drop_text_index('Doc', 'body') ->> 'dropped' AS dropped;
SELECT rushdb.text_indexes();
DELETE FROM rushdb.records WHERE label = 'Doc';
SELECT rushdb.delete_index((SELECT id FROM rushdb.embedding_indexes WHERE label = 'Doc')) ->> 'deleted' AS deleted;

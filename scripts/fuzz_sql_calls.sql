-- Used by scripts/fuzz_sql.sh: prints one statement per call of every
-- function and aggregate of schema rushdb, with arguments drawn from a pool
-- of edge cases per argument type (other types get NULL), :rounds calls per
-- function. Run with psql -v rounds=N -At; the output is a SQL script.
SELECT setseed(0.42) \g /dev/null
CREATE TEMP TABLE pool(t text, v text);
INSERT INTO pool VALUES
  ('rushdb.vector', 'NULL'), ('rushdb.vector', '''[1,2,3]'''), ('rushdb.vector', '''[0,0,0]'''),
  ('rushdb.vector', '''[1]'''), ('rushdb.vector', '''[3e38,-3e38,1e-45]'''),
  ('rushdb.vector', 'rushdb.array_to_vector(array_fill(0.5::real, ARRAY[16000]), -1, false)'),
  ('rushdb.vector', '(SELECT v FROM public.items LIMIT 1)'),
  -- vectors made by other functions of the extension, from odd inputs
  ('rushdb.vector', 'rushdb.vector_sum_final(array_fill(1::float8, ARRAY[40000]))'),
  ('rushdb.vector', 'rushdb.vector_sum_final(array_fill(1::float8, ARRAY[16002]))'),
  ('rushdb.vector', 'rushdb.vector_avg_final(''{1,NaN}'')'),
  ('rushdb.vector', 'rushdb.subvector(''[1,2,3]'', 2, 5)'),
  ('rushdb.vector', 'rushdb.l2_normalize(''[1e-40,0]'')'),
  ('double precision[]', 'NULL'), ('double precision[]', '''{}'''), ('double precision[]', '''{0}'''),
  ('double precision[]', '''{1,2,3}'''), ('double precision[]', '''{2,NaN,Infinity,-Infinity}'''),
  ('double precision[]', '''{{1,2},{3,4}}'''), ('double precision[]', '''{1,NULL}'''),
  ('double precision[]', '''[3:5]={1,2,3}'''), ('double precision[]', '''{1,1e308,1e308}'''),
  ('double precision[]', 'array_fill(1::float8, ARRAY[16002])'),
  ('double precision[]', 'array_fill(1::float8, ARRAY[40000])'),
  ('double precision[]', 'array_fill(1::float8, ARRAY[70000])'),
  ('real[]', 'NULL'), ('real[]', '''{}'''), ('real[]', '''{1,NaN}'''), ('real[]', 'array_fill(1::real, ARRAY[70000])'),
  ('integer[]', '''{1,2}'''), ('numeric[]', '''{1e1000,2}'''),
  ('integer', 'NULL'), ('integer', '0'), ('integer', '-1'), ('integer', '1'), ('integer', '3'), ('integer', '16000'),
  ('integer', '16001'), ('integer', '2147483647'), ('integer', '(-2147483647 - 1)'),
  ('double precision', '0'), ('double precision', '''NaN'''), ('double precision', '-1'), ('double precision', '0.01'),
  ('boolean', 'true'), ('boolean', 'false'), ('boolean', 'NULL'),
  ('text', 'NULL'), ('text', ''''''), ('text', '''Doc'''), ('text', '''body'''), ('text', '''cosine'''),
  ('text', '''euclidean'''), ('text', '''external'''), ('text', '''managed'''), ('text', '''exact'''),
  ('text', '''ann'''), ('text', 'repeat(''x'', 100000)'), ('text', '''builtin-lexical-v1'''),
  ('text', '''2024-02-30'''), ('text', '''l2'''),
  ('name', '''v'''), ('name', '''w'''), ('name', '''nope'''),
  ('regclass', '''public.items'''), ('regclass', '''public.items_l2'''), ('regclass', '''public.items_cos'''),
  ('regclass', '''public.items_pkey'''), ('regclass', '''pg_class'''), ('regclass', '0'),
  ('uuid', 'NULL'), ('uuid', 'gen_random_uuid()'), ('uuid', '(SELECT id FROM rushdb.embedding_indexes LIMIT 1)'),
  ('uuid', '(SELECT id FROM rushdb.records LIMIT 1)'),
  ('uuid[]', '''{}'''), ('uuid[]', 'ARRAY(SELECT id FROM rushdb.records LIMIT 3)'), ('uuid[]', 'ARRAY[NULL::uuid]'),
  ('rushdb.vector[]', '''{}'''), ('rushdb.vector[]', 'ARRAY[''[1,2,3]''::rushdb.vector, NULL]'),
  ('rushdb.vector[]', 'ARRAY(SELECT ''[1,0,0]''::rushdb.vector FROM generate_series(1, 3))'),
  ('jsonb', 'NULL'), ('jsonb', '''{}'''), ('jsonb', '''[]'''), ('jsonb', '''"x"'''), ('jsonb', '''null'''),
  ('jsonb', '''{"label": "Doc", "propertyName": "body", "queryVector": [1, 0, 0], "where": {"year": {"$gt": 2000}}}'''),
  ('jsonb', '''{"label": "Doc", "propertyName": "body", "queryVector": [0, 0, 0]}'''),
  ('jsonb', '''{"label": "Note", "propertyName": "text", "query": "note"}'''),
  ('jsonb', '''{"year": {"$in": []}, "$or": [{"tags": "t1"}, {"$not": {"when": {"$lt": "2024-01-05"}}}]}'''),
  ('jsonb', '''{"body": "x", "__vectors": [{"propertyName": "body", "vector": [1, 2, 3]}]}'''),
  ('jsonb', '''{"a": {"b": 1}}'''), ('jsonb', '''{"__id": 1}'''), ('jsonb', '''[{"body": "y"}, {"body": 1}]'''),
  ('jsonb', '(repeat(''['', 5000) || ''1'' || repeat('']'', 5000))::jsonb'),
  ('jsonb', '''{"label": "Doc", "propertyName": "body", "external": true, "dimensions": 16001}'''),
  ('cstring', '''[1,2]'''), ('cstring', '''[1,,2]'''), ('oid', '0'), ('cstring[]', '''{3}'''), ('cstring[]', '''{-1}''')
\g /dev/null
WITH fns AS (
    SELECT p.proname, p.prokind, p.proargtypes::oid[] AS args
    FROM pg_proc p
    WHERE p.pronamespace = 'rushdb'::regnamespace AND p.prokind IN ('f', 'a')
      AND p.prorettype NOT IN ('trigger'::regtype, 'internal'::regtype, 'index_am_handler'::regtype)
      AND NOT ('internal'::regtype = ANY (p.proargtypes::oid[]))
      -- these only raise, start workers or sleep
      AND p.proname NOT IN ('raise_bad', 'start_embedding_worker', 'wake_embedding_worker', 'wait_for_index')
), calls AS (
    SELECT f.proname, f.prokind, r.round,
           ARRAY(SELECT '(' || coalesce((SELECT v FROM pool WHERE t = format_type(a.t, NULL) AND r.round > 0
                                         ORDER BY random() LIMIT 1), 'NULL') || ')::' || format_type(a.t, NULL)
                 FROM unnest(f.args) WITH ORDINALITY AS a(t, n) ORDER BY a.n) AS vals
    FROM fns f, generate_series(1, :rounds) AS r(round)
)
SELECT CASE WHEN prokind = 'a'
            THEN format('SELECT rushdb.%I(x) FROM (VALUES (%s), (%s)) v(x);', proname, vals[1], vals[1])
            ELSE format('SELECT rushdb.%I(%s);', proname, array_to_string(vals, ', ')) END
FROM calls ORDER BY round, proname;
